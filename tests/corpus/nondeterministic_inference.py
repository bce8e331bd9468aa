"""Bug: the noise is gated on `self.trainable` instead of the `training` argument.

`trainable` says whether the weights may be updated, not whether the model is being
trained: the layer stays noisy at inference, so `predict` and `model(x)` give a
different answer every time. Caught by `training` (inference must be deterministic).
Because inference itself is random, the checks that compare two inference runs
(`masking`'s invariance, `jit-parity`, `save-load`) cannot tell anything: the first notes
it, the other two skip, each naming `training`. `Fixed` reads `training`.
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus.nondeterministic_inference"

CASE = {
    "check": "training",
    "fix": ("training",),
    # The layer defaults training to None: advice to change the default is a misdiagnosis.
    "not_fix": ("to None",),
    # `masking` still checks the masks and notes that invariance cannot be checked; the
    # comparisons of two inference runs skip, naming `training`.
    "also": {
        "jit-parity": "two predict runs differ: the inference path is random",
        "save-load": "predict before and after loading differ: it is random",
    },
    "expect": {
        "input_shape": (3, 5),
        "init": {"rate": 0.5, "seed": 3},
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
    """Multiplies the inputs by Gaussian noise of mean 1 in training (Gaussian
    dropout); the identity at inference."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=None):
        if self.trainable:
            stddev = (self.rate / (1.0 - self.rate)) ** 0.5
            noise = keras.random.normal(
                ops.shape(inputs),
                mean=1.0,
                stddev=stddev,
                dtype=inputs.dtype,
                seed=self.seed_generator,
            )
            return inputs * noise
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"rate": self.rate, "seed": self.seed}
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """Multiplies the inputs by Gaussian noise of mean 1 in training (Gaussian
    dropout); the identity at inference."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=None):
        if training:
            stddev = (self.rate / (1.0 - self.rate)) ** 0.5
            noise = keras.random.normal(
                ops.shape(inputs),
                mean=1.0,
                stddev=stddev,
                dtype=inputs.dtype,
                seed=self.seed_generator,
            )
            return inputs * noise
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"rate": self.rate, "seed": self.seed}
        return {**super().get_config(), **config}


def symptom(cls):
    """Two predict runs on the same data differ."""
    import numpy as np

    model = keras.Sequential([keras.Input((5,)), cls(rate=0.5, seed=3)])
    data = np.ones((3, 5), "float32")
    first = model.predict(data, verbose=0)
    second = model.predict(data, verbose=0)
    if not np.allclose(first, second):
        return f"predict moved by {np.abs(first - second).max():.3f}"
    return None
