"""Bug: (tf-keras) a weight is created in the compute dtype instead of the variable dtype.

The Keras 2 twin of `weight_in_compute_dtype`: `add_weight(dtype=self.compute_dtype)`
gives a float16 variable under `tf_keras.mixed_precision.Policy("mixed_float16")`:
updates smaller than float16's resolution vanish and the LossScaleOptimizer cannot
protect it. Caught by `mixed-precision` (float weights must stay float32). `Fixed`
leaves the dtype to the policy's variable dtype.
"""

import tensorflow as tf
import tf_keras as keras

PACKAGE = "klgen_corpus.tf_keras_weight_in_compute_dtype"

CASE = {
    "target": "tf-keras",
    "backends": ("tensorflow",),
    "check": "mixed-precision",
    "fix": ("float32",),
    "expect": {
        "input_shape": (3, 5),
        "init": {"units": 4},
        "masking": "none",
        "training": False,
        "trainable": 2,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 4),
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """A fully connected layer with a ReLU activation."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.kernel = None
        self.bias = None

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_shape[-1], self.units),
            initializer="glorot_uniform",
            dtype=self.compute_dtype,
            trainable=True,
        )
        self.bias = self.add_weight(
            name="bias",
            shape=(self.units,),
            initializer="zeros",
            dtype=self.compute_dtype,
            trainable=True,
        )
        super().build(input_shape)

    def call(self, inputs):
        return tf.nn.relu(tf.matmul(inputs, self.kernel) + self.bias)

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)[:-1].concatenate([self.units])

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """A fully connected layer with a ReLU activation."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.kernel = None
        self.bias = None

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_shape[-1], self.units),
            initializer="glorot_uniform",
            trainable=True,
        )
        self.bias = self.add_weight(
            name="bias", shape=(self.units,), initializer="zeros", trainable=True
        )
        super().build(input_shape)

    def call(self, inputs):
        return tf.nn.relu(tf.matmul(inputs, self.kernel) + self.bias)

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)[:-1].concatenate([self.units])

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


def symptom(cls):
    """Under mixed_float16 the weights are float16 variables."""
    layer = cls(units=4, dtype=keras.mixed_precision.Policy("mixed_float16"))
    layer.build((None, 5))
    dtypes = sorted({w.dtype.name for w in layer.weights})
    if dtypes != ["float32"]:
        return f"variable dtypes under mixed_float16: {dtypes}"
    return None
