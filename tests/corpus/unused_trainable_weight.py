"""Bug: a trainable weight is created but never used in `call`.

The bias is built, counted and saved, but `call` forgets to add it: it never
receives a gradient, never trains, and TensorFlow warns "Gradients do not exist for
variables". Caught by `gradients` (every trainable weight must change after a fit
step). `Fixed` adds the bias.
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus.unused_trainable_weight"

CASE = {
    "check": "gradients",
    "fix": ("bias",),
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
    """A fully connected layer without activation."""

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
        return ops.matmul(inputs, self.kernel)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """A fully connected layer without activation."""

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
        return ops.matmul(inputs, self.kernel) + self.bias

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def symptom(cls):
    """The bias is unchanged after a fit step."""
    import warnings

    import numpy as np

    layer = cls(units=4)
    model = keras.Sequential([keras.Input((5,)), layer])
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 5)).astype("float32")
    y = rng.normal(size=(8, 4)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    if np.allclose(ops.convert_to_numpy(layer.bias), 0.0):
        return "bias unchanged after a fit step"
    return None
