"""Worker side: the few places where Keras 3 (`keras`) and Keras 2 (`tf_keras`) differ.

The checks speak to a `Flavor` for tensors, dtypes, weight names, seed generators and replicas;
everything else (layers, models, fit/predict/save, masks, dtype policies) is the same API.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

#: The module each target's layers import.
KERAS_MODULES = {"keras3": "keras", "tf-keras": "tf_keras"}
_AGGREGATIONS = {
    "NONE": "none",
    "SUM": "sum",
    "MEAN": "mean",
    "ONLY_FIRST_REPLICA": "only_first_replica",
}


def import_keras(target: str) -> Any:
    return importlib.import_module(KERAS_MODULES[target])


class Flavor:
    """Keras 3 on any backend."""

    target = "keras3"

    def __init__(self, keras: Any) -> None:
        self.keras = keras

    @property
    def backend(self) -> str:
        return str(self.keras.backend.backend())

    def numpy(self, value: Any) -> np.ndarray:
        return np.asarray(self.keras.ops.convert_to_numpy(value))

    def convert(self, value: Any) -> Any:
        return self.keras.ops.convert_to_tensor(value)

    def copy(self, value: Any) -> Any:
        return self.keras.ops.copy(value)

    def dtype(self, value: Any) -> str:
        """The standard name of a tensor's, a variable's or a dtype's dtype."""
        return str(self.keras.backend.standardize_dtype(getattr(value, "dtype", value)))

    def name(self, weight: Any) -> str:
        """The `name=` a weight was created with."""
        return str(weight.name)

    def path(self, layer: Any, weight: Any) -> str:
        """The weight's path inside `layer` (same for two instances of one class)."""
        return str(weight.path).removeprefix(f"{layer.name}/")

    def seed_generators(self, layer: Any) -> int:
        """SeedGenerator states are the variables that are not weights."""
        return len(layer.variables) - len(layer.weights)

    def aggregation(self, weight: Any) -> str:
        return str(weight.aggregation)

    def replicas(self, weight: Any) -> list[np.ndarray]:
        """The weight's value on every device it lives on."""
        return _replicas(weight.value) or [self.numpy(weight)]

    def policy(self, name: str) -> Any:
        """The `dtype=` a layer takes for the mixed policy `name`."""
        return name

    #: Model file formats `save-load` round-trips.
    save_formats: tuple[str, ...] = (".keras",)
    #: Whether the checks also run the layer inside `tf.function` (graph mode).
    graph_mode = False


class TfKerasFlavor(Flavor):
    """Keras 2 (`tf_keras`) on TensorFlow."""

    target = "tf-keras"

    @property
    def backend(self) -> str:
        return "tensorflow"

    def numpy(self, value: Any) -> np.ndarray:
        return np.asarray(value.numpy() if hasattr(value, "numpy") else value)

    def convert(self, value: Any) -> Any:
        import tensorflow as tf  # type: ignore[import-untyped]

        return tf.convert_to_tensor(value)

    def copy(self, value: Any) -> Any:
        import tensorflow as tf  # type: ignore[import-untyped]

        return tf.identity(value)

    def dtype(self, value: Any) -> str:
        import tensorflow as tf  # type: ignore[import-untyped]

        return str(tf.as_dtype(getattr(value, "dtype", value)).name)

    def name(self, weight: Any) -> str:
        return str(weight.name).split("/")[-1].split(":")[0]

    def path(self, layer: Any, weight: Any) -> str:
        return str(weight.name).split(":")[0].removeprefix(f"{layer.name}/")

    def seed_generators(self, layer: Any) -> int:
        return 0  # Keras 2 has no SeedGenerator objects

    def aggregation(self, weight: Any) -> str:
        name = getattr(weight.aggregation, "name", str(weight.aggregation))
        return _AGGREGATIONS.get(name, name.lower())

    def replicas(self, weight: Any) -> list[np.ndarray]:
        return _replicas(weight) or [self.numpy(weight)]

    def policy(self, name: str) -> Any:
        """A `tf_keras.mixed_precision.Policy`, as Keras 2 code bases build it."""
        return self.keras.mixed_precision.Policy(name)

    #: Keras 2 code bases still save to the legacy HDF5 format as well.
    save_formats = (".keras", ".h5")
    #: Keras 2 layers run in graph mode under `tf.function` (add_update, K.in_train_phase).
    graph_mode = True


def _replicas(value: Any) -> list[np.ndarray]:
    if hasattr(value, "values") and isinstance(value.values, tuple):
        return [
            np.asarray(v.numpy()) for v in value.values
        ]  # tf.distribute MirroredVariable
    if hasattr(value, "addressable_shards"):  # a jax.Array replicated over a mesh
        return [np.asarray(s.data) for s in value.addressable_shards]
    return []


def flavor_for(keras: Any, target: str) -> Flavor:
    return TfKerasFlavor(keras) if target == "tf-keras" else Flavor(keras)
