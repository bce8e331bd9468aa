"""Bug: (tf-keras) `add_update` runs outside the training branch of `K.in_train_phase`.

The Keras 2 twin of `state_at_inference`: the step counter that drives the warm-up is
incremented by `self.add_update(self.iterations.assign_add(1.0))` after
`K.in_train_phase(...)` instead of inside its training function, so `predict` and every
inference call advance it. Caught by `state` (the counter must not change after an
inference call, eager or inside `tf.function`, or after `predict`). Inference output
does not read the counter, so only `save-load` sees it too: the reloaded model's
counter moves on when it predicts. `Fixed` adds the update in the training function.
"""

import tensorflow as tf
import tf_keras as keras
from tf_keras import backend as K

PACKAGE = "klgen_corpus.tf_keras_state_at_inference"

CASE = {
    "target": "tf-keras",
    "backends": ("tensorflow",),
    "check": "state",
    "fix": ("iterations", "training"),
    "also": {
        "save-load": "predict on the reloaded model advances the counter",
    },
    "expect": {
        "input_shape": (3, 5),
        "init": {"warmup_steps": 4},
        "masking": "none",
        "training": True,
        "stochastic": False,
        "state": ("iterations",),
        "trainable": 1,
        "non_trainable": 1,
        "seed_generators": 0,
    },
}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Broken(keras.layers.Layer):
    """Learned feature scale, ramped up linearly over the first training steps."""

    def __init__(self, warmup_steps=100, **kwargs):
        super().__init__(**kwargs)
        self.warmup_steps = warmup_steps
        self.scale = None
        self.iterations = None

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale", shape=(input_shape[-1],), initializer="ones", trainable=True
        )
        self.iterations = self.add_weight(
            name="iterations",
            shape=(),
            initializer="zeros",
            trainable=False,
            dtype="float32",
            aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
            experimental_autocast=False,
        )
        super().build(input_shape)

    def call(self, inputs, training=None):
        def warming_up():
            ramp = K.minimum(1.0, (self.iterations + 1.0) / self.warmup_steps)
            return inputs * self.scale * K.cast(ramp, inputs.dtype)

        outputs = K.in_train_phase(
            warming_up, lambda: inputs * self.scale, training=training
        )
        self.add_update(self.iterations.assign_add(1.0))
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"warmup_steps": self.warmup_steps})
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """Learned feature scale, ramped up linearly over the first training steps."""

    def __init__(self, warmup_steps=100, **kwargs):
        super().__init__(**kwargs)
        self.warmup_steps = warmup_steps
        self.scale = None
        self.iterations = None

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale", shape=(input_shape[-1],), initializer="ones", trainable=True
        )
        self.iterations = self.add_weight(
            name="iterations",
            shape=(),
            initializer="zeros",
            trainable=False,
            dtype="float32",
            aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
            experimental_autocast=False,
        )
        super().build(input_shape)

    def call(self, inputs, training=None):
        def warming_up():
            ramp = K.minimum(1.0, (self.iterations + 1.0) / self.warmup_steps)
            self.add_update(self.iterations.assign_add(1.0))
            return inputs * self.scale * K.cast(ramp, inputs.dtype)

        return K.in_train_phase(
            warming_up, lambda: inputs * self.scale, training=training
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"warmup_steps": self.warmup_steps})
        return config


def symptom(cls):
    """`predict` advances the training-step counter."""
    import numpy as np

    layer = cls(warmup_steps=4)
    model = keras.Sequential([keras.Input((5,)), layer])
    model.predict(np.ones((3, 5), "float32"), verbose=0)
    layer(np.ones((3, 5), "float32"), training=False)
    steps = float(K.get_value(layer.iterations))
    if steps != 0.0:
        return f"iterations is {steps} after predict and an inference call"
    return None
