"""The catalogue layers generated for tf-keras compute what their docs promise.

The same checks as tests/runtime/test_catalogue_behaviour.py, plus what tf-keras adds:
state updated through `add_update` only in training, in eager mode, in graph mode (with a
Python or a tensor `training` flag) and inside `fit`.
"""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.backend


def test_group_normalization_gives_zero_mean_unit_variance_per_group(tf, load_layer):
    GroupNormalization = load_layer("group-normalization")
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(3, 5, 8)) * 4.0 + 7.0).astype("float32")
    layer = GroupNormalization(groups=4, epsilon=1e-6)
    for y in (layer(x).numpy(), tf.function(layer)(x).numpy()):
        grouped = y.reshape(3, 5, 4, 2)  # channels last, 4 groups of 2 channels
        np.testing.assert_allclose(grouped.mean(axis=(1, 3)), 0.0, atol=1e-4)
        np.testing.assert_allclose(grouped.var(axis=(1, 3)), 1.0, atol=1e-3)


def test_group_normalization_channels_first(load_layer):
    GroupNormalization = load_layer("group-normalization")
    x = np.random.default_rng(2).normal(size=(2, 6, 5)).astype("float32") * 3 + 1
    y = GroupNormalization(groups=3, axis=1, epsilon=1e-6)(x).numpy()
    grouped = y.reshape(2, 3, 2, 5)
    np.testing.assert_allclose(grouped.mean(axis=(2, 3)), 0.0, atol=1e-4)
    np.testing.assert_allclose(grouped.var(axis=(2, 3)), 1.0, atol=1e-3)


def test_group_normalization_rejects_indivisible_channels(tf, load_layer):
    GroupNormalization = load_layer("group-normalization")
    with pytest.raises(ValueError, match=r"multiple of the number of groups"):
        GroupNormalization(groups=4).build((2, 5, 6))
    with pytest.raises(ValueError, match=r"Received: input_shape=\(None, 5, 6\)"):
        GroupNormalization(groups=4).build(tf.TensorShape([None, 5, 6]))
    with pytest.raises(ValueError, match="Invalid value for argument `groups`"):
        GroupNormalization(groups=0)
    with pytest.raises(ValueError, match=r"Axis 4 is out of bounds for input shape"):
        GroupNormalization(groups=2, axis=4).build((2, 6, 4))


def test_masked_average_pooling_equals_numpy_masked_mean(tf, load_layer):
    MaskedAveragePooling = load_layer("masked-average-pooling")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 7, 5)).astype("float32")
    mask = rng.random(size=(4, 7)) > 0.4
    mask[:, 0] = True
    expected = (x * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
    layer = MaskedAveragePooling()
    y = layer(x, mask=tf.constant(mask)).numpy()
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    noisy = np.where(mask[..., None], x, 1e4).astype("float32")
    np.testing.assert_allclose(
        layer(noisy, mask=tf.constant(mask)).numpy(), y, rtol=1e-5, atol=1e-6
    )
    assert layer.compute_mask(x, tf.constant(mask)) is None
    np.testing.assert_allclose(layer(x).numpy(), x.mean(axis=1), rtol=1e-5, atol=1e-6)
    none_valid = np.zeros((4, 7), dtype=bool)
    np.testing.assert_array_equal(layer(x, mask=tf.constant(none_valid)).numpy(), 0.0)


def test_masked_average_pooling_takes_the_mask_of_masking(tf_keras, load_layer):
    MaskedAveragePooling = load_layer("masked-average-pooling")
    x = np.random.default_rng(4).normal(size=(3, 6, 4)).astype("float32")
    x[1, 3:] = 0.0
    model = tf_keras.Sequential(
        [tf_keras.Input((6, 4)), tf_keras.layers.Masking(), MaskedAveragePooling()]
    )
    np.testing.assert_allclose(model(x).numpy()[1], x[1, :3].mean(axis=0), rtol=1e-5)


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
    assert float(layer.iterations.numpy()) == 5.0
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    assert float(layer.iterations.numpy()) == 5.0
    # After 5 steps the keep rate is 0.6 * 0.5 ** floor(5 / 2) = 0.15: kept values are
    # scaled by 1 / 0.15 and about 15% of them are kept.
    y = layer(x, training=True).numpy()
    kept = y[y != 0]
    np.testing.assert_allclose(kept, 1 / 0.15, rtol=1e-5)
    assert 0.08 < kept.size / y.size < 0.22


def test_decaying_dropout_counts_in_graph_mode(tf, load_layer):
    DecayingDropout = load_layer("decaying-dropout")
    layer = DecayingDropout(initial_keep_rate=0.5, seed=1)
    x = np.ones((8, 4), dtype="float32")
    python_flag = tf.function(lambda inputs, training: layer(inputs, training=training))
    for _ in range(3):
        python_flag(x, True)
    np.testing.assert_array_equal(python_flag(x, False).numpy(), x)
    assert float(layer.iterations.numpy()) == 3.0
    tensor_flag = tf.function(lambda inputs, training: layer(inputs, training=training))
    for training in (True, False, True, False):
        tensor_flag(x, tf.constant(training))
    assert float(layer.iterations.numpy()) == 5.0


def test_decaying_dropout_counts_the_steps_of_fit_and_not_predict(tf_keras, load_layer):
    DecayingDropout = load_layer("decaying-dropout")
    inputs = tf_keras.Input((6,))
    model = tf_keras.Model(
        inputs, DecayingDropout(seed=2)(tf_keras.layers.Dense(6)(inputs))
    )
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(5).normal(size=(40, 6)).astype("float32")
    model.fit(x, x, batch_size=10, epochs=2, verbose=0)
    layer = model.layers[-1]
    assert float(layer.iterations.numpy()) == 8.0
    model.predict(x, batch_size=10, verbose=0)
    model.evaluate(x, x, batch_size=10, verbose=0)
    assert float(layer.iterations.numpy()) == 8.0


def _closed_form(x, momentum, steps):
    mean, var = x.mean(axis=0), x.var(axis=0)
    decay = momentum**steps
    return mean, var, mean * (1 - decay), decay + var * (1 - decay)


@pytest.mark.parametrize("mode", ["eager", "graph"])
def test_moving_statistics_follow_the_closed_form(mode, tf, load_layer):
    MovingAverageNormalization = load_layer("moving-average-normalization")
    momentum, steps = 0.9, 6
    rng = np.random.default_rng(4)
    x = (rng.normal(size=(16, 5)) * 2.0 + 3.0).astype("float32")
    layer = MovingAverageNormalization(momentum=momentum)
    call = layer if mode == "eager" else tf.function(layer)
    for _ in range(steps):
        y = call(x, training=True).numpy()
    mean, var, moving_mean, moving_var = _closed_form(x, momentum, steps)
    np.testing.assert_allclose(layer.moving_mean.numpy(), moving_mean, rtol=1e-4)
    np.testing.assert_allclose(layer.moving_variance.numpy(), moving_var, rtol=1e-4)
    np.testing.assert_allclose(
        y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4
    )
    before = layer.moving_mean.numpy().copy()
    inferred = call(x, training=False).numpy()
    np.testing.assert_array_equal(layer.moving_mean.numpy(), before)
    expected = (x - before) / np.sqrt(layer.moving_variance.numpy() + 1e-3)
    np.testing.assert_allclose(inferred, expected, rtol=1e-4, atol=1e-4)


def test_moving_statistics_update_in_fit_only(tf_keras, load_layer):
    MovingAverageNormalization = load_layer("moving-average-normalization")
    momentum = 0.5
    x = (np.random.default_rng(6).normal(size=(12, 3)) * 3.0 - 1.0).astype("float32")
    model = tf_keras.Sequential(
        [tf_keras.Input((3,)), MovingAverageNormalization(momentum)]
    )
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, x, batch_size=12, epochs=3, verbose=0)  # 3 steps on the same batch
    layer = model.layers[-1]
    _, _, moving_mean, moving_var = _closed_form(x, momentum, 3)
    np.testing.assert_allclose(layer.moving_mean.numpy(), moving_mean, rtol=1e-4)
    np.testing.assert_allclose(layer.moving_variance.numpy(), moving_var, rtol=1e-4)
    model.predict(x, verbose=0)
    np.testing.assert_allclose(layer.moving_mean.numpy(), moving_mean, rtol=1e-4)


def test_dense_matches_matmul_plus_bias(load_layer):
    Dense = load_layer("dense")
    x = np.random.default_rng(5).normal(size=(4, 8)).astype("float32")
    layer = Dense(3, bias_initializer="ones")
    y = layer(x).numpy()
    np.testing.assert_allclose(
        y, x @ layer.kernel.numpy() + layer.bias.numpy(), rtol=1e-5, atol=1e-5
    )
    assert [w.name.split("/")[-1] for w in layer.weights] == ["kernel:0", "bias:0"]
    no_bias = Dense(3, use_bias=False, activation="tanh")
    y = no_bias(x).numpy()
    assert no_bias.bias is None and len(no_bias.weights) == 1
    np.testing.assert_allclose(
        y, np.tanh(x @ no_bias.kernel.numpy()), rtol=1e-5, atol=1e-5
    )
    sequences = np.random.default_rng(6).normal(size=(2, 5, 8)).astype("float32")
    np.testing.assert_allclose(
        layer(sequences).numpy(),
        sequences @ layer.kernel.numpy() + layer.bias.numpy(),
        rtol=1e-5,
        atol=1e-5,
    )


def test_dense_keeps_static_shapes_in_a_functional_model(tf_keras, load_layer):
    Dense = load_layer("dense")
    inputs = tf_keras.Input((5, 8))
    outputs = Dense(4)(inputs)
    assert tuple(outputs.shape) == (None, 5, 4)


def test_padding_mask_equals_any_not_equal(tf, tf_keras, load_layer):
    PaddingMask = load_layer("padding-mask")
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3, 6, 4)).astype("float32")
    x[0, 2:] = 0.0
    x[2, 4, :] = 0.0
    x[1, 1, 0] = 0.0  # one zero feature does not make a step padding
    layer = PaddingMask()
    mask = layer.compute_mask(x).numpy()
    np.testing.assert_array_equal(mask, np.any(x != 0.0, axis=-1))
    np.testing.assert_array_equal(layer(x).numpy(), x)
    model = tf_keras.Sequential([tf_keras.Input((6, 4)), PaddingMask()])
    np.testing.assert_array_equal(model(x)._keras_mask.numpy(), mask)
    strict = PaddingMask(mode="all")
    np.testing.assert_array_equal(
        strict.compute_mask(x).numpy(), np.all(x != 0.0, axis=-1)
    )
    y = strict(x).numpy()
    np.testing.assert_array_equal(y[1, 1], 0.0)
    incoming = np.ones((3, 6), dtype=bool)
    incoming[:, 0] = False
    combined = layer.compute_mask(x, tf.constant(incoming)).numpy()
    np.testing.assert_array_equal(combined, np.any(x != 0.0, axis=-1) & incoming)
    with pytest.raises(ValueError, match="Expected one of 'any', 'all'"):
        PaddingMask(mode="some")
