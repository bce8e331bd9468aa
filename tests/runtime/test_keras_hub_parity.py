"""Numeric parity with keras-hub: the catalogue layers of issue 11 that keras-hub also has
compute what keras-hub's layer computes, given the same weights, on the current backend
(`KERAS_BACKEND=tensorflow|jax|torch`), to 1e-5.

| catalogue layer | keras-hub counterpart |
| --- | --- |
| `TransformerEncoderBlock` | `keras_hub.layers.TransformerEncoder` (post-norm, relu) |
| `TokenAndPositionEmbedding` | `keras_hub.layers.TokenAndPositionEmbedding` |
| `RotaryEmbedding` | `keras_hub.layers.RotaryEmbedding` |

The weights are copied by order, the shapes checked one by one: both layers create the same
Keras sub-layers in the same order (the token embedding, whose own weight comes after
the position embedding here, is matched by shape).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.backend

keras = pytest.importorskip("keras")
keras_hub = pytest.importorskip("keras_hub")
ops = keras.ops

ATOL = 1e-5


def _np(x: Any) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(x))


def _copy_by_order(source: Any, target: Any) -> None:
    assert len(source.weights) == len(target.weights)
    for a, b in zip(source.weights, target.weights, strict=True):
        assert tuple(a.shape) == tuple(b.shape), (a.path, b.path)
        b.assign(a)


def _padding_mask() -> np.ndarray:
    mask = np.ones((2, 6), dtype=bool)
    mask[1, 4:] = False
    return mask


@pytest.mark.parametrize("masked", [False, True], ids=["no-mask", "padding-mask"])
def test_transformer_encoder_matches_keras_hub(load_layer, masked: bool) -> None:
    TransformerEncoderBlock = load_layer("transformer-encoder")
    x = np.random.default_rng(0).normal(size=(2, 6, 8)).astype("float32")
    hub = keras_hub.layers.TransformerEncoder(
        intermediate_dim=16,
        num_heads=2,
        dropout=0.0,
        activation="relu",
        layer_norm_epsilon=1e-5,
        normalize_first=False,
    )
    hub.build(x.shape)
    ours = TransformerEncoderBlock(
        hidden_dim=8, intermediate_dim=16, num_heads=2, layer_norm_epsilon=1e-5
    )
    ours.build(x.shape)
    _copy_by_order(hub, ours)
    mask = _padding_mask() if masked else None
    expected = hub(x, padding_mask=mask)
    got = ours(x, mask=None if mask is None else ops.convert_to_tensor(mask))
    np.testing.assert_allclose(_np(got), _np(expected), atol=ATOL, rtol=ATOL)
    # Training with dropout 0 is the same function.
    got = ours(x, training=True)
    np.testing.assert_allclose(_np(got), _np(hub(x, training=True)), atol=ATOL)


def test_token_and_position_embedding_matches_keras_hub(load_layer) -> None:
    TokenAndPositionEmbedding = load_layer("token-and-position-embedding")
    ids = np.random.default_rng(0).integers(1, 20, size=(2, 6)).astype("int32")
    ids[1, 4:] = 0
    hub = keras_hub.layers.TokenAndPositionEmbedding(
        vocabulary_size=20, sequence_length=8, embedding_dim=4, mask_zero=True
    )
    hub.build(ids.shape)
    ours = TokenAndPositionEmbedding(
        vocabulary_size=20, sequence_length=8, embedding_dim=4, mask_zero=True
    )
    ours.build(ids.shape)
    by_shape = {tuple(w.shape): w for w in hub.weights}
    assert len(by_shape) == len(hub.weights) == len(ours.weights) == 2
    for weight in ours.weights:
        weight.assign(by_shape[tuple(weight.shape)])
    np.testing.assert_allclose(_np(ours(ids)), _np(hub(ids)), atol=ATOL, rtol=ATOL)
    # keras-hub attaches the token embedding's mask to its output in `call`.
    from keras.src.backend import get_keras_mask

    hub_mask = get_keras_mask(hub(ids))
    np.testing.assert_array_equal(_np(ours.compute_mask(ids)), _np(hub_mask))
    np.testing.assert_array_equal(_np(ours.compute_mask(ids)), ids != 0)
    # Shorter sequences read the first positions, as keras-hub's do.
    short = ids[:, :3]
    np.testing.assert_allclose(_np(ours(short)), _np(hub(short)), atol=ATOL)


@pytest.mark.parametrize(
    "shape, start_index",
    [((2, 6, 8), 0), ((2, 6, 8), 3), ((2, 5, 2, 4), 2)],
    ids=["rank3", "rank3-start3", "rank4-start2"],
)
def test_rotary_embedding_matches_keras_hub(load_layer, shape, start_index) -> None:
    RotaryEmbedding = load_layer("rotary-embedding")
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    hub = keras_hub.layers.RotaryEmbedding(max_wavelength=100, scaling_factor=2.0)
    ours = RotaryEmbedding(max_wavelength=100, scaling_factor=2.0)
    np.testing.assert_allclose(
        _np(ours(x, start_index=start_index)),
        _np(hub(x, start_index=start_index)),
        atol=ATOL,
        rtol=ATOL,
    )
