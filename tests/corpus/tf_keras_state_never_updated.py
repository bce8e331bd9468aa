"""Bug: (tf-keras) a Keras 1 `(variable, new_value)` update tuple: the state never moves.

Keras 1 code updated state with `self.add_update([(self.moving_mean, new_value)])`.
`tf_keras` on TensorFlow 2 runs only update ops and callables, so the tuple is silently
ignored and `moving_mean` stays at its initial value: inference normalises with zeros
however long the model trains. Caught by `state` (a declared state weight must change
after a training call and after one fit step). `Fixed` passes an update op,
`K.moving_average_update(self.moving_mean, mean, self.momentum)`.
"""

import tensorflow as tf
import tf_keras as keras
from tf_keras import backend as K

PACKAGE = "klgen_corpus.tf_keras_state_never_updated"

CASE = {
    "target": "tf-keras",
    "backends": ("tensorflow",),
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
    """Centres the features on the batch mean in training, on its moving average at
    inference, then scales them by a learned factor."""

    def __init__(self, momentum=0.99, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.scale = None
        self.moving_mean = None

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale", shape=(input_shape[-1],), initializer="ones", trainable=True
        )
        self.moving_mean = self.add_weight(
            name="moving_mean",
            shape=(input_shape[-1],),
            initializer="zeros",
            trainable=False,
            dtype="float32",
            aggregation=tf.VariableAggregation.MEAN,
            experimental_autocast=False,
        )
        super().build(input_shape)

    def call(self, inputs, training=None):
        values = tf.cast(inputs, tf.float32)  # the moving mean is float32 under any policy

        def centred_on_batch():
            mean = tf.reduce_mean(values, axis=0)
            new_mean = self.moving_mean * self.momentum + mean * (1.0 - self.momentum)
            self.add_update([(self.moving_mean, new_mean)])
            return values - mean

        def centred_on_moving_mean():
            return values - self.moving_mean

        outputs = K.in_train_phase(
            centred_on_batch, centred_on_moving_mean, training=training
        )
        return tf.cast(outputs, self.compute_dtype) * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum})
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """Centres the features on the batch mean in training, on its moving average at
    inference, then scales them by a learned factor."""

    def __init__(self, momentum=0.99, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.scale = None
        self.moving_mean = None

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale", shape=(input_shape[-1],), initializer="ones", trainable=True
        )
        self.moving_mean = self.add_weight(
            name="moving_mean",
            shape=(input_shape[-1],),
            initializer="zeros",
            trainable=False,
            dtype="float32",
            aggregation=tf.VariableAggregation.MEAN,
            experimental_autocast=False,
        )
        super().build(input_shape)

    def call(self, inputs, training=None):
        values = tf.cast(inputs, tf.float32)  # the moving mean is float32 under any policy

        def centred_on_batch():
            mean = tf.reduce_mean(values, axis=0)
            self.add_update(
                K.moving_average_update(self.moving_mean, mean, self.momentum)
            )
            return values - mean

        def centred_on_moving_mean():
            return values - self.moving_mean

        outputs = K.in_train_phase(
            centred_on_batch, centred_on_moving_mean, training=training
        )
        return tf.cast(outputs, self.compute_dtype) * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum})
        return config


def symptom(cls):
    """A few fit steps leave the moving mean at zero."""
    import numpy as np

    layer = cls(momentum=0.5)
    model = keras.Sequential([keras.Input((5,)), layer])
    model.compile(optimizer="sgd", loss="mse")
    x = np.full((8, 5), 3.0, "float32")
    model.fit(x, x, epochs=3, verbose=0)
    moving = K.get_value(layer.moving_mean)
    if np.allclose(moving, 0.0):
        return "moving_mean is still 0 after three fit steps on inputs of 3"
    return None
