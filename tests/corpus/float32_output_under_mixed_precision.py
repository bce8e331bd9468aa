"""Bug: a normalisation layer computes in float32 and forgets to cast back.

Computing the statistics in float32 is right under mixed precision, but returning
that float32 tensor breaks the policy: the next layer receives float32 where Keras
promised float16 (the symbolic output is float16), doubling memory and bandwidth.
Caught by `mixed-precision` (the output dtype must be the compute dtype). In the
float32 policy nothing differs. `Fixed` casts the result to `self.compute_dtype`.
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus.float32_output_under_mixed_precision"

CASE = {
    "check": "mixed-precision",
    "fix": ("compute_dtype",),
    "expect": {
        "input_shape": (3, 5),
        "init": {"epsilon": 0.001},
        "masking": "propagate",
        "mask": True,
        "training": False,
        "trainable": 2,
        "non_trainable": 0,
        "seed_generators": 0,
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """Normalises the last axis to zero mean and unit variance, then applies a
    learned scale and offset (layer normalisation)."""

    def __init__(self, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon
        self.supports_masking = True

    def build(self, input_shape):
        self.gamma = self.add_weight(
            name="gamma",
            shape=(input_shape[-1],),
            initializer="ones",
            autocast=False,
        )
        self.beta = self.add_weight(
            name="beta",
            shape=(input_shape[-1],),
            initializer="zeros",
            autocast=False,
        )

    def call(self, inputs):
        inputs = ops.cast(inputs, "float32")
        mean, variance = ops.moments(inputs, axes=[-1], keepdims=True)
        normalized = (inputs - mean) * ops.rsqrt(variance + self.epsilon)
        return normalized * self.gamma + self.beta

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """Normalises the last axis to zero mean and unit variance, then applies a
    learned scale and offset (layer normalisation)."""

    def __init__(self, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon
        self.supports_masking = True

    def build(self, input_shape):
        self.gamma = self.add_weight(
            name="gamma",
            shape=(input_shape[-1],),
            initializer="ones",
            autocast=False,
        )
        self.beta = self.add_weight(
            name="beta",
            shape=(input_shape[-1],),
            initializer="zeros",
            autocast=False,
        )

    def call(self, inputs):
        inputs = ops.cast(inputs, "float32")
        mean, variance = ops.moments(inputs, axes=[-1], keepdims=True)
        normalized = (inputs - mean) * ops.rsqrt(variance + self.epsilon)
        outputs = normalized * self.gamma + self.beta
        return ops.cast(outputs, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def symptom(cls):
    """Under mixed_float16 the output is float32, the symbolic output float16."""
    layer = cls(dtype="mixed_float16")
    eager = ops.convert_to_numpy(layer(ops.ones((3, 5)) * ops.arange(5.0))).dtype
    symbolic = cls(dtype="mixed_float16")(keras.Input((5,))).dtype
    if str(eager) != "float16" or str(symbolic) != "float16":
        return f"symbolic dtype {symbolic}, eager dtype {eager}"
    return None
