"""The tf-keras parts of the runtime checks: graph mode under `tf.function` (`state`,
`jit-parity`), the legacy `.h5` format (`save-load`), and what stays Keras 3 only."""

from __future__ import annotations

from pathlib import Path

import pytest

from keraslayer_gen.harness import installed_backends
from keraslayer_gen.testing import assert_layer_contract

from .conftest import write_layer

#: A running count of the batch means; `steps` says how many batches it has seen.
RUNNING_MEAN = '''
"""Running mean of the batch means (a tf-keras layer)."""

import tensorflow as tf
import tf_keras as keras
from tf_keras import backend as K


@keras.saving.register_keras_serializable(package="tests")
class RunningMean(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.mean = None
        self.steps = None

    def build(self, input_shape):
        self.mean = self.add_weight(name="mean", shape=(input_shape[-1],),
                                    initializer="zeros", trainable=False)
        self.steps = self.add_weight(name="steps", shape=(), initializer="zeros",
                                     trainable=False)
        super().build(input_shape)

    def call(self, inputs, training=None):
        def train_fn():
            batch = tf.reduce_mean(inputs, axis=0)
            rate = STEP_RATE
            self.add_update(self.mean.assign(self.mean + (batch - self.mean) * rate))
            self.add_update(self.steps.assign_add(1.0))
            return inputs - batch

        return K.in_train_phase(train_fn, lambda: inputs - self.mean, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape
'''
#: Reads the counter in Python: frozen at its value when `tf.function` traces call.
FROZEN = "1.0 / (K.get_value(self.steps) + 1.0)"
#: Reads it as a tensor: the graph reads the variable on every call.
LIVE = "1.0 / (self.steps + 1.0)"

DUPLICATE_NAMES = '''
"""Two weights both named "w" (a tf-keras layer)."""

import tf_keras as keras


@keras.saving.register_keras_serializable(package="tests")
class TwoScales(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = None
        self.second = None

    def build(self, input_shape):
        self.first = self.add_weight(name="w", shape=(input_shape[-1],),
                                     initializer="ones", trainable=True)
        self.second = self.add_weight(name="w", shape=(input_shape[-1],),
                                      initializer="ones", trainable=True)
        super().build(input_shape)

    def call(self, inputs):
        return inputs * self.first * self.second

    def compute_output_shape(self, input_shape):
        return input_shape
'''


@pytest.fixture(scope="module")
def tf_keras_installed() -> None:
    if "tensorflow" not in installed_backends("tf-keras"):
        pytest.skip("tf-keras is not installed")


def _running_mean(folder: Path, name: str, rate: str) -> str:
    path = write_layer(folder, name, RUNNING_MEAN.replace("STEP_RATE", rate))
    return f"{path}:RunningMean"


def test_keras3_flavor_has_no_tf_keras_parts() -> None:
    from keraslayer_gen.harness.worker.flavor import Flavor, TfKerasFlavor

    assert Flavor.save_formats == (".keras",) and Flavor.graph_mode is False
    assert Flavor(keras=None).policy("mixed_float16") == "mixed_float16"
    assert TfKerasFlavor.save_formats == (".keras", ".h5") and TfKerasFlavor.graph_mode


@pytest.mark.harness
def test_state_frozen_at_trace_time_fails_in_graph_mode(
    tmp_path: Path, tf_keras_installed: None
) -> None:
    """K.get_value in call reads the counter once, when tf.function traces: eager calls
    and one fit step look right, two calls through one trace do not."""
    with pytest.raises(AssertionError) as caught:
        assert_layer_contract(
            _running_mean(tmp_path, "frozen_mean", FROZEN),
            backends="tensorflow",
            only="state",
            input_shape=(4, 3),
            state=["mean", "steps"],
        )
    text = str(caught.value)
    assert "state weight 'mean'" in text and "inside tf.function (graph mode)" in text
    assert "K.get_value" in text


@pytest.mark.harness
def test_state_read_as_a_tensor_passes_in_graph_mode(
    tmp_path: Path, tf_keras_installed: None
) -> None:
    report = assert_layer_contract(
        _running_mean(tmp_path, "live_mean", LIVE),
        backends="tensorflow",
        only=["state", "jit-parity"],
        input_shape=(4, 3),
        state=["mean", "steps"],
    )
    layer = report.layers[0]
    assert layer.backends[0].keras_version.startswith("2.")  # tf_keras ran it
    assert layer.result("state", "tensorflow").status == "pass"
    assert layer.result("jit-parity", "tensorflow").status == "pass"


@pytest.mark.harness
def test_save_load_also_goes_through_h5(
    tmp_path: Path, tf_keras_installed: None
) -> None:
    """Weights with one name save to `.keras` (stored by path) but not to `.h5` (stored
    by name): only the legacy format shows it."""
    path = write_layer(tmp_path, "two_scales", DUPLICATE_NAMES)
    with pytest.raises(AssertionError) as caught:
        assert_layer_contract(
            f"{path}:TwoScales",
            backends="tensorflow",
            only="save-load",
            input_shape=(2, 3),
        )
    text = str(caught.value)
    assert "two weights share the name 'w'" in text and ".h5" in text
    assert "unique name=" in text
