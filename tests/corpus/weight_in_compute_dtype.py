"""Bug: a weight is created in the compute dtype instead of the variable dtype.

`add_weight(dtype=self.compute_dtype)` gives a float16 variable under
`mixed_float16`: updates smaller than float16's resolution vanish and the
optimizer's loss scaling cannot protect it. Caught by `mixed-precision` (float
weights must stay float32). `Fixed` leaves the dtype to the policy's variable dtype.
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus.weight_in_compute_dtype"

CASE = {
    "check": "mixed-precision",
    "fix": ("float32",),
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
    """A fully connected layer with a ReLU activation."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_shape[-1], self.units),
            initializer="glorot_uniform",
            dtype=self.compute_dtype,
        )
        self.bias = self.add_weight(
            name="bias",
            shape=(self.units,),
            initializer="zeros",
            dtype=self.compute_dtype,
        )

    def call(self, inputs):
        return ops.relu(ops.matmul(inputs, self.kernel) + self.bias)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """A fully connected layer with a ReLU activation."""

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
        return ops.relu(ops.matmul(inputs, self.kernel) + self.bias)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def symptom(cls):
    """Under mixed_float16 the weights are float16 variables."""
    layer = cls(units=4, dtype="mixed_float16")
    layer.build((None, 5))
    dtypes = sorted({str(w.dtype) for w in layer.weights})
    if dtypes != ["float32"]:
        return f"variable dtypes under mixed_float16: {dtypes}"
    return None
