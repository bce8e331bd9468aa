"""Worker side: tensors as arrays, masks attached to and read from tensors, weight
snapshots: what the fixtures and the checks do with one backend's values.

Keras must be imported before this module is used (the worker, or an in-process run).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from keraslayer_gen.harness.expectations import TensorExample
from keraslayer_gen.harness.worker.flavor import Flavor


class TensorOps:
    """One backend's tensors, through its `Flavor`."""

    def __init__(self, keras: Any, flavor: Flavor) -> None:
        self.keras = keras
        self.flavor = flavor

    def numpy(self, value: Any) -> Any:
        """One output as an array; several outputs (a tuple, list or dict) as a list of
        arrays in `keras.tree.flatten` order."""
        if isinstance(value, (list, tuple, dict)):
            return [self.flavor.numpy(v) for v in self.flatten(value)]
        return self.flavor.numpy(value)

    def flatten(self, value: Any) -> list[Any]:
        """The tensors of a (possibly nested) output, in `keras.tree.flatten` order."""
        tree = getattr(self.keras, "tree", None)
        if tree is not None:
            return list(tree.flatten(value))
        import tensorflow as tf  # type: ignore[import-untyped]

        return list(tf.nest.flatten(value))

    def convert(self, x: np.ndarray) -> Any:
        return self.flavor.convert(x)

    def mask_from_padding(self, source: Any, tensor: TensorExample) -> Any:
        """A symbolic input with the mask of its padding values: `Masking` for floats,
        `not_equal` to the padding for integer ids."""
        value = 0 if tensor.padding is None else tensor.padding
        if "float" in tensor.dtype:
            return self.keras.layers.Masking(mask_value=value)(source)
        return self._helpers["ValueMask"](value)(source)

    def attach_mask(self, x: np.ndarray, mask: np.ndarray) -> Any:
        """`x` as a tensor carrying `mask`, attached by a layer as `Masking` does."""
        return self._helpers["MaskFrom"]()([self.convert(x), self.convert(mask)])

    def output_mask(self, outputs: Any) -> np.ndarray | None:
        """The mask Keras attached to `outputs`, read by a downstream layer's `call`."""
        probe = self._helpers["MaskProbe"]()
        probe(outputs)
        return None if probe.seen is None else self.numpy(probe.seen)

    def snapshot(self, layer: Any) -> list[tuple[str, bool, np.ndarray]]:
        """(name, trainable, value) of every weight, in order."""
        return [
            (self.flavor.name(w), bool(w.trainable), self.numpy(w).copy())
            for w in layer.weights
        ]

    @functools.cached_property
    def _helpers(self) -> dict[str, type]:
        flavor = self.flavor
        base: Any = self.keras.layers.Layer

        class MaskFrom(base):  # type: ignore[misc, valid-type]
            def __init__(self, **kwargs: Any) -> None:
                super().__init__(**kwargs)
                self.supports_masking = True

            def call(self, inputs: Any) -> Any:
                return flavor.copy(inputs[0])

            def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
                return inputs[1]

        class MaskProbe(base):  # type: ignore[misc, valid-type]
            def __init__(self, **kwargs: Any) -> None:
                super().__init__(**kwargs)
                self.supports_masking = True
                self.seen = None

            def call(self, inputs: Any, mask: Any = None) -> Any:
                self.seen = mask
                return inputs

        keras = self.keras

        class ValueMask(base):  # type: ignore[misc, valid-type]
            def __init__(self, value: Any = 0, **kwargs: Any) -> None:
                super().__init__(**kwargs)
                self.value = value
                self.supports_masking = True

            def call(self, inputs: Any) -> Any:
                return flavor.copy(inputs)

            def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
                ops = getattr(keras, "ops", None)
                if ops is not None:
                    return ops.not_equal(inputs, self.value)
                import tensorflow as tf  # type: ignore[import-untyped]

                return tf.not_equal(inputs, self.value)

            def get_config(self) -> dict[str, Any]:
                return {**super().get_config(), "value": self.value}

        return {"MaskFrom": MaskFrom, "MaskProbe": MaskProbe, "ValueMask": ValueMask}
