"""Bug: `compute_output_shape` returns the input shape of a layer that changes it.

Keras uses `compute_output_shape` for the symbolic output, so a functional model
thinks the layer outputs `(batch, 5)` where it really outputs `(batch, units)`: the
next layer is built for the wrong width and fails on real data. Caught by `shapes`.
`Fixed` returns `input_shape[:-1] + (units,)`.
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus.wrong_output_shape"

CASE = {
    "check": "shapes",
    "fix": ("compute_output_shape",),
    "expect": {
        "input_shape": (3, 5),
        "init": {"units": 4},
        "masking": "none",
        "training": False,
        "trainable": 2,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 4),
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """A fully connected layer with a tanh activation."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_shape[-1], self.units),
            initializer="glorot_uniform",
        )
        self.bias = self.add_weight(
            name="bias", shape=(self.units,), initializer="zeros"
        )

    def call(self, inputs):
        return ops.tanh(ops.matmul(inputs, self.kernel) + self.bias)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """A fully connected layer with a tanh activation."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_shape[-1], self.units),
            initializer="glorot_uniform",
        )
        self.bias = self.add_weight(
            name="bias", shape=(self.units,), initializer="zeros"
        )

    def call(self, inputs):
        return ops.tanh(ops.matmul(inputs, self.kernel) + self.bias)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def symptom(cls):
    """A layer stacked after it is built for the wrong width and fails."""
    import numpy as np

    inputs = keras.Input((5,))
    hidden = cls(units=4)(inputs)
    outputs = keras.layers.Dense(2)(hidden)
    model = keras.Model(inputs, outputs)
    if tuple(hidden.shape) != (None, 4):
        try:
            model.predict(np.ones((3, 5), "float32"), verbose=0)
        except Exception as exc:
            return f"symbolic shape {tuple(hidden.shape)}; predict failed: {exc}"
        return f"symbolic shape {tuple(hidden.shape)}, real (3, 4)"
    return None
