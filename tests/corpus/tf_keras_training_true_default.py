"""Bug: (tf-keras) `call` defaults `training` to `True`.

The Keras 2 twin of `training_true_default`: when nothing else sets the training
phase, tf_keras falls back on the default of `call`'s `training` argument, so a layer
or a model called without `training` (`model(x)` in a custom loop or at serving time)
runs `K.in_train_phase`'s training function and adds noise at inference. The static
`structure` check sees the default; at runtime `training` sees that a call without
`training` differs from `training=False`. `Fixed` defaults to `None`.
"""

import tensorflow as tf
import tf_keras as keras
from tf_keras import backend as K

PACKAGE = "klgen_corpus.tf_keras_training_true_default"

CASE = {
    "target": "tf-keras",
    "backends": ("tensorflow",),
    "check": "structure",
    "fix": ("training", "None"),
    "also": {
        "training": "a call without training runs the noisy training path",
    },
    "expect": {
        "input_shape": (3, 5),
        "init": {"stddev": 0.5},
        "masking": "propagate",
        "mask": True,
        "training": True,
        "stochastic": True,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 0,
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """Adds zero-centred Gaussian noise in training; the identity at inference."""

    def __init__(self, stddev, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.stddev = stddev

    def call(self, inputs, training=True):
        def noised():
            return inputs + K.random_normal(
                shape=tf.shape(inputs), stddev=self.stddev, dtype=inputs.dtype
            )

        return K.in_train_phase(noised, inputs, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev})
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """Adds zero-centred Gaussian noise in training; the identity at inference."""

    def __init__(self, stddev, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.stddev = stddev

    def call(self, inputs, training=None):
        def noised():
            return inputs + K.random_normal(
                shape=tf.shape(inputs), stddev=self.stddev, dtype=inputs.dtype
            )

        return K.in_train_phase(noised, inputs, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev})
        return config


def symptom(cls):
    """`model(x)` without `training` adds noise."""
    import numpy as np

    model = keras.Sequential([keras.Input((5,)), cls(stddev=0.5)])
    x = np.ones((4, 5), "float32")
    outputs = model(x).numpy()
    if not np.allclose(outputs, x):
        return f"model(x) adds noise: max change {np.max(np.abs(outputs - x)):.3f}"
    return None
