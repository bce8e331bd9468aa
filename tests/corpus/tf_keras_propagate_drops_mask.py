"""Bug: (tf-keras) an element-wise layer meant to propagate the mask never says it supports it.

The Keras 2 twin of `propagate_drops_mask`: `supports_masking` stays `False`, so
tf_keras drops the mask at this layer and the layers after it see none: a pooling layer
then averages the padded time steps in. Caught by `masking` (policy `propagate`).
`Fixed` sets `self.supports_masking = True` in `__init__`, as the tutorial does.
"""

import tf_keras as keras

PACKAGE = "klgen_corpus.tf_keras_propagate_drops_mask"

CASE = {
    "target": "tf-keras",
    "backends": ("tensorflow",),
    "check": "masking",
    "fix": ("supports_masking",),
    "expect": {
        "input_shape": (3, 6, 4),
        "init": {},
        "masking": "propagate",
        "mask": True,
        "training": False,
        "trainable": 1,
        "non_trainable": 0,
        "seed_generators": 0,
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """Scales each feature by a learned factor, time step by time step."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.scale = None

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale", shape=(input_shape[-1],), initializer="ones", trainable=True
        )
        super().build(input_shape)

    def call(self, inputs):
        return inputs * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """Scales each feature by a learned factor, time step by time step."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.scale = None

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale", shape=(input_shape[-1],), initializer="ones", trainable=True
        )
        super().build(input_shape)

    def call(self, inputs):
        return inputs * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape


def symptom(cls):
    """A masked average after the layer counts the padded steps."""
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((6, 4)),
            keras.layers.Masking(0.0),
            cls(),
            keras.layers.GlobalAveragePooling1D(),
        ]
    )
    data = np.ones((2, 6, 4), "float32")
    data[:, 3:] = 0.0  # three padded steps
    outputs = model(data).numpy()
    if not np.allclose(outputs, 1.0):
        return f"the masked mean of ones is {outputs[0, 0]:.3f}, not 1"
    return None
