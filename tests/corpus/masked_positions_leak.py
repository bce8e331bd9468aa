"""Bug: a mask-consuming pooling layer lets the padded positions into its output.

The masked mean sums *all* time steps and divides by the number of unmasked ones:
the values at padded steps leak into the result, so padding changes predictions.
Caught by `masking` (mask invariance: changing masked values must not change any
output). `Fixed` multiplies by the mask before summing.
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus.masked_positions_leak"

CASE = {
    "check": "masking",
    "fix": ("mask",),
    "expect": {
        "input_shape": (3, 6, 4),
        "init": {},
        "masking": "consume",
        "mask": True,
        "training": False,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 4),
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """The mean over time of the unmasked steps: `(batch, time, features)` to
    `(batch, features)`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.mean(inputs, axis=1)
        weights = ops.cast(mask, inputs.dtype)[:, :, None]
        total = ops.sum(inputs, axis=1)
        count = ops.maximum(ops.sum(weights, axis=1), 1.0)
        return total / count

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """The mean over time of the unmasked steps: `(batch, time, features)` to
    `(batch, features)`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.mean(inputs, axis=1)
        weights = ops.cast(mask, inputs.dtype)[:, :, None]
        total = ops.sum(inputs * weights, axis=1)
        count = ops.maximum(ops.sum(weights, axis=1), 1.0)
        return total / count

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


def symptom(cls):
    """Changing the values of padded steps changes the output."""
    import numpy as np

    rng = np.random.default_rng(0)
    data = rng.normal(size=(2, 6, 4)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 0]], bool)
    other = data.copy()
    other[~mask] = 100.0
    layer = cls()
    first = ops.convert_to_numpy(layer(data, mask=mask))
    second = ops.convert_to_numpy(layer(other, mask=mask))
    if not np.allclose(first, second, atol=1e-5):
        return f"output moved by {np.abs(first - second).max():.3f}"
    return None
