"""Every leaf catalogue layer (one tensor in and out, no sub-layers), generated for
tf-keras, keeps the Keras 2 layer contract (the composite ones: their own generated
tests, tests/tf_keras/test_generated_tests.py).

Eager and graph mode (`tf.function`), a `fit` step, `get_config`/`from_config`, `.keras`
and `.h5` save/load, masks as the spec's `masking` says, and mixed precision.
"""

from __future__ import annotations

import numpy as np
import pytest

from keraslayer_gen import api
from tests.catalogue import leaf_examples_for
from tests.tf_keras.catalogue import CASES, data, example

pytestmark = pytest.mark.backend


def _spec(name):
    return api.load_example(name).spec


def _model(keras, layer_class, spec_example):
    inputs = keras.Input(
        shape=spec_example["input_shape"][1:], dtype=spec_example["dtype"]
    )
    hidden = inputs
    if spec_example["mask"]:
        hidden = keras.layers.Masking(mask_value=0.0)(hidden)
    outputs = layer_class(**spec_example["init"])(hidden)
    return keras.Model(inputs, outputs)


def _inference(layer, spec, x, mask=None):
    kwargs = {"training": False} if spec.training else {}
    if mask is not None:
        kwargs["mask"] = mask
    return layer(x, **kwargs)


@pytest.mark.parametrize(("name", "index"), CASES)
def test_builds_and_calls_in_eager_and_graph_mode(name, index, tf, load_layer):
    spec, spec_example = _spec(name), example(name, index)
    layer_class = load_layer(name)
    x, mask = data(spec_example)
    mask = (
        tf.constant(mask)
        if mask is not None and spec.masking in ("consume", "custom")
        else None
    )
    layer = layer_class(**spec_example["init"])
    layer.build(x.shape)
    assert layer.built
    init = spec_example["init"]
    expected = [
        weight
        for weight, declared in spec.weights.items()
        if declared.when is None
        or init.get(declared.when, spec.args[declared.when].default)
    ]
    assert [w.name.split("/")[-1].split(":")[0] for w in layer.weights] == expected
    eager = _inference(layer, spec, x, mask)
    assert tuple(eager.shape) == tuple(layer.compute_output_shape(x.shape))
    graph = tf.function(lambda inputs: _inference(layer, spec, inputs, mask))(x)
    np.testing.assert_allclose(graph.numpy(), eager.numpy(), rtol=1e-6, atol=1e-6)
    if spec.training:
        trained = tf.function(lambda inputs: layer(inputs, training=True))(x)
        assert trained.shape == eager.shape
        assert np.all(np.isfinite(trained.numpy()))
        flag = tf.function(lambda inputs, training: layer(inputs, training=training))
        # The training call may have updated state: compare with inference now.
        np.testing.assert_allclose(
            flag(x, tf.constant(False)).numpy(),
            _inference(layer, spec, x).numpy(),
            rtol=1e-6,
            atol=1e-6,
        )


@pytest.mark.parametrize(("name", "index"), CASES)
def test_one_fit_step_trains(name, index, tf_keras, load_layer):
    spec_example = example(name, index)
    x, _ = data(spec_example)
    model = _model(tf_keras, load_layer(name), spec_example)
    model.compile(optimizer="sgd", loss="mse")
    target = np.ones_like(model(x).numpy(), dtype="float32")
    before = [w.numpy().copy() for w in model.trainable_weights]
    history = model.fit(x, target, batch_size=len(x), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    after = [w.numpy() for w in model.trainable_weights]
    if before:
        assert any(not np.allclose(b, a) for b, a in zip(before, after, strict=True))


@pytest.mark.parametrize(("name", "index"), CASES)
def test_config_round_trip(name, index, tf_keras, load_layer):
    spec, spec_example = _spec(name), example(name, index)
    layer_class = load_layer(name)
    x, _ = data(spec_example)
    layer = layer_class(**spec_example["init"])
    config = layer.get_config()
    clone = layer_class.from_config(config)
    assert clone.get_config() == config
    for key, value in spec_example["init"].items():
        assert key in config, f"get_config lacks the __init__ argument {key}"
        if not isinstance(value, str):
            assert config[key] == (tuple(value) if isinstance(value, list) else value)
    revived = tf_keras.layers.deserialize(tf_keras.layers.serialize(layer))
    assert type(revived) is layer_class
    layer.build(x.shape)
    clone.build(x.shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(
        _inference(clone, spec, x).numpy(),
        _inference(layer, spec, x).numpy(),
        rtol=1e-6,
    )


@pytest.mark.filterwarnings("ignore:You are saving your model as an HDF5 file")
@pytest.mark.parametrize("save_format", ["keras", "h5"])
@pytest.mark.parametrize(("name", "index"), CASES)
def test_save_and_load_give_the_same_outputs(
    name, index, save_format, tmp_path, tf_keras, load_layer
):
    spec_example = example(name, index)
    x, _ = data(spec_example)
    model = _model(tf_keras, load_layer(name), spec_example)
    model.compile(optimizer="sgd", loss="mse")
    # A training step first, so that state (counters, moving statistics) is not initial.
    model.fit(x, np.ones_like(model(x).numpy()), batch_size=len(x), epochs=1, verbose=0)
    path = tmp_path / f"model.{save_format}"
    model.save(path)
    loaded = tf_keras.models.load_model(path)
    assert type(loaded.layers[-1]) is load_layer(name)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6
    )
    # tf-keras's `.keras` loader creates variables outside the layer's name scope.
    names = [w.name.split("/")[-1] for w in model.weights]
    assert [w.name.split("/")[-1] for w in loaded.weights] == names
    for saved, restored in zip(model.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(restored.numpy(), saved.numpy())


@pytest.mark.parametrize("name", leaf_examples_for("tf-keras"))
def test_masks_follow_the_masking_policy(name, tf_keras, load_layer):
    spec = _spec(name)
    spec_example = next(
        e.model_dump() for e in spec.examples if len(e.input_shape) >= 3
    )
    x, _ = data({**spec_example, "mask": False})
    x[:, -1, ...] = 0.0  # the last step is padding for `Masking`
    layer = load_layer(name)(**spec_example["init"])
    masked = tf_keras.layers.Masking(mask_value=0.0)(x)
    outputs = layer(masked)
    out_mask = getattr(outputs, "_keras_mask", None)
    assert layer.supports_masking is (spec.masking != "none")
    if spec.masking == "propagate":
        np.testing.assert_array_equal(out_mask.numpy(), masked._keras_mask.numpy())
    elif spec.masking in ("none", "consume"):
        assert out_mask is None
    else:
        expected = layer.compute_mask(x, masked._keras_mask)
        np.testing.assert_array_equal(out_mask.numpy(), expected.numpy())
        assert not out_mask.numpy()[:, -1].any()


@pytest.mark.usefixtures("mixed_float16")
@pytest.mark.parametrize(("name", "index"), CASES)
def test_mixed_precision_keeps_float_weights_float32(name, index, tf, load_layer):
    spec, spec_example = _spec(name), example(name, index)
    x, _ = data(spec_example)
    layer = load_layer(name)(**spec_example["init"])
    outputs = layer(x, training=True) if spec.training else layer(x)
    assert layer.compute_dtype == "float16"
    assert outputs.dtype == tf.float16
    assert np.all(np.isfinite(outputs.numpy().astype("float32")))
    assert _inference(layer, spec, x).dtype == tf.float16
    for weight in layer.weights:
        if weight.dtype.is_floating:
            assert weight.dtype == tf.float32, weight.name
    # Weights the spec keeps out of autocasting (`autocast: false`, `float32_internal`)
    # are read as float32 inside `call`; the others as float16.
    for weight in layer.weights:
        declared = spec.weights[weight.name.split("/")[-1].split(":")[0]]
        autocast = declared.autocast
        if autocast is None:
            autocast = not spec.float32_internal
        assert (type(weight).__name__ == "AutoCastVariable") is autocast, weight.name
