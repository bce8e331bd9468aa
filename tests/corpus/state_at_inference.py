"""Bug: a training-only state update also runs at inference.

The step counter that drives the warm-up is incremented outside `if training:`, so
`predict` and every inference call advance it: the warm-up schedule depends on how
often the model was evaluated. Caught by `state` (the counter must not change after an
inference call or `predict`). Inference output does not read the counter, so only
`save-load` sees it too: the original's counter moves on when it predicts.
`Fixed` increments it in the training branch only.
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus.state_at_inference"

CASE = {
    "check": "state",
    "fix": ("iterations", "training"),
    "also": {
        "save-load": "predict on the original advances the counter: its state differs",
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

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale", shape=(input_shape[-1],), initializer="ones"
        )
        self.iterations = self.add_weight(
            name="iterations",
            shape=(),
            initializer="zeros",
            trainable=False,
            autocast=False,
            aggregation="only_first_replica",
        )

    def call(self, inputs, training=None):
        if training:
            ramp = ops.minimum(1.0, (self.iterations + 1.0) / self.warmup_steps)
            outputs = inputs * self.scale * ops.cast(ramp, inputs.dtype)
        else:
            outputs = inputs * self.scale
        self.iterations.assign(self.iterations + 1.0)
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "warmup_steps": self.warmup_steps}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Fixed(keras.layers.Layer):
    """Learned feature scale, ramped up linearly over the first training steps."""

    def __init__(self, warmup_steps=100, **kwargs):
        super().__init__(**kwargs)
        self.warmup_steps = warmup_steps

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale", shape=(input_shape[-1],), initializer="ones"
        )
        self.iterations = self.add_weight(
            name="iterations",
            shape=(),
            initializer="zeros",
            trainable=False,
            autocast=False,
            aggregation="only_first_replica",
        )

    def call(self, inputs, training=None):
        if training:
            ramp = ops.minimum(1.0, (self.iterations + 1.0) / self.warmup_steps)
            outputs = inputs * self.scale * ops.cast(ramp, inputs.dtype)
            self.iterations.assign(self.iterations + 1.0)
        else:
            outputs = inputs * self.scale
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "warmup_steps": self.warmup_steps}


def symptom(cls):
    """`predict` advances the training-step counter."""
    import numpy as np

    layer = cls(warmup_steps=4)
    model = keras.Sequential([keras.Input((5,)), layer])
    model.predict(np.ones((3, 5), "float32"), verbose=0)
    layer(np.ones((3, 5), "float32"), training=False)
    steps = float(ops.convert_to_numpy(layer.iterations))
    if steps != 0.0:
        return f"iterations is {steps} after predict and an inference call"
    return None
