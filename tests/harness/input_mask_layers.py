"""Hand-written layers whose `call` takes no `mask` argument and reads the mask Keras
attaches to its input instead, as keras-hub's TransformerDecoder does (through
`keras.src.backend.get_keras_mask`, which keras-hub imports too): verified by
tests/harness/test_checks_masking.py (`klgen verify ... --masking use`)."""

from __future__ import annotations

import keras
from keras import ops
from keras.src.backend import get_keras_mask


@keras.saving.register_keras_serializable(package="klgen_input_mask")
class CentreOverTime(keras.layers.Layer):
    """Subtracts each sample's mean over the unpadded steps: the mask comes from the
    input tensor, and passes on unchanged (masking: use)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):  # type: ignore[no-untyped-def]
        mask = get_keras_mask(inputs)
        if mask is None:
            return inputs - ops.mean(inputs, axis=1, keepdims=True)
        weights = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        total = ops.sum(inputs * weights, axis=1, keepdims=True)
        count = ops.maximum(ops.sum(weights, axis=1, keepdims=True), 1.0)
        return inputs - total / count


@keras.saving.register_keras_serializable(package="klgen_input_mask")
class DoubleOnly(keras.layers.Layer):
    """Doubles its input: supports masks, but neither takes nor reads one, so declared
    `masking: use` its mask reaches nothing (it is a `propagate` layer)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):  # type: ignore[no-untyped-def]
        return inputs * 2.0
