"""`python -m keraslayer_gen.cli`: the `klgen` command."""

import sys

from keraslayer_gen.cli.main import app

sys.exit(app())
