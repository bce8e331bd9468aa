"""Hand-written layers in the styles of public code, as source text for the adopt tests."""

from __future__ import annotations

from pathlib import Path

#: The Keras subclassing guide's `Linear`: unnamed weights, a bias behind a flag, an
#: `if ...: raise ValueError` check, `config.update`.
TUTORIAL = '''\
import keras
from keras import ops


@keras.saving.register_keras_serializable(package="hw")
class Linear(keras.layers.Layer):
    """A densely-connected layer, as in the Keras subclassing guide.

    Args:
        units: Dimensionality of the output space.
        use_bias: Whether to add a bias vector.
    """

    def __init__(self, units=32, use_bias=True, **kwargs):
        if units <= 0:
            raise ValueError(f"units must be positive, got {units}")
        super().__init__(**kwargs)
        self.units = units
        self.use_bias = use_bias

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
        )
        if self.use_bias:
            self.b = self.add_weight(
                shape=(self.units,), initializer="zeros", trainable=True
            )

    def call(self, x):
        y = ops.matmul(x, self.w)
        if self.use_bias:
            y = y + self.b
        return y

    def compute_output_shape(self, input_shape):
        return input_shape[:-1] + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "use_bias": self.use_bias})
        return config
'''

#: Randomness from a seed generator and a step counter moved in training only.
NOISY = '''\
import keras
from keras import ops


@keras.saving.register_keras_serializable(package="hw")
class Noisy(keras.layers.Layer):
    """Adds Gaussian noise in training and counts the training steps."""

    def __init__(self, stddev=0.1, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def build(self, input_shape):
        self.steps = self.add_weight(
            name="steps", shape=(), initializer="zeros", trainable=False
        )

    def call(self, inputs, training=None):
        if training:
            noise = keras.random.normal(
                ops.shape(inputs), stddev=self.stddev, seed=self.seed_generator
            )
            self.steps.assign_add(1.0)
            return inputs + noise
        return inputs

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}
'''

#: A mask consumer: `call` takes the mask, `compute_mask` drops it.
MASKED_MEAN = '''\
import keras
from keras import ops


@keras.saving.register_keras_serializable(package="hw")
class MaskedMean(keras.layers.Layer):
    """Mean over the unmasked time steps."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.mean(inputs, axis=1)
        weights = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        total = ops.sum(inputs * weights, axis=1)
        return total / ops.maximum(ops.sum(weights, axis=1), 1.0)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])
'''

#: tf.keras style: `K.in_train_phase` with nested functions and `add_update`.
TF_KERAS = '''\
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import backend as K


class ScaledCount(keras.layers.Layer):
    """Scales by a learned factor in training; counts the training calls (tf.keras).

    Args:
        factor: Extra factor in training.
    """

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        self.count = self.add_weight(
            name="count", shape=(), initializer="zeros", trainable=False
        )
        super().build(input_shape)

    def call(self, inputs, training=None):
        def train():
            self.add_update(self.count.assign_add(1.0))
            return inputs * self.scale * self.factor

        def infer():
            return inputs * self.scale

        return K.in_train_phase(train, infer, training=training)

    def get_config(self):
        config = {"factor": self.factor}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))
'''

#: tf.keras style again, but with bodies that use only what Keras 3 also has.
TF_KERAS_PORTABLE = '''\
import tensorflow as tf
from tensorflow import keras


class Halve(keras.layers.Layer):
    """Halves its input, and counts the training calls."""

    def build(self, input_shape):
        self.count = self.add_weight(
            name="count", shape=(), initializer="zeros", trainable=False
        )

    def call(self, inputs, training=None):
        if training:
            self.count.assign_add(1.0)
            return inputs * 0.5
        return inputs * 0.5
'''

#: A body that imports in `call`: not a spec body, so it is carried in a user region.
REGION = '''\
import keras


@keras.saving.register_keras_serializable(package="hw")
class CircleScale(keras.layers.Layer):
    """Scales by pi."""

    def call(self, inputs):
        import math

        return inputs * math.pi
'''


def write_project(root: Path, layers: dict[str, str]) -> Path:
    """A repository with `[tool.klgen]` and the given `layers/<module>.py` files."""
    (root / "layers").mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "hw"\n\n[tool.klgen]\nlayers_dir = "layers"\n'
        'tests_dir = "tests"\n',
        encoding="utf-8",
    )
    for module, text in layers.items():
        (root / "layers" / f"{module}.py").write_text(text, encoding="utf-8")
    return root / "layers"
