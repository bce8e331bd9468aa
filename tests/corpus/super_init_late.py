"""Bug: `__init__` assigns attributes before calling `super().__init__()`.

Keras (and, on the torch backend, `torch.nn.Module`) sets up its attribute
tracking in `Layer.__init__`. Assigning a sub-layer before that works by luck on
TensorFlow and JAX, but on torch the constructor itself fails: "cannot assign
module before Module.__init__() call". The static `structure` check sees it on every
backend; on torch no runtime check can even construct the layer.
`Fixed` calls `super().__init__(**kwargs)` first.
"""

import keras

PACKAGE = "klgen_corpus.super_init_late"

CASE = {
    "check": "structure",
    "symptom_backends": ("torch",),
    "fix": ("super().__init__",),
    "also_backends": ("torch",),
    "also": {
        "*": "on torch the constructor raises: no runtime check can build the layer",
    },
    "expect": {
        "input_shape": (3, 5),
        "init": {"units": 5},
        "masking": "none",
        "training": False,
        "trainable": 2,
        "non_trainable": 0,
        "seed_generators": 0,
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """A residual block: `inputs + dense(inputs)`."""

    def __init__(self, units, **kwargs):
        self.units = units
        self.dense = keras.layers.Dense(units, dtype=kwargs.get("dtype"))
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, inputs):
        return inputs + self.dense(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """A residual block: `inputs + dense(inputs)`."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = keras.layers.Dense(units, dtype=self.dtype_policy)

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, inputs):
        return inputs + self.dense(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def symptom(cls):
    """The layer cannot be constructed (torch)."""
    try:
        cls(units=5)
    except Exception as exc:
        return f"constructor failed: {exc}"
    return None
