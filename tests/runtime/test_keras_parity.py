"""Numeric parity with Keras: each catalogue layer that has a Keras counterpart computes what
the Keras layer computes, given the same weights, on the current backend
(`KERAS_BACKEND=tensorflow|jax|torch`): float32, float64 inputs, a float64 layer and the
`mixed_bfloat16` policy. `BatchNormalization` is compared in training (the batch statistics
and the moving statistics it updates) and at inference.

| catalogue layer | Keras counterpart |
| --- | --- |
| `Dense` | `keras.layers.Dense` |
| `GroupNormalization` | `keras.layers.GroupNormalization` |
| `MovingAverageNormalization` | `BatchNormalization(center=False, scale=False)`: statistics |
| `MaskedAveragePooling` | `keras.layers.GlobalAveragePooling1D` with a mask |
| `PaddingMask` | `keras.layers.Masking`: outputs and output mask |
| `DecayingDropout` | `keras.layers.Dropout` at inference |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.backend

keras = pytest.importorskip("keras")
ops = keras.ops

#: (layer dtype policy, input dtype): the inputs a layer of that policy meets in a model
#: (under mixed_bfloat16 the previous layer's outputs are bfloat16).
CASES = [
    pytest.param("float32", "float32", id="float32"),
    pytest.param("float32", "float64", id="float64-inputs"),
    pytest.param("float64", "float64", id="float64-layer"),
    pytest.param("mixed_bfloat16", "bfloat16", id="mixed_bfloat16"),
]


def _np(x: Any) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(ops.cast(x, "float32")))


def _inputs(shape: tuple[int, ...], dtype: str, seed: int = 0) -> Any:
    x = np.random.default_rng(seed).normal(size=shape) * 3.0 + 1.0
    return ops.cast(ops.convert_to_tensor(x.astype("float64")), dtype)


def _tolerance(policy: str) -> dict[str, float]:
    if policy == "mixed_bfloat16":  # both round their outputs to bfloat16 (8 bits)
        return {"rtol": 2e-2, "atol": 2e-2}
    return {"rtol": 1e-5, "atol": 1e-5}


def _copy_weights(ours: Any, theirs: Any, seed: int = 1) -> None:
    """Random values (not the initializers') in both layers, weight for weight."""
    assert [tuple(w.shape) for w in ours.weights] == [
        tuple(w.shape) for w in theirs.weights
    ]
    rng = np.random.default_rng(seed)
    values = [rng.normal(size=tuple(w.shape)) + 1.0 for w in theirs.weights]
    theirs.set_weights(values)
    ours.set_weights(values)


def _same(ours: Any, theirs: Any, policy: str) -> None:
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(_np(ours), _np(theirs), **_tolerance(policy))


@pytest.mark.parametrize(("policy", "dtype"), CASES)
@pytest.mark.parametrize(
    "init",
    [
        {"units": 3, "activation": "tanh"},
        {"units": 4, "use_bias": False},
    ],
    ids=["tanh", "no-bias"],
)
def test_dense(
    load_layer: Callable[[str], type], init: dict, policy: str, dtype: str
) -> None:
    Dense = load_layer("dense")
    x = _inputs((2, 5, 8), dtype)
    ours, theirs = Dense(dtype=policy, **init), keras.layers.Dense(dtype=policy, **init)
    ours.build(x.shape)
    theirs.build(x.shape)
    _copy_weights(ours, theirs)
    _same(ours(x), theirs(x), policy)


@pytest.mark.parametrize(("policy", "dtype"), CASES)
@pytest.mark.parametrize(
    ("init", "shape"),
    [
        ({"groups": 4}, (2, 6, 8)),
        ({"groups": 3, "center": False}, (3, 4, 4, 6)),
        ({"groups": 2, "axis": 1}, (2, 6, 5)),
    ],
    ids=["channels-last", "no-center", "axis-1"],
)
def test_group_normalization(
    load_layer: Callable[[str], type],
    init: dict,
    shape: tuple[int, ...],
    policy: str,
    dtype: str,
) -> None:
    GroupNormalization = load_layer("group-normalization")
    x = _inputs(shape, dtype)
    ours = GroupNormalization(dtype=policy, **init)
    theirs = keras.layers.GroupNormalization(dtype=policy, **init)
    ours.build(x.shape)
    theirs.build(x.shape)
    _copy_weights(ours, theirs)
    _same(ours(x), theirs(x), policy)


@pytest.mark.parametrize(("policy", "dtype"), CASES)
def test_moving_average_normalization_is_batch_normalization_statistics(
    load_layer: Callable[[str], type], policy: str, dtype: str
) -> None:
    MovingAverageNormalization = load_layer("moving-average-normalization")
    x = _inputs((8, 3, 5), dtype)
    ours = MovingAverageNormalization(momentum=0.9, epsilon=1e-3, dtype=policy)
    theirs = keras.layers.BatchNormalization(
        momentum=0.9, epsilon=1e-3, center=False, scale=False, dtype=policy
    )
    ours.build(x.shape)
    theirs.build(x.shape)
    _copy_weights(ours, theirs)
    ours.moving_variance.assign(ops.abs(ours.moving_variance))
    theirs.moving_variance.assign(ops.abs(theirs.moving_variance))
    # Training: normalized by the batch statistics, which update the moving ones.
    _same(ours(x, training=True), theirs(x, training=True), policy)
    for mine, keras_weight in zip(ours.weights, theirs.weights, strict=True):
        np.testing.assert_allclose(_np(mine), _np(keras_weight), rtol=1e-5, atol=1e-5)
    # Inference: normalized by the moving statistics.
    y = _inputs((4, 3, 5), dtype, seed=3)
    _same(ours(y, training=False), theirs(y, training=False), policy)


@pytest.mark.parametrize(("policy", "dtype"), CASES)
def test_masked_average_pooling_is_global_average_pooling_1d_with_a_mask(
    load_layer: Callable[[str], type], policy: str, dtype: str
) -> None:
    MaskedAveragePooling = load_layer("masked-average-pooling")
    x = _inputs((3, 6, 4), dtype)
    mask = np.ones((3, 6), dtype=bool)
    mask[0, 4:] = False
    mask[1, 1:] = False  # every row keeps a step: Keras divides by the count
    mask = ops.convert_to_tensor(mask)
    ours = MaskedAveragePooling(dtype=policy)
    theirs = keras.layers.GlobalAveragePooling1D(dtype=policy)
    _same(ours(x, mask=mask), theirs(x, mask=mask), policy)
    _same(ours(x), theirs(x), policy)


@pytest.mark.parametrize(("policy", "dtype"), CASES)
def test_padding_mask_is_masking(
    load_layer: Callable[[str], type], policy: str, dtype: str
) -> None:
    PaddingMask = load_layer("padding-mask")
    values = np.random.default_rng(4).normal(size=(3, 5, 4))
    values[0, 3:] = 0.0
    values[2, 1] = 0.0
    values[1, 2, 0] = 0.0  # one feature only: the step is kept
    x = ops.cast(ops.convert_to_tensor(values), dtype)
    ours = PaddingMask(mask_value=0.0, dtype=policy)
    theirs = keras.layers.Masking(mask_value=0.0, dtype=policy)
    _same(ours(x), theirs(x), policy)
    np.testing.assert_array_equal(
        ops.convert_to_numpy(ours.compute_mask(x)),
        ops.convert_to_numpy(theirs.compute_mask(x)),
    )


@pytest.mark.parametrize(("policy", "dtype"), CASES)
def test_decaying_dropout_is_dropout_at_inference(
    load_layer: Callable[[str], type], policy: str, dtype: str
) -> None:
    DecayingDropout = load_layer("decaying-dropout")
    x = _inputs((4, 6, 3), dtype)
    ours = DecayingDropout(initial_keep_rate=0.5, seed=1, dtype=policy)
    theirs = keras.layers.Dropout(0.5, seed=1, dtype=policy)
    _same(ours(x, training=False), theirs(x, training=False), policy)
    _same(ours(x), theirs(x), policy)
