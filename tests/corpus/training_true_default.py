"""Bug: `call` defaults `training` to `True`.

A layer called without `training` (as `model(x)` calls it at inference) runs its
training path, and Keras (<= 3.15) stores the default in the call context, so the
layers called after it in the same model run in training mode too: a sibling
`BatchNormalization` (whose `training` defaults to `None`) normalises with the batch
statistics and updates its moving mean at inference. The static `structure` check
sees the default; at runtime `training` sees that a call without `training` differs
from `training=False`. `Fixed` defaults to `None`.
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus.training_true_default"

CASE = {
    "check": "structure",
    "fix": ("training", "None"),
    "also": {
        "training": "a call without training runs the noisy training path",
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

    def call(self, inputs, training=True):
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
    """`model(x)` at inference: a BatchNormalization after the layer runs in
    training mode and updates its moving mean."""
    import numpy as np

    norm = keras.layers.BatchNormalization()
    model = keras.Sequential([keras.Input((5,)), cls(stddev=0.01, seed=3), norm])
    model(np.full((4, 5), 3.0, "float32"))
    moving = ops.convert_to_numpy(norm.moving_mean)
    if not np.allclose(moving, 0.0):
        return f"the sibling BatchNormalization's moving mean moved to {moving[0]:.3f}"
    return None
