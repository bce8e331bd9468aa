"""Properties of issue 11's rules: every random valid composite spec loads without a
problem, and breaking one thing in it (an example without one of its inputs, a body that
names a sub-layer or an input wrongly) is refused with that problem, located.

Fast and Keras-free (the spec is loaded, not rendered). As in test_properties.py, each
property runs derandomized in the fast suite and at full strength in the slow tier.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keraslayer_gen.errors import SpecError
from keraslayer_gen.spec.load import load_spec_text
from keraslayer_gen.spec.model import LayerSpec

from .composite_strategies import composite_specs
from .strategies import spec_yaml

SPEC = "s.klgen.yaml"


def _settings(n: int, *, quick: bool = False) -> Any:
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=quick,
    )


def _load(data: dict[str, Any]) -> LayerSpec:
    text = spec_yaml(data)
    try:
        return load_spec_text(text, SPEC)
    except SpecError as exc:
        pytest.fail(f"klgen refused a valid spec:\n{exc}\n--- spec ---\n{text}")


def _refusal(data: dict[str, Any]) -> list[str]:
    text = spec_yaml(data)
    with pytest.raises(SpecError) as info:
        load_spec_text(text, SPEC)
    return [str(d) for d in info.value.diagnostics]


def valid_composite_specs_load(data: dict[str, Any]) -> None:
    spec = _load(data)
    assert list(spec.inputs or {}) == list(data["inputs"])
    assert list(spec.layers) == list(data.get("layers", {}))


def a_missing_input_shape_is_named(data: dict[str, Any], pick: Any) -> None:
    required = [n for n, d in data["inputs"].items() if not d.get("optional")]
    name = pick(required)
    broken = copy.deepcopy(data)
    broken["examples"][0]["inputs"].pop(name, None)
    lines = _refusal(broken)
    assert any(
        line.endswith(f"examples[0].inputs: no shape for input `{name}`")
        for line in lines
    ), lines


def a_misspelt_name_in_the_body_is_located(data: dict[str, Any], pick: Any) -> None:
    names = [f"self.{n}" for n in data.get("layers", {})] + list(data["inputs"])
    name = pick(names)
    body = data["call"]["body"]
    broken = copy.deepcopy(data)
    broken["call"]["body"] = re.sub(
        rf"\b{re.escape(name)}\b", f"{name}zz", body, count=1
    )
    lines = _refusal(broken)
    word = name.removeprefix("self.")
    assert any(
        ": call.body: " in line and f"`{name}zz`" in line or f"`self.{word}zz`" in line
        for line in lines
    ), lines
    # located inside the body: the line of the spec that has the misspelt name
    text = spec_yaml(broken).splitlines()
    hit = next(line for line in lines if f"{word}zz`" in line)
    row = int(hit.split(":")[1])
    assert f"{word}zz" in text[row - 1]


def _pick(data: st.DataObject) -> Any:
    return lambda items: data.draw(st.sampled_from(items))


@given(data=composite_specs())
@_settings(25, quick=True)
def test_valid_composite_specs_load_quick(data: dict[str, Any]) -> None:
    valid_composite_specs_load(data)


@pytest.mark.slow
@given(data=composite_specs())
@_settings(400)
def test_valid_composite_specs_load(data: dict[str, Any]) -> None:
    valid_composite_specs_load(data)


@given(data=composite_specs(), draw=st.data())
@_settings(15, quick=True)
def test_a_missing_input_shape_is_named_quick(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    a_missing_input_shape_is_named(data, _pick(draw))


@pytest.mark.slow
@given(data=composite_specs(), draw=st.data())
@_settings(200)
def test_a_missing_input_shape_is_named(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    a_missing_input_shape_is_named(data, _pick(draw))


@given(data=composite_specs(), draw=st.data())
@_settings(15, quick=True)
def test_a_misspelt_name_in_the_body_is_located_quick(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    a_misspelt_name_in_the_body_is_located(data, _pick(draw))


@pytest.mark.slow
@given(data=composite_specs(), draw=st.data())
@_settings(200)
def test_a_misspelt_name_in_the_body_is_located(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    a_misspelt_name_in_the_body_is_located(data, _pick(draw))
