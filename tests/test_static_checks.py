"""The static checks of `klgen verify` lint the file that defines the class: a re-export
(`from .impl import Layer` in a package's `__init__.py`) is a skip that says where to look,
never a pass for a class that was not read."""

from __future__ import annotations

from pathlib import Path

from keraslayer_gen.harness.static import run_static_checks

CHECKS = ["structure", "config-complete", "state-hygiene"]
BROKEN = """
import keras


class Gate(keras.layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.units = units
"""


def test_a_reexported_class_is_skipped_with_the_file_to_give(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "impl.py").write_text(BROKEN, encoding="utf-8")
    (package / "__init__.py").write_text("from .impl import Gate\n", encoding="utf-8")
    results = run_static_checks(CHECKS, package / "__init__.py", "Gate")
    assert [(r.check, r.status) for r in results] == [(c, "skip") for c in CHECKS]
    assert "__init__.py does not define `Gate`" in results[0].message
    assert "path/to/module.py:Gate" in results[0].message
    # The defining file is linted for real, and this broken layer fails there.
    direct = run_static_checks(CHECKS, package / "impl.py", "Gate")
    assert {r.check: r.status for r in direct}["structure"] == "fail"
