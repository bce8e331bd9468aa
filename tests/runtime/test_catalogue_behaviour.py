"""The generated catalogue layers compute what their docs promise, on the current backend."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.backend

keras = pytest.importorskip("keras")
ops = keras.ops


def _np(x) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(x))


def test_group_normalization_gives_zero_mean_unit_variance_per_group(load_layer):
    GroupNormalization = load_layer("group-normalization")
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(3, 5, 8)) * 4.0 + 7.0).astype("float32")
    layer = GroupNormalization(groups=4, epsilon=1e-6)
    y = _np(layer(x))
    grouped = y.reshape(3, 5, 4, 2)  # channels last, 4 groups of 2 channels
    np.testing.assert_allclose(grouped.mean(axis=(1, 3)), 0.0, atol=1e-4)
    np.testing.assert_allclose(grouped.var(axis=(1, 3)), 1.0, atol=1e-3)


def test_group_normalization_channels_first(load_layer):
    GroupNormalization = load_layer("group-normalization")
    x = np.random.default_rng(2).normal(size=(2, 6, 5)).astype("float32") * 3 + 1
    y = _np(GroupNormalization(groups=3, axis=1, epsilon=1e-6)(x))
    grouped = y.reshape(2, 3, 2, 5)
    np.testing.assert_allclose(grouped.mean(axis=(2, 3)), 0.0, atol=1e-4)
    np.testing.assert_allclose(grouped.var(axis=(2, 3)), 1.0, atol=1e-3)


def test_group_normalization_rejects_indivisible_channels(load_layer):
    GroupNormalization = load_layer("group-normalization")
    with pytest.raises(ValueError, match="multiple of the number of groups"):
        GroupNormalization(groups=4).build((2, 5, 6))
    with pytest.raises(ValueError, match="Invalid value for argument `groups`"):
        GroupNormalization(groups=0)
    with pytest.raises(ValueError, match="Expected a positive integer"):
        GroupNormalization(groups=2.0)


def test_group_normalization_refuses_an_out_of_range_axis_as_keras_does(load_layer):
    GroupNormalization = load_layer("group-normalization")
    with pytest.raises(ValueError, match=r"Axis 4 is out of bounds for input shape"):
        GroupNormalization(groups=2, axis=4).build((2, 6, 4))
    with pytest.raises(ValueError, match="not the batch axis"):
        GroupNormalization(groups=2, axis=-3).build((2, 6, 4))


def test_built_layers_check_the_feature_size_they_were_built_for(load_layer):
    """`build` re-sets the input spec with the known axis, as Keras's `Dense` does."""
    Dense = load_layer("dense")
    layer = Dense(3)
    layer(np.zeros((2, 4), dtype="float32"))
    with pytest.raises(ValueError, match="incompatible with the layer"):
        layer(np.zeros((2, 5), dtype="float32"))
    with pytest.raises(ValueError, match="Expected a positive integer"):
        Dense(2.5)
    with pytest.raises(ValueError, match="Received: units=3"):
        Dense("3")


def test_float32_internal_keeps_float64_precision(load_layer):
    """Computed in `result_type(inputs.dtype, "float32")`: a float64 layer normalizes
    float64 inputs in float64 (float32 math would be off by some 1e-7)."""
    if keras.config.backend() == "jax":
        import jax

        if not jax.config.jax_enable_x64:
            pytest.skip("JAX runs without float64 (jax_enable_x64 is off)")
    GroupNormalization = load_layer("group-normalization")
    x = np.random.default_rng(5).normal(size=(2, 4, 6)) * 3.0 + 1.0
    layer = GroupNormalization(groups=3, epsilon=1e-3, dtype="float64")
    y = layer(ops.convert_to_tensor(x, dtype="float64"))
    assert keras.backend.standardize_dtype(y.dtype) == "float64"
    grouped = x.reshape(2, 4, 3, 2)
    mean = grouped.mean(axis=(1, 3), keepdims=True)
    variance = grouped.var(axis=(1, 3), keepdims=True)
    expected = ((grouped - mean) / np.sqrt(variance + 1e-3)).reshape(x.shape)
    if keras.config.backend() == "torch":
        # Observed: float64 output that matches a float64 reference only to ~2e-7
        # (float32 precision) on torch; not yet traced (Keras op or the layer).
        np.testing.assert_allclose(_np(y), expected, rtol=1e-5, atol=1e-6)
        pytest.xfail("torch: float64 GroupNormalization at float32 precision")
    np.testing.assert_allclose(_np(y), expected, rtol=1e-10, atol=1e-10)


def test_masked_average_pooling_equals_numpy_masked_mean(load_layer):
    MaskedAveragePooling = load_layer("masked-average-pooling")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 7, 5)).astype("float32")
    mask = rng.random(size=(4, 7)) > 0.4
    mask[:, 0] = True
    expected = (x * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
    layer = MaskedAveragePooling()
    y = _np(layer(x, mask=ops.convert_to_tensor(mask)))
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    noisy = np.where(mask[..., None], x, 1e4).astype("float32")
    np.testing.assert_allclose(
        _np(layer(noisy, mask=ops.convert_to_tensor(mask))), y, rtol=1e-5, atol=1e-6
    )
    assert layer.compute_mask(x, ops.convert_to_tensor(mask)) is None
    np.testing.assert_allclose(_np(layer(x)), x.mean(axis=1), rtol=1e-5, atol=1e-6)


def test_decaying_dropout_counts_training_calls_and_is_identity_at_inference(
    load_layer,
):
    DecayingDropout = load_layer("decaying-dropout")
    layer = DecayingDropout(
        initial_keep_rate=0.6, decay_interval=2, decay_rate=0.5, seed=3
    )
    x = np.ones((64, 32), dtype="float32")
    for _ in range(5):
        layer(x, training=True)
    assert float(_np(layer.iterations)) == 5.0
    np.testing.assert_array_equal(_np(layer(x, training=False)), x)
    np.testing.assert_array_equal(_np(layer(x)), x)
    assert float(_np(layer.iterations)) == 5.0
    # After 5 steps the keep rate is 0.6 * 0.5 ** floor(5 / 2) = 0.15: kept values are
    # scaled by 1 / 0.15 and about 15% of them are kept.
    y = _np(layer(x, training=True))
    kept = y[y != 0]
    np.testing.assert_allclose(kept, 1 / 0.15, rtol=1e-5)
    assert 0.08 < kept.size / y.size < 0.22


def test_moving_statistics_follow_the_closed_form(load_layer):
    MovingAverageNormalization = load_layer("moving-average-normalization")
    momentum, steps = 0.9, 6
    rng = np.random.default_rng(4)
    x = (rng.normal(size=(16, 5)) * 2.0 + 3.0).astype("float32")
    layer = MovingAverageNormalization(momentum=momentum)
    for _ in range(steps):
        y = _np(layer(x, training=True))
    mean, var = x.mean(axis=0), x.var(axis=0)
    decay = momentum**steps
    np.testing.assert_allclose(_np(layer.moving_mean), mean * (1 - decay), rtol=1e-4)
    np.testing.assert_allclose(
        _np(layer.moving_variance), decay + var * (1 - decay), rtol=1e-4
    )
    np.testing.assert_allclose(
        y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4
    )
    before = _np(layer.moving_mean).copy()
    inferred = _np(layer(x, training=False))
    np.testing.assert_array_equal(_np(layer.moving_mean), before)
    expected = (x - before) / np.sqrt(_np(layer.moving_variance) + 1e-3)
    np.testing.assert_allclose(inferred, expected, rtol=1e-4, atol=1e-4)


def test_dense_matches_matmul_plus_bias(load_layer):
    Dense = load_layer("dense")
    x = np.random.default_rng(5).normal(size=(4, 8)).astype("float32")
    layer = Dense(3, bias_initializer="ones")
    y = _np(layer(x))
    np.testing.assert_allclose(
        y, x @ _np(layer.kernel) + _np(layer.bias), rtol=1e-5, atol=1e-5
    )
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    no_bias = Dense(3, use_bias=False, activation="tanh")
    y = _np(no_bias(x))
    assert no_bias.bias is None and len(no_bias.weights) == 1
    np.testing.assert_allclose(
        y, np.tanh(x @ _np(no_bias.kernel)), rtol=1e-5, atol=1e-5
    )


def test_padding_mask_equals_any_not_equal(load_layer):
    PaddingMask = load_layer("padding-mask")
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3, 6, 4)).astype("float32")
    x[0, 2:] = 0.0
    x[2, 4, :] = 0.0
    x[1, 1, 0] = 0.0  # one zero feature does not make a step padding
    layer = PaddingMask()
    mask = _np(layer.compute_mask(x))
    np.testing.assert_array_equal(mask, np.any(x != 0.0, axis=-1))
    np.testing.assert_array_equal(_np(layer(x)), x)
    model = keras.Sequential([keras.Input((6, 4)), PaddingMask()])
    np.testing.assert_array_equal(_np(model.layers[-1].compute_mask(x)), mask)
    strict = PaddingMask(mode="all")
    np.testing.assert_array_equal(
        _np(strict.compute_mask(x)), np.all(x != 0.0, axis=-1)
    )
    y = _np(strict(x))
    np.testing.assert_array_equal(y[1, 1], 0.0)
    with pytest.raises(ValueError, match="Expected one of 'any', 'all'"):
        PaddingMask(mode="some")
