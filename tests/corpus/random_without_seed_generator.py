"""Bug: `keras.random.normal` is called without a `SeedGenerator`.

An unseeded random op draws from Keras's global generator: results cannot be
reproduced per layer, and under JAX's `jit` (which `fit` uses) Keras refuses it:
"When tracing a JAX function, you should only use seeded random ops". The static
`state-hygiene` check sees the missing `seed=`; on JAX the compiled `fit` step
fails, which the runtime checks that train the layer also report.
`Fixed` draws from `self.seed_generator`.
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus.random_without_seed_generator"

CASE = {
    "check": "state-hygiene",
    "symptom_backends": ("jax",),
    "fix": ("seed=", "SeedGenerator"),
    "also_backends": ("jax",),
    "also": {
        "training": "fit fails on JAX: unseeded random op under jit",
        "state": "fit fails on JAX: unseeded random op under jit",
        "gradients": "fit fails on JAX: unseeded random op under jit",
        "jit-parity": "the failed jit trace leaves the layer's variables unusable",
        "save-load": "the fit step before saving fails on JAX",
    },
    "expect": {
        "input_shape": (3, 5),
        "init": {"stddev": 0.5, "seed": 3},
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
    """Adds zero-centred Gaussian noise in training; the identity at inference."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=None):
        if training:
            noise = keras.random.normal(
                ops.shape(inputs), stddev=self.stddev, dtype=inputs.dtype
            )
            return inputs + noise
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"stddev": self.stddev, "seed": self.seed}
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """Adds zero-centred Gaussian noise in training; the identity at inference."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=None):
        if training:
            noise = keras.random.normal(
                ops.shape(inputs),
                stddev=self.stddev,
                dtype=inputs.dtype,
                seed=self.seed_generator,
            )
            return inputs + noise
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"stddev": self.stddev, "seed": self.seed}
        return {**super().get_config(), **config}


def symptom(cls):
    """A training step fails where `fit` compiles by default (JAX)."""
    import numpy as np

    model = keras.Sequential(
        [keras.Input((5,)), cls(stddev=0.5, seed=3), keras.layers.Dense(2)]
    )
    model.compile(optimizer="sgd", loss="mse")
    data = np.ones((4, 5), "float32")
    try:
        model.fit(data, np.ones((4, 2), "float32"), epochs=1, verbose=0)
    except Exception as exc:
        return f"fit failed: {exc}"
    return None
