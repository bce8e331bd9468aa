"""Bug: `call` stores a tensor on a Python attribute.

Python state is not traced: under `tf.function` (TensorFlow) and `jit` (JAX) the
attribute receives a symbolic tensor or tracer once, at trace time, instead of a
value per call, and reading it afterwards fails or is stale; it is not replicated
under a distribution strategy either. The static `state-hygiene` check sees the
`self.x = ...` in `call`; the layer's outputs do not depend on it, so no runtime
check fails. `Fixed` keeps no Python state in `call` (a statistic worth keeping
would be a non-trainable weight updated with `assign`).
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus.python_attribute_in_call"

CASE = {
    "check": "state-hygiene",
    "symptom_backends": ("tensorflow", "jax"),
    "fix": ("last_mean", "assign"),
    "expect": {
        "input_shape": (3, 5),
        "init": {},
        "masking": "none",
        "training": False,
        "trainable": 1,
        "non_trainable": 0,
        "seed_generators": 0,
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """Scales the features by a learned vector, remembering the mean activation
    of the last batch."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.last_mean = None

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale", shape=(input_shape[-1],), initializer="ones"
        )

    def call(self, inputs):
        outputs = inputs * self.scale
        self.last_mean = ops.mean(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """Scales the features by a learned vector."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale", shape=(input_shape[-1],), initializer="ones"
        )

    def call(self, inputs):
        return inputs * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape


def symptom(cls):
    """After `predict`, the attribute holds a trace-time value, not a number."""
    import numpy as np

    layer = cls()
    model = keras.Sequential([keras.Input((5,)), layer])
    model.predict(np.full((3, 5), 2.0, "float32"), verbose=0)
    value = getattr(layer, "last_mean", None)
    if value is None:
        return None
    try:
        number = float(ops.convert_to_numpy(value))
    except Exception as exc:
        return f"last_mean after predict is {type(value).__name__}: {exc}"
    if number != 2.0:
        return f"last_mean after predict is {number}, not 2.0"
    return None
