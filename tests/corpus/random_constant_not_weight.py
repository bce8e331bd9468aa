"""Bug: a random but fixed projection is kept as a plain tensor, not a weight.

The random-features layer draws its projection in `build()` and stores it as a
constant. It is fixed for the life of the object, so inference is deterministic,
but it is not a variable: `model.save` does not write it, and the model
`load_model` returns draws a new projection and computes a different function.
Caught by `save-load` (same outputs after saving and loading). `Fixed` makes the
projection a non-trainable weight.
"""

import keras
import numpy as np
from keras import ops

PACKAGE = "klgen_corpus.random_constant_not_weight"

CASE = {
    "check": "save-load",
    "fix": ("weight",),
    "expect": {
        "input_shape": (3, 5),
        "init": {"units": 8},
        "masking": "none",
        "training": False,
        "trainable": 1,
        "seed_generators": 0,
        "output_shape": (3, 8),
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """Random Fourier features: `cos(inputs @ projection + phase)` times a learned
    per-feature scale, with a fixed random projection and phase."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        rng = np.random.default_rng()
        self.projection = ops.convert_to_tensor(
            rng.normal(size=(input_shape[-1], self.units)), "float32"
        )
        self.phase = ops.convert_to_tensor(
            rng.uniform(0.0, 2.0 * np.pi, size=(self.units,)), "float32"
        )
        self.scale = self.add_weight(
            name="scale", shape=(self.units,), initializer="ones"
        )

    def call(self, inputs):
        projection = ops.cast(self.projection, inputs.dtype)
        phase = ops.cast(self.phase, inputs.dtype)
        return ops.cos(ops.matmul(inputs, projection) + phase) * self.scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """Random Fourier features: `cos(inputs @ projection + phase)` times a learned
    per-feature scale, with a fixed random projection and phase."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.projection = self.add_weight(
            name="projection",
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=False,
        )
        self.phase = self.add_weight(
            name="phase",
            shape=(self.units,),
            initializer=keras.initializers.RandomUniform(0.0, 2.0 * np.pi),
            trainable=False,
        )
        self.scale = self.add_weight(
            name="scale", shape=(self.units,), initializer="ones"
        )

    def call(self, inputs):
        return ops.cos(ops.matmul(inputs, self.projection) + self.phase) * self.scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def symptom(cls):
    """The loaded model computes a different function."""
    import os
    import tempfile

    model = keras.Sequential([keras.Input((5,)), cls(units=8)])
    data = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
    before = model.predict(data, verbose=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        after = keras.saving.load_model(path).predict(data, verbose=0)
    if not np.allclose(before, after, atol=1e-5):
        return f"outputs moved by {np.abs(before - after).max():.3f} after loading"
    return None
