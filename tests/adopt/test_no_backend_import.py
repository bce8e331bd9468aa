"""`klgen adopt` without the proof reads and plans statically: it imports no backend."""

from __future__ import annotations

import json
import subprocess
import sys

from .sources import NOISY, TF_KERAS, TUTORIAL, write_project

PROBE = """
import json, sys
from keraslayer_gen.cli import app
codes = []
for argv in json.loads(sys.argv[1]):
    try:
        app(args=argv, prog_name="klgen")
    except SystemExit as exc:
        codes.append(exc.code)
heads = ("keras", "tensorflow", "jax", "jaxlib", "torch", "tf_keras")
loaded = sorted(m for m in sys.modules if m.split(".")[0] in heads)
print(json.dumps({"exits": codes, "backends": loaded}))
"""


def test_adopt_dry_run_and_no_verify_write_import_no_backend(tmp_path) -> None:
    write_project(tmp_path, {"linear": TUTORIAL, "noisy": NOISY, "scaled": TF_KERAS})
    commands = [
        ["adopt", "layers"],
        ["adopt", "layers/scaled.py", "--target", "keras3"],
        ["adopt", "layers", "--write", "--no-verify", "--no-diff"],
    ]
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(commands)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    # the tf-keras layer's bodies are plain arithmetic: it renders for keras3 as well
    assert report == {"exits": [0, 0, 0], "backends": []}
    assert (tmp_path / "layers" / "linear.klgen.yaml").is_file()
