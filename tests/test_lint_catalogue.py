"""`klgen lint` on every catalogue example as `klgen new` generates it: clean.

The catalogue (keraslayer_gen/examples) holds layers with sub-layers, several inputs, call
arguments and helper methods; whatever the rendering, the generated layer and its test
must not raise a lint finding (a finding on klgen's own output is a false alarm, or a
template defect). No Keras import.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from keraslayer_gen.api import example_names
from keraslayer_gen.cli import app
from keraslayer_gen.lint.driver import lint_file
from keraslayer_gen.lint.module import layer_classes, parse_module

EXAMPLES = Path(__file__).resolve().parents[1] / "keraslayer_gen" / "examples"


@pytest.mark.parametrize("name", example_names())
def test_the_generated_example_is_lint_clean(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = EXAMPLES / f"{name}.klgen.yaml"
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(app, ["new", "--spec", str(spec), "--out", "layers"])
    assert out.exit_code == 0, out.output
    files = sorted((tmp_path / "layers").glob("*.py"))
    layers = [
        f for f in files if layer_classes(parse_module(f.read_text("utf-8"), str(f)))
    ]
    assert len(layers) == 1, files
    findings = [str(issue) for f in files for issue in lint_file(f)]
    assert not findings, "\n".join(findings)
