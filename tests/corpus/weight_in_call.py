"""Bug: a weight is created lazily in `call()` instead of `build()`.

Keras 3 locks a layer's state once it is built, so the first call raises "You cannot
add new elements of state (variables or sub-layers) to a layer that is already
built". The static `state-hygiene` check points at the `add_weight` in `call`; at
runtime every check that calls the layer fails with Keras's error.
`Fixed` creates the weight in `build()`.
"""

import keras

PACKAGE = "klgen_corpus.weight_in_call"

CASE = {
    "check": "state-hygiene",
    "fix": ("build()",),
    "also": {
        "*": "the first call raises: every runtime check that calls the layer fails",
    },
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
    """Scales the features by a learned vector."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.scale = None

    def call(self, inputs):
        if self.scale is None:
            self.scale = self.add_weight(
                name="scale", shape=(inputs.shape[-1],), initializer="ones"
            )
        return inputs * self.scale

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
    """The first call fails."""
    from keras import ops

    try:
        cls()(ops.ones((3, 5)))
    except ValueError as exc:
        return f"call failed: {exc}"
    return None
