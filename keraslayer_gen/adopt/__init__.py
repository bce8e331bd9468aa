"""`klgen adopt`: bring a hand-written layer under a spec, with proof that nothing changed.

`reader` reads one layer class statically (no Keras import) into spec data, or refuses it
with located reasons; `plan` regenerates the file from that spec and plans the writes;
`equivalence` runs the original and the regenerated class side by side in a worker per
backend. See docs/adopt.md.
"""

from __future__ import annotations

from keraslayer_gen.adopt.reader import Adoption, Refusal, adopt_source, read_file

__all__ = ["Adoption", "Refusal", "adopt_source", "read_file"]
