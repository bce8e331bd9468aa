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


#: keras-hub style: sub-layers created in `__init__` with the dtype policy and built
#: explicitly in `build` (one from another's output shape), `training` forwarded to
#: them, a helper method, a rank check through `input_spec`.
KERAS_HUB_BLOCK = '''\
import keras
from keras import ops


@keras.saving.register_keras_serializable(package="hw")
class EncoderBlock(keras.layers.Layer):
    """Self-attention and a feed-forward network, each with a residual and a norm.

    Args:
        hidden_dim: Width of the input and output features.
        intermediate_dim: Width of the feed-forward network's hidden layer.
        num_heads: Number of attention heads; divides `hidden_dim`.
        dropout: Dropout rate after attention and the feed-forward network.
    """

    def __init__(
        self, hidden_dim=8, intermediate_dim=16, num_heads=2, dropout=0.1, **kwargs
    ):
        super().__init__(**kwargs)
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.attention = keras.layers.MultiHeadAttention(
            num_heads=num_heads,
            key_dim=hidden_dim // num_heads,
            dtype=self.dtype_policy,
        )
        self.attention_norm = keras.layers.LayerNormalization(
            epsilon=1e-5, dtype=self.dtype_policy
        )
        self.intermediate = keras.layers.Dense(
            intermediate_dim, activation="relu", dtype=self.dtype_policy
        )
        self.projection = keras.layers.Dense(hidden_dim, dtype=self.dtype_policy)
        self.output_norm = keras.layers.LayerNormalization(
            epsilon=1e-5, dtype=self.dtype_policy
        )
        self.dropout_layer = keras.layers.Dropout(dropout, dtype=self.dtype_policy)
        self.input_spec = keras.layers.InputSpec(ndim=3)

    def build(self, input_shape):
        self.attention.build(input_shape, input_shape)
        self.attention_norm.build(input_shape)
        self.intermediate.build(input_shape)
        self.projection.build(self.intermediate.compute_output_shape(input_shape))
        self.output_norm.build(input_shape)

    def call(self, inputs, training=None):
        attended = self.attention(inputs, inputs, training=training)
        attended = self.dropout_layer(attended, training=training)
        hidden = self.attention_norm(inputs + attended)
        return self.output_norm(hidden + self._feedforward(hidden, training))

    def _feedforward(self, x, training):
        """The two dense layers and dropout."""
        x = self.projection(self.intermediate(x))
        return self.dropout_layer(x, training=training)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "intermediate_dim": self.intermediate_dim,
                "num_heads": self.num_heads,
                "dropout": self.dropout,
            }
        )
        return config
'''

#: Two tensor arguments with their own masks (`query_mask`, `value_mask`, as Keras fills
#: them in), the query's mask passed on, a call argument with a default, an allow-listed
#: import, a variable named apart from its attribute, two outputs.
TWO_INPUTS = '''\
import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="hw")
class CrossPool(keras.layers.Layer):
    """Adds the masked mean of a projected value to each step of a projected query.

    Args:
        units: Width of both projections.
    """

    def __init__(self, units=8, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.query_proj = keras.layers.Dense(units, dtype=self.dtype_policy)
        self.value_proj = keras.layers.Dense(units, dtype=self.dtype_policy)
        self.supports_masking = True

    def build(self, query_shape, value_shape):
        self._scale = self.add_weight(name="scale", shape=(), initializer="ones")
        self.query_proj.build(query_shape)
        self.value_proj.build(value_shape)

    def call(self, query, value, temperature=1.0, query_mask=None, value_mask=None):
        v = self.value_proj(value)
        if value_mask is not None:
            weights = ops.cast(ops.expand_dims(value_mask, -1), v.dtype)
        else:
            weights = ops.ones_like(v[..., :1])
        pooled = ops.sum(v * weights, axis=1, keepdims=True) / ops.maximum(
            ops.sum(weights, axis=1, keepdims=True), 1.0
        )
        mixed = self.query_proj(query) + pooled * self._scale / temperature
        return mixed / math.sqrt(self.units), pooled

    def compute_output_shape(self, query_shape, value_shape):
        return (
            tuple(query_shape[:-1]) + (self.units,),
            (value_shape[0], 1, self.units),
        )

    def get_config(self):
        return {**super().get_config(), "units": self.units}
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
