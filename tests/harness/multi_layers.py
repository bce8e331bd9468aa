"""Hand-written layers with several inputs, outputs and call arguments, verified by the
harness tests (`klgen verify tests/harness/multi_layers.py:Class --inputs ...`)."""

from __future__ import annotations

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="klgen_multi")
class CrossAttend(keras.layers.Layer):
    """Attention of `query` over `value`: two tensor arguments, each with its own mask
    (Keras fills `query_mask` and `value_mask`); the output keeps the query's mask."""

    def __init__(self, units: int = 4, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.query_dense = keras.layers.Dense(units, dtype=self.dtype_policy)
        self.value_dense = keras.layers.Dense(units, dtype=self.dtype_policy)
        self.supports_masking = True

    def build(self, query_shape, value_shape):  # type: ignore[no-untyped-def]
        self.query_dense.build(query_shape)
        self.value_dense.build(value_shape)

    def call(self, query, value, query_mask=None, value_mask=None):  # type: ignore[no-untyped-def]
        q = self.query_dense(query)
        v = self.value_dense(value)
        scores = ops.einsum("bqd,bvd->bqv", q, v) / math.sqrt(self.units)
        if value_mask is not None:
            keep = ops.expand_dims(ops.cast(value_mask, "bool"), 1)
            scores = ops.where(keep, scores, ops.cast(-1e4, scores.dtype))
        weights = ops.softmax(scores, axis=-1)
        outputs = ops.einsum("bqv,bvd->bqd", weights, v)
        if query_mask is not None:
            outputs = outputs * ops.expand_dims(ops.cast(query_mask, outputs.dtype), -1)
        return outputs

    def compute_mask(self, inputs, mask=None):  # type: ignore[no-untyped-def]
        return mask

    def compute_output_shape(self, query_shape, value_shape):  # type: ignore[no-untyped-def]
        return (*query_shape[:-1], self.units)

    def get_config(self) -> dict[str, object]:
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="klgen_multi")
class GatedSum(keras.layers.Layer):
    """`layer([a, b])`: a learned gate mixes two tensors of one shape."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.gate = None

    def build(self, input_shape):  # type: ignore[no-untyped-def]
        first, _ = input_shape
        self.gate = keras.layers.Dense(
            first[-1], activation="sigmoid", dtype=self.dtype_policy
        )
        self.gate.build((*first[:-1], 2 * first[-1]))

    def call(self, inputs):  # type: ignore[no-untyped-def]
        a, b = inputs
        g = self.gate(ops.concatenate([a, b], axis=-1))
        return g * a + (1 - g) * b

    def compute_output_shape(self, input_shape):  # type: ignore[no-untyped-def]
        return tuple(input_shape[0])


@keras.saving.register_keras_serializable(package="klgen_multi")
class ScaledHalves(keras.layers.Layer):
    """Two outputs: the scaled input's first and second half of the features."""

    def build(self, input_shape):  # type: ignore[no-untyped-def]
        self.scale = self.add_weight(
            name="scale", shape=(input_shape[-1],), initializer="ones"
        )

    def call(self, inputs):  # type: ignore[no-untyped-def]
        scaled = inputs * self.scale
        half = inputs.shape[-1] // 2
        return scaled[..., :half], scaled[..., half:]

    def compute_output_shape(self, input_shape):  # type: ignore[no-untyped-def]
        half = input_shape[-1] // 2
        return (*input_shape[:-1], half), (*input_shape[:-1], input_shape[-1] - half)


@keras.saving.register_keras_serializable(package="klgen_multi")
class OffsetPositions(keras.layers.Layer):
    """Adds a learned position table from `start_index` on (a call argument, as a cached
    decoder passes it)."""

    def __init__(self, max_length: int = 16, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length

    def build(self, input_shape):  # type: ignore[no-untyped-def]
        self.table = self.add_weight(
            name="table",
            shape=(self.max_length, input_shape[-1]),
            initializer="random_normal",
        )

    def call(self, inputs, start_index=0):  # type: ignore[no-untyped-def]
        steps = ops.shape(inputs)[1]
        positions = ops.arange(steps) + start_index
        return inputs + ops.cast(ops.take(self.table, positions, axis=0), inputs.dtype)

    def get_config(self) -> dict[str, object]:
        return {**super().get_config(), "max_length": self.max_length}


@keras.saving.register_keras_serializable(package="klgen_multi")
class IdEmbedding(keras.layers.Layer):
    """Integer ids to vectors, with the mask of the non-zero (non-padding) ids."""

    def __init__(self, vocabulary: int = 10, units: int = 4, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.vocabulary = vocabulary
        self.units = units

    def build(self, input_shape):  # type: ignore[no-untyped-def]
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.vocabulary, self.units),
            initializer="random_normal",
        )

    def call(self, inputs):  # type: ignore[no-untyped-def]
        return ops.cast(ops.take(self.embeddings, inputs, axis=0), self.compute_dtype)

    def compute_mask(self, inputs, mask=None):  # type: ignore[no-untyped-def]
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):  # type: ignore[no-untyped-def]
        return (*input_shape, self.units)

    def get_config(self) -> dict[str, object]:
        return {
            **super().get_config(),
            "vocabulary": self.vocabulary,
            "units": self.units,
        }
