"""The `masking` check judges whether the mask reaches a `consume` or `use` layer's
computation by behaviour, not by `call`'s signature (issue 14): a layer that reads the
mask Keras attaches to its input (keras-hub's TransformerDecoder pattern) passes, and one
whose mask reaches nothing fails with that cause. Harness runs (about 30 s each)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.corpus._verify import run_verify, table, verify_argv

pytestmark = pytest.mark.harness

LAYERS = "tests/harness/input_mask_layers.py"
EXPECT: dict[str, Any] = {
    "input_shape": (3, 6, 4),
    "init": {},
    "output_shape": (3, 6, 4),
    "masking": "use",
    "mask": True,
    "training": False,
    "trainable": 0,
    "non_trainable": 0,
    "seed_generators": 0,
}


def _masking(layer: dict[str, Any]) -> dict[str, Any]:
    [result] = [r for r in layer["results"] if r["check"] == "masking"]
    return result


def test_a_layer_reading_its_input_mask_uses_it(fast_backend: str) -> None:
    """No `mask` argument: the mask read from the input reaches the computation (the
    outputs differ without it), padded values change no unpadded output, and the mask
    passes on. The whole contract passes."""
    layer = run_verify(verify_argv(f"{LAYERS}:CentreOverTime", EXPECT, [fast_backend]))
    assert layer["exit_code"] == 0, table(layer)
    assert _masking(layer)["status"] == "pass", table(layer)


def test_a_mask_that_reaches_nothing_fails_use(fast_backend: str) -> None:
    layer = run_verify(verify_argv(f"{LAYERS}:DoubleOnly", EXPECT, [fast_backend]))
    masking = _masking(layer)
    assert masking["status"] == "fail", table(layer)
    assert "never reaches the computation" in masking["message"], masking
    assert "declare masking: propagate" in masking["message"], masking
    others = [r for r in layer["results"] if r["check"] != "masking"]
    assert all(r["status"] != "fail" for r in others), table(layer)
    declared = run_verify(
        verify_argv(
            f"{LAYERS}:DoubleOnly", {**EXPECT, "masking": "propagate"}, [fast_backend]
        )
    )
    assert declared["exit_code"] == 0, table(declared)
