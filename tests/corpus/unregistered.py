"""Bug: the class is not registered with `register_keras_serializable`.

Without registration Keras cannot find the class by name: `load_model` (and
`deserialize_keras_object` without `custom_objects`) fail with "Could not locate
class 'Broken'". The static `structure` check sees the missing decorator; at runtime
`config-roundtrip` (deserialisation without `custom_objects`) and `save-load` fail.
`Fixed` is registered.
"""

import keras

PACKAGE = "klgen_corpus.unregistered"

CASE = {
    "check": "structure",
    "fix": ("register_keras_serializable",),
    "also": {
        "config-roundtrip": "deserialize_keras_object cannot locate the class",
        "save-load": "load_model cannot locate the class",
    },
    "expect": {
        "input_shape": (3, 5),
        "init": {"units": 4},
        "masking": "none",
        "training": False,
        "trainable": 2,
        "non_trainable": 0,
        "seed_generators": 0,
    },
}


class Broken(keras.layers.Layer):
    """A fully connected layer without activation."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_shape[-1], self.units),
            initializer="glorot_uniform",
        )
        self.bias = self.add_weight(
            name="bias", shape=(self.units,), initializer="zeros"
        )

    def call(self, inputs):
        return keras.ops.matmul(inputs, self.kernel) + self.bias

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """A fully connected layer without activation."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_shape[-1], self.units),
            initializer="glorot_uniform",
        )
        self.bias = self.add_weight(
            name="bias", shape=(self.units,), initializer="zeros"
        )

    def call(self, inputs):
        return keras.ops.matmul(inputs, self.kernel) + self.bias

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def symptom(cls):
    """A model holding the layer cannot be loaded."""
    import os
    import tempfile

    model = keras.Sequential([keras.Input((5,)), cls(units=4)])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        try:
            keras.saving.load_model(path)
        except Exception as exc:
            return f"load_model failed: {exc}"
    return None
