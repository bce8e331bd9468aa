"""Bug: `get_config()` leaves out an `__init__` argument.

`Broken.get_config()` forgets the required `offset`, so `from_config(get_config())`
and `keras.saving.load_model` die with "missing 1 required positional argument:
'offset'". The static `config-complete` check sees it in the source; at runtime
`config-roundtrip` and `save-load` cannot rebuild the layer either.
`Fixed` returns every argument.
"""

import keras

PACKAGE = "klgen_corpus.missing_config_arg"

CASE = {
    "check": "config-complete",
    "fix": ("offset", "get_config"),
    "also": {
        "config-roundtrip": "from_config(get_config()) raises: offset is required",
        "save-load": "load_model cannot rebuild the layer without offset",
    },
    "expect": {
        "input_shape": (3, 5),
        "init": {"offset": 0.5},
        "masking": "none",
        "training": False,
        "trainable": 1,
        "non_trainable": 0,
        "seed_generators": 0,
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """Scales the features by a learned vector, then adds a constant offset."""

    def __init__(self, offset, scale_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        self.offset = offset
        self.scale_initializer = keras.initializers.get(scale_initializer)

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale",
            shape=(input_shape[-1],),
            initializer=self.scale_initializer,
        )

    def call(self, inputs):
        return inputs * self.scale + self.offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {
            "scale_initializer": keras.initializers.serialize(self.scale_initializer),
        }
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """Scales the features by a learned vector, then adds a constant offset."""

    def __init__(self, offset, scale_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        self.offset = offset
        self.scale_initializer = keras.initializers.get(scale_initializer)

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale",
            shape=(input_shape[-1],),
            initializer=self.scale_initializer,
        )

    def call(self, inputs):
        return inputs * self.scale + self.offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {
            "offset": self.offset,
            "scale_initializer": keras.initializers.serialize(self.scale_initializer),
        }
        return {**super().get_config(), **config}


def symptom(cls):
    """A model holding the layer does not survive save and load."""
    import os
    import tempfile

    model = keras.Sequential([keras.Input((5,)), cls(offset=0.5)])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        try:
            keras.saving.load_model(path)
        except Exception as exc:
            return f"load_model failed: {exc}"
    return None
