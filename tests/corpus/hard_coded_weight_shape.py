"""Bug: `build()` hard-codes a weight's input dimension to the example's feature size.

`shape=(5, self.units)` is right for the one input every check builds with, so a
harness that only knows that example passes it. `build()` of an input with 7 features
still succeeds (it never reads `input_shape`), and the first call then fails in the
matrix product. Caught by `build`, which builds and calls a second input with other
non-batch sizes. `Fixed` takes the size from `input_shape[-1]`.
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus.hard_coded_weight_shape"

CASE = {
    "check": "build",
    "fix": ("input_shape",),
    "expect": {
        "input_shape": (3, 5),
        "init": {"units": 3},
        "masking": "none",
        "training": False,
        "trainable": 1,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 3),
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """A bias-free linear projection to `units` features."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(5, self.units))

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """A bias-free linear projection to `units` features."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units))

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def symptom(cls):
    """Built for 7 features, the layer cannot be called on 7 features."""
    import numpy as np

    layer = cls(units=3)
    layer.build((None, 7))
    try:
        layer(np.ones((2, 7), "float32"))
    except Exception as exc:
        return f"call on 7 features raises {type(exc).__name__}"
    return None
