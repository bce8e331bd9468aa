"""Bug: the moving statistic is computed in training but never assigned.

The new moving mean is computed and dropped, so `moving_mean` keeps its initial
zeros forever and inference never centres the data. Caught by `state` (the weight
named in `state` must change after a training call and a `fit` step).
`Fixed` assigns the new value to the variable.
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus.state_never_updated"

CASE = {
    "check": "state",
    "fix": ("moving_mean", "assign"),
    "expect": {
        "input_shape": (3, 5),
        "init": {"momentum": 0.9},
        "masking": "none",
        "training": True,
        "stochastic": False,
        "state": ("moving_mean",),
        "trainable": 1,
        "non_trainable": 1,
        "seed_generators": 0,
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """Centres the features on the batch mean in training, a moving mean at
    inference, then scales them by a learned vector."""

    def __init__(self, momentum=0.99, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale", shape=(input_shape[-1],), initializer="ones"
        )
        self.moving_mean = self.add_weight(
            name="moving_mean",
            shape=(input_shape[-1],),
            initializer="zeros",
            trainable=False,
            autocast=False,
            aggregation="mean",
        )

    def call(self, inputs, training=None):
        if training:
            mean = ops.mean(ops.cast(inputs, "float32"), axis=0)
            new_mean = self.moving_mean * self.momentum + mean * (1.0 - self.momentum)
        else:
            mean = self.moving_mean
        outputs = (inputs - ops.cast(mean, inputs.dtype)) * self.scale
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """Centres the features on the batch mean in training, a moving mean at
    inference, then scales them by a learned vector."""

    def __init__(self, momentum=0.99, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale", shape=(input_shape[-1],), initializer="ones"
        )
        self.moving_mean = self.add_weight(
            name="moving_mean",
            shape=(input_shape[-1],),
            initializer="zeros",
            trainable=False,
            autocast=False,
            aggregation="mean",
        )

    def call(self, inputs, training=None):
        if training:
            mean = ops.mean(ops.cast(inputs, "float32"), axis=0)
            self.moving_mean.assign(
                self.moving_mean * self.momentum + mean * (1.0 - self.momentum)
            )
        else:
            mean = self.moving_mean
        outputs = (inputs - ops.cast(mean, inputs.dtype)) * self.scale
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum}


def symptom(cls):
    """A training call and a fit step leave the moving mean at its initial value."""
    import numpy as np

    layer = cls(momentum=0.5)
    model = keras.Sequential([keras.Input((5,)), layer])
    model.compile(optimizer="sgd", loss="mse")
    data = np.random.default_rng(0).normal(2.0, 1.0, (8, 5)).astype("float32")
    layer(data, training=True)
    model.fit(data, data, epochs=1, batch_size=8, verbose=0)
    moving = ops.convert_to_numpy(layer.moving_mean)
    if np.allclose(moving, 0.0):
        return "moving_mean is still zero after a training call and a fit step"
    return None
