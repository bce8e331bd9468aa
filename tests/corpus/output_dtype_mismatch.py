"""Bug: a float64 NumPy constant promotes the output to float64.

`np.hanning` returns float64, and `ops.multiply` promotes float32 * float64 to
float64 on TensorFlow and PyTorch (JAX runs without 64-bit floats, so the bug does
not show there). The symbolic output is float32, the real one float64: the next
layer receives a dtype it was not built for (TensorFlow refuses to multiply float
by double). Caught by `shapes` (symbolic, declared and eager dtypes must agree);
under mixed precision the output is float64 instead of the compute dtype, which
`mixed-precision` reports too. `Fixed` casts the window to the inputs' dtype.
"""

import keras
import numpy as np
from keras import ops

PACKAGE = "klgen_corpus.output_dtype_mismatch"

CASE = {
    "check": "shapes",
    "fix": ("dtype",),
    "backends": ("tensorflow", "torch"),
    "also": {
        "mixed-precision": "the output is float64, not the compute dtype",
    },
    "expect": {
        "input_shape": (3, 5),
        "init": {},
        "masking": "propagate",
        "mask": True,
        "training": False,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 0,
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """Tapers the last axis with a Hann window."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        window = np.hanning(inputs.shape[-1])
        return ops.multiply(inputs, window)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """Tapers the last axis with a Hann window."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        window = ops.cast(np.hanning(inputs.shape[-1]), inputs.dtype)
        return ops.multiply(inputs, window)

    def compute_output_shape(self, input_shape):
        return input_shape


def symptom(cls):
    """The eager output dtype differs from the symbolic one."""
    symbolic = cls()(keras.Input((5,))).dtype
    eager = ops.convert_to_numpy(cls()(ops.ones((3, 5)))).dtype
    if str(eager) != str(symbolic):
        return f"symbolic dtype {symbolic}, eager dtype {eager}"
    return None
