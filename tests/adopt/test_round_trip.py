"""Adopting each catalogue layer's generated file gives back a spec that generates the same
file, byte for byte, with what the templates generate today (nothing stored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from keraslayer_gen import api
from keraslayer_gen.adopt.plan import ADOPTED, adopt_file
from keraslayer_gen.files.layout import out_layout

EXAMPLES = api.example_names()


def _generated(name: str, folder: Path) -> Path:
    plan = api.generate(name, out=folder)
    return next(c.path for c in plan.changes if not c.path.name.startswith("test_"))


@pytest.mark.parametrize("name", EXAMPLES)
def test_generated_file_round_trips_through_its_adopted_spec(name, tmp_path) -> None:
    layer = _generated(name, tmp_path)  # `klgen new --example NAME --out DIR`: no spec
    original = layer.read_text(encoding="utf-8")
    [result] = adopt_file(layer)
    assert result.status == ADOPTED, result.reasons
    assert result.spec is not None
    # The adopted spec, rendered under the same header as the original.
    again = api.plan_layer(
        api.SpecSource(result.spec, example=name), out_layout(tmp_path), exports=False
    )
    text = next(c.text for c in again.changes if c.path == layer)
    assert text == original


@pytest.mark.parametrize("name", EXAMPLES)
def test_adopting_a_file_generated_from_a_spec_changes_nothing(name, tmp_path) -> None:
    """`klgen new --spec` output adopted in place: the layer is identical, and the spec
    beside it (which also holds the other target's bodies) is kept as it is."""
    module = api.load_example(name).spec.module_name
    spec_path = tmp_path / f"{module}.klgen.yaml"
    spec_path.write_text(api.example_text(name), encoding="utf-8")
    api.generate(str(spec_path), out=tmp_path)
    [result] = adopt_file(tmp_path / f"{module}.py")
    assert result.status == ADOPTED, result.reasons
    assert result.plan is not None
    statuses = {c.path.name: c.status for c in result.plan.changes}
    assert statuses[f"{module}.py"] == "identical"
    assert (
        f"{module}.klgen.yaml" not in statuses
    )  # the user's spec file is not rewritten
    assert result.spec is not None
    # the other target's bodies are carried
    assert result.spec.targets == api.load_example(name).spec.targets


def test_round_trip_holds_for_a_tf_keras_rendering(tmp_path) -> None:
    """The tf-keras rendering of a catalogue layer adopts into a `tf-keras` spec that
    renders the same file."""
    plan = api.generate("moving-average-normalization", out=tmp_path, target="tf-keras")
    layer = next(c.path for c in plan.changes if not c.path.name.startswith("test_"))
    original = layer.read_text(encoding="utf-8")
    [result] = adopt_file(layer)
    assert result.status == ADOPTED, result.reasons
    assert result.spec is not None and result.spec.target == "tf-keras"
    again = api.plan_layer(
        api.SpecSource(result.spec, example="moving-average-normalization"),
        out_layout(tmp_path),
        exports=False,
    )
    assert next(c.text for c in again.changes if c.path == layer) == original
