"""Hand-written layers with several inputs or outputs and one defect each, which the
harness must name (tests/harness/test_multi.py)."""

from __future__ import annotations

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="klgen_multi_broken")
class LeakyCross(keras.layers.Layer):
    """Attention of `query` over `value` that declares `value_mask` and ignores it:
    padded value steps leak into every output."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, query, value, query_mask=None, value_mask=None):  # type: ignore[no-untyped-def]
        scores = ops.einsum("bqd,bvd->bqv", query, value) / math.sqrt(query.shape[-1])
        return ops.einsum("bqv,bvd->bqd", ops.softmax(scores, axis=-1), value)

    def compute_mask(self, inputs, mask=None):  # type: ignore[no-untyped-def]
        return mask

    def compute_output_shape(self, query_shape, value_shape):  # type: ignore[no-untyped-def]
        return tuple(query_shape)


@keras.saving.register_keras_serializable(package="klgen_multi_broken")
class WrongHalves(keras.layers.Layer):
    """Two outputs, the second one's shape declared wrong."""

    def call(self, inputs):  # type: ignore[no-untyped-def]
        half = inputs.shape[-1] // 2
        return inputs[..., :half], inputs[..., half:]

    def compute_output_shape(self, input_shape):  # type: ignore[no-untyped-def]
        half = input_shape[-1] // 2
        return (*input_shape[:-1], half), (*input_shape[:-1], half + 1)


@keras.saving.register_keras_serializable(package="klgen_multi_broken")
class LazyGate(keras.layers.Layer):
    """`layer([a, b])` whose build does not build its sub-layer."""

    def __init__(self, units: int = 3, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.gate = keras.layers.Dense(units, dtype=self.dtype_policy)

    def build(self, input_shape):  # type: ignore[no-untyped-def]
        pass

    def call(self, inputs):  # type: ignore[no-untyped-def]
        a, b = inputs
        return self.gate(a) * ops.sigmoid(self.gate(b))

    def get_config(self) -> dict[str, object]:
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="klgen_multi_broken")
class NeedsStart(keras.layers.Layer):
    """A required call argument: `call(inputs, start_index)`."""

    def call(self, inputs, start_index):  # type: ignore[no-untyped-def]
        return inputs + ops.cast(start_index, inputs.dtype)
