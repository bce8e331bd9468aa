"""Bug: (tf-keras) `get_config()` leaves out an `__init__` argument.

The Keras 2 twin of `missing_config_arg`: `Broken.get_config()` merges the parent's
config but forgets the required `offset`, so `from_config(get_config())` and
`tf_keras.models.load_model` (`.keras` and `.h5` alike) die with "missing 1 required
positional argument: 'offset'". The static `config-complete` check sees it in the
source; at runtime `config-roundtrip` and `save-load` cannot rebuild the layer either.
`Fixed` returns every argument.
"""

import tf_keras as keras

PACKAGE = "klgen_corpus.tf_keras_missing_config_arg"

CASE = {
    "target": "tf-keras",
    "backends": ("tensorflow",),
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
    """Learned feature scale, then a fixed offset."""

    def __init__(self, offset, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset
        self.scale = None

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale", shape=(input_shape[-1],), initializer="ones", trainable=True
        )
        super().build(input_shape)

    def call(self, inputs):
        return inputs * self.scale + self.offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """Learned feature scale, then a fixed offset."""

    def __init__(self, offset, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset
        self.scale = None

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale", shape=(input_shape[-1],), initializer="ones", trainable=True
        )
        super().build(input_shape)

    def call(self, inputs):
        return inputs * self.scale + self.offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"offset": self.offset})
        return config


def symptom(cls):
    """A model holding the layer does not survive save and load (legacy `.h5`)."""
    import os
    import tempfile

    model = keras.Sequential([keras.Input((5,)), cls(offset=0.5)])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.h5")
        model.save(path)
        try:
            keras.models.load_model(path)
        except Exception as exc:
            return f"load_model failed: {exc}"
    return None
