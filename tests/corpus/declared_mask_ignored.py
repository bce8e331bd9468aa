"""Bug: a layer declared to consume masks whose `call` ignores the mask.

`klgen verify --masking consume` without `--mask` used to run no masked example, so
the masking checks had nothing to look at and the layer passed. A declared `consume`
or `propagate` policy now brings masked examples of its own: the padded steps reach
the pooled output, and `masking` reports it. `Fixed` weighs the steps by the mask.
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus.declared_mask_ignored"

CASE = {
    "check": "masking",
    "fix": ("mask",),
    "expect": {
        "input_shape": (3, 4, 2),
        "init": {},
        "masking": "consume",
        "training": False,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 2),
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
        return ops.mean(inputs, axis=1)

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
        return total / ops.maximum(ops.sum(weights, axis=1), 1.0)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


def symptom(cls):
    """Changing the padded step changes the output."""
    import numpy as np

    x = np.random.default_rng(0).normal(size=(1, 4, 2)).astype("float32")
    mask = np.array([[True, True, True, False]])
    layer = cls()
    first = keras.ops.convert_to_numpy(layer(x, mask=mask))
    x[0, 3] += 10.0
    second = keras.ops.convert_to_numpy(layer(x, mask=mask))
    if not np.allclose(first, second):
        return "the padded step changes the output"
    return None
