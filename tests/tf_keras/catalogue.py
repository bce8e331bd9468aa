"""The tf-keras catalogue cases, and the example inputs its tests feed the layers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from keraslayer_gen import api
from tests.catalogue import leaf_examples_for

#: (example name, index of one of its spec's examples), for every catalogue layer with
#: one tensor in and out and no sub-layers (the others: their generated tests).
CASES = [
    pytest.param(name, index, id=f"{name}-{index}")
    for name in leaf_examples_for("tf-keras")
    for index in range(len(api.load_example(name).spec.examples))
]


def example(name: str, index: int) -> dict[str, Any]:
    return api.load_example(name).spec.examples[index].model_dump()


def data(spec_example: dict[str, Any]) -> tuple[np.ndarray, np.ndarray | None]:
    """The example's inputs, and a padding mask (last steps) if it has one; masked steps
    are zero, so that `keras.layers.Masking()` finds the same mask."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=spec_example["input_shape"]).astype(spec_example["dtype"])
    if not spec_example["mask"]:
        return x, None
    mask = np.ones(x.shape[:-1], dtype=bool)
    mask[..., -1] = False
    mask[0, ...] = True
    x[~mask] = 0.0
    return x, mask
