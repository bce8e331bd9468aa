"""Bug: `__init__` takes no `**kwargs` and calls `super().__init__()` bare.

The base arguments every layer config carries (`name`, `trainable`, `dtype`) cannot
reach the layer: `from_config(get_config())` and `load_model` fail with "got an
unexpected keyword argument 'name'", and the layer cannot be given a dtype policy
(`dtype="mixed_float16"`). The static `structure` check sees it in the source; at
runtime `config-roundtrip`, `save-load` and `mixed-precision` cannot build the layer.
`Fixed` forwards `**kwargs`.
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus.no_kwargs"

CASE = {
    "check": "structure",
    "fix": ("**kwargs",),
    "also": {
        "config-roundtrip": "from_config() passes name/trainable/dtype: TypeError",
        "save-load": "load_model calls from_config(): TypeError",
        "mixed-precision": "the layer cannot be built with dtype='mixed_float16'",
    },
    "expect": {
        "input_shape": (3, 5),
        "init": {"limit": 0.5},
        "masking": "none",
        "training": False,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 0,
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """Clips the inputs to `[-limit, limit]`."""

    def __init__(self, limit=1.0):
        super().__init__()
        self.limit = limit

    def call(self, inputs):
        return ops.clip(inputs, -self.limit, self.limit)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "limit": self.limit}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """Clips the inputs to `[-limit, limit]`."""

    def __init__(self, limit=1.0, **kwargs):
        super().__init__(**kwargs)
        self.limit = limit

    def call(self, inputs):
        return ops.clip(inputs, -self.limit, self.limit)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "limit": self.limit}


def symptom(cls):
    """The layer cannot be rebuilt from its own config."""
    layer = cls(limit=0.5)
    try:
        cls.from_config(layer.get_config())
    except TypeError as exc:
        return f"from_config failed: {exc}"
    return None
