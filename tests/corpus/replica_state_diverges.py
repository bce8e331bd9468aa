"""Bug: a moving statistic is created without `aggregation="mean"`.

Under `tf.distribute.MirroredStrategy` each replica updates its own copy of a
variable whose aggregation is `"none"` (the default) with the mean of its own shard
of the batch: the copies drift apart, and which one is saved or used at inference is
an accident. Caught by `distributed` (`--full`: state variables must end consistent
across replicas). JAX's `DataParallel` computes the update on the global batch, so
the bug shows on TensorFlow only. `Fixed` declares `aggregation="mean"`.
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus.replica_state_diverges"

CASE = {
    "check": "distributed",
    "fix": ("aggregation",),
    "full": True,
    "backends": ("tensorflow",),
    "expect": {
        "input_shape": (4, 5),
        "init": {"momentum": 0.5},
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
        )

    def call(self, inputs, training=None):
        if training:
            mean = ops.mean(ops.cast(inputs, "float32"), axis=0)
            self.moving_mean.assign(
                self.moving_mean * self.momentum + mean * (1.0 - self.momentum)
            )
        else:
            mean = self.moving_mean
        return (inputs - ops.cast(mean, inputs.dtype)) * self.scale

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
        return (inputs - ops.cast(mean, inputs.dtype)) * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum}


def symptom(cls):
    """Under MirroredStrategy over two CPUs the replicas' moving means differ.

    Needs TensorFlow with two logical CPU devices configured before any op runs;
    returns None on other backends.
    """
    if keras.backend.backend() != "tensorflow":
        return None
    import numpy as np
    import tensorflow as tf

    if len(tf.config.list_logical_devices("CPU")) < 2:
        raise RuntimeError("configure two logical CPU devices first")
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        layer = cls(momentum=0.5)
        model = keras.Sequential([keras.Input((5,)), layer])
        model.compile(optimizer="sgd", loss="mse")
    data = np.concatenate([np.zeros((4, 5)), np.ones((4, 5))]).astype("float32")
    model.fit(data, data, batch_size=8, epochs=1, shuffle=False, verbose=0)
    copies = [np.asarray(v) for v in layer.moving_mean.value.values]
    if not np.allclose(copies[0], copies[1]):
        return f"replica copies differ: {copies[0][0]:.2f} vs {copies[1][0]:.2f}"
    return None
