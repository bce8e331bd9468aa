"""Bug: (tf-keras) `__init__` takes no `**kwargs` and calls `super().__init__()` bare.

The Keras 2 twin of `no_kwargs`: the base arguments a tf_keras layer config carries
(`name`, `trainable`, `dtype`) cannot reach the layer, so `from_config(get_config())`
and `load_model` fail with "got an unexpected keyword argument 'name'", and the layer
cannot take a `tf_keras.mixed_precision.Policy`. The static `structure` check sees it
in the source; at runtime `config-roundtrip`, `save-load` and `mixed-precision` cannot
build the layer. `Fixed` forwards `**kwargs`.
"""

import tensorflow as tf
import tf_keras as keras

PACKAGE = "klgen_corpus.tf_keras_no_kwargs"

CASE = {
    "target": "tf-keras",
    "backends": ("tensorflow",),
    "check": "structure",
    "fix": ("**kwargs",),
    "also": {
        "config-roundtrip": "from_config() passes name/trainable/dtype: TypeError",
        "save-load": "load_model calls from_config(): TypeError",
        "mixed-precision": "the layer cannot be built with a mixed policy",
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
        return tf.clip_by_value(inputs, -self.limit, self.limit)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"limit": self.limit})
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """Clips the inputs to `[-limit, limit]`."""

    def __init__(self, limit=1.0, **kwargs):
        super().__init__(**kwargs)
        self.limit = limit

    def call(self, inputs):
        return tf.clip_by_value(inputs, -self.limit, self.limit)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"limit": self.limit})
        return config


def symptom(cls):
    """The layer cannot be rebuilt from its own config."""
    layer = cls(limit=0.5)
    try:
        cls.from_config(layer.get_config())
    except TypeError as exc:
        return f"from_config failed: {exc}"
    return None
