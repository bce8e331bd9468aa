"""Bug: `build()` creates the layer's own weight but does not build its sub-layer.

Keras builds the sub-layer at the first call, so everything that calls the layer
works, and the trainable weights exist after a call. But after `build()` alone (what
`model.build`, `load_model` and `set_weights` rely on) the sub-layer has no weights:
`layer.build(shape); layer.set_weights(weights)` fails. Caught by `build`, which names
the cause ("build the sub-layers in build"), not the advice for batch-dependent weight
shapes. The reload of the saved model is `save-load`'s. `Fixed` calls
`self.dense.build(input_shape)`.
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus.build_skips_sublayers"

CASE = {
    "check": "build",
    "fix": ("build the sub-layers in build",),
    "not_fix": ("non-batch dimensions",),
    "also": {
        "save-load": "load_model builds the layer with build(): the Dense stays unbuilt",
    },
    "expect": {
        "input_shape": (3, 5),
        "init": {"units": 4},
        "masking": "none",
        "training": False,
        "trainable": 3,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 4),
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """A dense projection with a learned per-feature gate on its output."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = keras.layers.Dense(units, dtype=self.dtype_policy)

    def build(self, input_shape):
        self.gate = self.add_weight(name="gate", shape=(self.units,), initializer="ones")

    def call(self, inputs):
        return self.dense(inputs) * ops.sigmoid(self.gate)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """A dense projection with a learned per-feature gate on its output."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = keras.layers.Dense(units, dtype=self.dtype_policy)

    def build(self, input_shape):
        self.dense.build(input_shape)
        self.gate = self.add_weight(name="gate", shape=(self.units,), initializer="ones")

    def call(self, inputs):
        return self.dense(inputs) * ops.sigmoid(self.gate)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def symptom(cls):
    """build() then set_weights() of a called twin's weights fails."""
    import numpy as np

    called = cls(units=4)
    called(np.ones((2, 5), "float32"))
    built = cls(units=4)
    built.build((None, 5))
    try:
        built.set_weights(called.get_weights())
    except Exception as exc:
        return f"set_weights after build() raises {type(exc).__name__}"
    return None
