"""Bug: a layer with a sub-layer has no `build()`.

Keras builds the sub-layer on the first `__call__` by tracing `call`, but an
explicit `build(input_shape)` (what `model.build` and `load_model`'s
`build_from_config` do) only marks the outer layer built: Keras warns "the layer
does not have a `build()` method implemented and it looks like it has unbuilt
state", the layer has no weights until it is called, and `load_model` fails with "A
total of 1 objects could not be loaded ... was never built". Caught by `build` (the
weights after `build()` must be those after a call; no unbuilt state warning); the
failing reload is `save-load`'s. `Fixed` builds the sub-layer in `build()`.
"""

import keras

PACKAGE = "klgen_corpus.unbuilt_sublayer"

CASE = {
    "check": "build",
    "fix": ("build",),
    "also": {
        "save-load": "load_model builds the layer with build(): the Dense stays unbuilt",
    },
    "expect": {
        "input_shape": (3, 5),
        "init": {"units": 4},
        "masking": "none",
        "training": False,
        "trainable": 2,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 4),
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """A dense projection followed by a leaky ReLU."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = keras.layers.Dense(units, dtype=self.dtype_policy)

    def call(self, inputs):
        hidden = self.dense(inputs)
        return keras.ops.maximum(hidden, 0.1 * hidden)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """A dense projection followed by a leaky ReLU."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = keras.layers.Dense(units, dtype=self.dtype_policy)

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, inputs):
        hidden = self.dense(inputs)
        return keras.ops.maximum(hidden, 0.1 * hidden)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def symptom(cls):
    """After an explicit `build()`, the layer has no weights (and Keras warns)."""
    import warnings

    layer = cls(units=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer.build((None, 5))
    unbuilt = [w for w in caught if "unbuilt state" in str(w.message)]
    if len(layer.weights) != 2 or unbuilt:
        return f"{len(layer.weights)} weights after build(); {len(unbuilt)} warning(s)"
    return None
