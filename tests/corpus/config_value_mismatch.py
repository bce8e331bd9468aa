"""Bug: `get_config` writes a derived value under an argument's name.

The layer stores `keep_rate = 1 - rate` and its config says `"rate": keep_rate`, so
every rebuilt copy (`from_config`, `load_model`, cloning) has the complementary drop
rate: 0.2 becomes 0.8. The key is present, so the static `config-complete` check
cannot see it. Caught by `config-roundtrip` (`from_config(get_config())` must give an
equal config). `Fixed` writes `rate`.
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus.config_value_mismatch"

CASE = {
    "check": "config-roundtrip",
    "fix": ("rate",),
    "expect": {
        "input_shape": (3, 5),
        "init": {"rate": 0.2, "seed": 3},
        "masking": "propagate",
        "mask": True,
        "training": True,
        "stochastic": True,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 1,
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """Drops inputs with probability `rate` in training (inverted dropout)."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.keep_rate = 1.0 - rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=None):
        if training:
            keep = (
                keras.random.uniform(ops.shape(inputs), seed=self.seed_generator)
                < self.keep_rate
            )
            return ops.where(keep, inputs / self.keep_rate, ops.zeros_like(inputs))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"rate": self.keep_rate, "seed": self.seed}
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """Drops inputs with probability `rate` in training (inverted dropout)."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.keep_rate = 1.0 - rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=None):
        if training:
            keep = (
                keras.random.uniform(ops.shape(inputs), seed=self.seed_generator)
                < self.keep_rate
            )
            return ops.where(keep, inputs / self.keep_rate, ops.zeros_like(inputs))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"rate": 1.0 - self.keep_rate, "seed": self.seed}
        return {**super().get_config(), **config}


def symptom(cls):
    """A copy rebuilt from the config has another drop rate."""
    layer = cls(rate=0.2, seed=3)
    copy = cls.from_config(layer.get_config())
    if abs(copy.keep_rate - layer.keep_rate) > 1e-9:
        return f"keep rate {layer.keep_rate:.2f}, rebuilt copy {copy.keep_rate:.2f}"
    return None
