"""Bug: a dropout-like layer whose `call` has no `training` argument.

Without `training`, Keras cannot tell the layer it is predicting, so the noise is drawn
at inference too: `predict` gives another answer every time. Caught by `training`
(two inference calls must agree), whose message says to add `training=None`; the
checks that compare two inference runs (`jit-parity`, `save-load`) skip rather than
blame "Python-side state" or the saved config. `Fixed` takes `training=None` and drops
only when training.
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus.random_without_training"

CASE = {
    "check": "training",
    "fix": ("training=None",),
    "not_fix": ("python-side state", "to None in call"),
    "expect": {
        "input_shape": (3, 5),
        "init": {"rate": 0.5, "seed": 3},
        "masking": "none",
        "stochastic": True,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 1,
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """Inverted dropout: zero `rate` of the features, scale the rest by 1/(1-rate)."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.seed = rate, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        return keras.random.dropout(inputs, self.rate, seed=self.seed_generator)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """Inverted dropout: zero `rate` of the features, scale the rest by 1/(1-rate)."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.seed = rate, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        if training:
            return keras.random.dropout(inputs, self.rate, seed=self.seed_generator)
        return ops.copy(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


def symptom(cls):
    """Two inference calls differ."""
    import numpy as np

    layer = cls(rate=0.5, seed=3)
    x = np.ones((3, 5), "float32")
    first = keras.ops.convert_to_numpy(layer(x, training=False))
    second = keras.ops.convert_to_numpy(layer(x, training=False))
    if not np.array_equal(first, second):
        return "two inference calls differ"
    return None
