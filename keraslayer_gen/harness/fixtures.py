"""Worker side: one example's data, layers and models, built once and shared by the checks.

Imported only in a process where Keras is already imported (the worker, or a pytest process
running the checks in-process).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from .expectations import Example

if TYPE_CHECKING:
    from .session import Session


def make_inputs(
    rng: np.random.Generator, shape: tuple[int, ...], dtype: str
) -> np.ndarray:
    """Random inputs: normal floats, small positive integers, or booleans."""
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if "int" in dtype:
        return rng.integers(1, 10, size=shape).astype(dtype)
    return rng.normal(size=shape).astype(dtype)


def make_mask(shape: tuple[int, ...]) -> np.ndarray:
    """A padding mask over all but the last axis: sample b > 0 has its last b steps padded
    (at most all but one), sample 0 none, the way `keras.layers.Masking` would see them.
    """
    mask = np.ones(shape[:-1] if len(shape) > 1 else shape, dtype=bool)
    if mask.ndim == 1:
        if len(mask) > 1:
            mask[-1] = False
        return mask
    steps = mask.shape[1]
    for b in range(1, mask.shape[0]):
        mask[b, steps - min(b, steps - 1) :] = False
    return mask


def is_float(dtype: Any) -> bool:
    return any(k in str(dtype) for k in ("float", "half"))


def tolerance(dtype: Any) -> dict[str, float]:
    text = str(dtype)
    if "16" in text:
        return {"rtol": 2e-2, "atol": 2e-2}
    if "64" in text:
        return {"rtol": 1e-7, "atol": 1e-9}
    return {"rtol": 1e-4, "atol": 1e-5}


def max_difference(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a.astype("float64") - b.astype("float64"))))


def allclose(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    if not is_float(a.dtype):
        return bool(np.array_equal(a, b))
    return bool(
        np.allclose(
            a.astype("float64"),
            b.astype("float64"),
            equal_nan=True,
            **tolerance(a.dtype),
        )
    )


class Fixture:
    """One example: its data, and a model holding the layer that checks reuse."""

    def __init__(self, session: Session, index: int, example: Example) -> None:
        self.session = session
        self.index = index
        self.example = example
        self.rng = np.random.default_rng(1000 + index)
        self.x = make_inputs(self.rng, example.input_shape, example.dtype)
        self.mask = make_mask(example.input_shape) if example.mask else None
        if self.mask is not None:
            self.x[~self.mask] = 0
        shape = "x".join(str(d) for d in example.input_shape)
        self.label = (
            f"example {index} (input {shape}{', masked' if example.mask else ''})"
        )
        self._predictions: dict[str, dict[str, Any]] = {}
        self._mode = ""

    # -- layers --------------------------------------------------------------------------
    def new_layer(self, **extra: Any) -> Any:
        return self.session.layer_cls(**{**self.example.init, **extra})

    def inputs(self, batch: int) -> np.ndarray:
        """Fresh data like the example's, with another batch size."""
        shape = (batch, *self.example.input_shape[1:])
        return make_inputs(np.random.default_rng(7 + batch), shape, self.example.dtype)

    def call(self, layer: Any, x: np.ndarray | None = None, **training: bool) -> Any:
        """An eager call (`training=...` passed on only when given); with the example's
        padding mask attached to the input the way a `Masking` layer attaches it (so
        `call` receives it if it declares `mask`)."""
        x = self.x if x is None else x
        if self.mask is not None:
            return layer(self.session.attach_mask(x, self.mask), **training)
        return layer(self.session.convert(x), **training)

    def keras_input(self) -> Any:
        keras = self.session.keras
        return keras.Input(shape=self.example.input_shape[1:], dtype=self.example.dtype)

    # -- the shared model ----------------------------------------------------------------
    @functools.cached_property
    def model(self) -> Any:
        """`Input -> [Masking] -> layer` with a spy on the layer's `call` that records the
        `training` values and masks it receives."""
        keras = self.session.keras
        inputs = self.keras_input()
        hidden = (
            keras.layers.Masking(mask_value=0)(inputs)
            if self.mask is not None
            else inputs
        )
        self.layer = self.new_layer()
        self.calls = spy_on(self.layer)
        model = keras.Model(inputs, self.layer(hidden))
        return model

    @functools.cached_property
    def output_is_float(self) -> bool:
        return is_float(
            self.session.numpy(self.call(self.new_layer(), training=False)).dtype
        )

    @functools.cached_property
    def compiled(self) -> Any:
        """The shared model compiled as `fit` uses it (`jit_compile="auto"`: XLA on
        TensorFlow and JAX, eager on torch)."""
        self.model.compile(
            optimizer=self.session.keras.optimizers.Adam(learning_rate=0.01), loss="mse"
        )
        self._mode = "auto"
        return self.model

    @functools.cached_property
    def fitted(self) -> dict[str, Any]:
        """The shared model after one `fit` step: weights before and after, the loss, and
        the `training` values `call` saw. The step is `train_on_batch`: the compiled train
        function `fit` runs, without the data pipeline around it (on TensorFlow a tf.data
        pipeline per call that costs more than the step)."""
        return self.session.shared(self, "one fit step (train_on_batch)", self._fit)

    def _fit(self) -> dict[str, Any]:
        model = self.compiled
        y = self.session.numpy(model(self.x, training=False))
        target = self.rng.normal(size=y.shape).astype("float32")
        before = self.session.snapshot(self.layer)
        self.calls.clear()
        logs = model.train_on_batch(self.x, target, return_dict=True)
        fit_calls = list(self.calls)
        after = self.session.snapshot(self.layer)
        return {
            "before": before,
            "after": after,
            "loss": float(logs["loss"]),
            "calls": fit_calls,
            "target": target,
        }

    @functools.cached_property
    def inference(self) -> np.ndarray:
        """The shared model called eagerly with training=False (after the fit step when the
        output is float): what `predict` with `run_eagerly=True` computes, without the
        data pipeline around it."""
        if self.output_is_float:
            self.fitted  # noqa: B018
        return self.session.numpy(self.model(self.x, training=False))

    def predict(self, mode: str | None = None) -> dict[str, Any]:
        """`predict` of the shared model (after the fit step when the output is float), once
        per mode: "auto" as fit compiled it, or "jit" (`jit_compile=True`); by default
        "jit" where the backend compiles with XLA (TensorFlow, JAX: one compilation serves
        the training and jit-parity checks) and "auto" on torch. Keeps the value, the spy's
        records and the weights around it. Runs `predict_on_batch`: the compiled predict
        function, without the data pipeline."""
        if mode is None:
            mode = "auto" if self.session.backend == "torch" else "jit"
        if mode in self._predictions:
            return self._predictions[mode]
        if self.output_is_float:
            self.fitted  # noqa: B018
        model = self.compiled
        if mode == "jit" and self._mode == "auto" and model.jit_compile:
            result = self.predict("auto")
            self._predictions["jit"] = result
            return result
        if mode != self._mode:
            options = {"auto": {}, "jit": {"jit_compile": True}}[mode]
            model.compile(
                optimizer=self.session.keras.optimizers.Adam(learning_rate=0.01),
                loss="mse",
                **options,
            )
            self._mode = mode
        before = self.session.snapshot(self.layer)
        self.calls.clear()
        label = "predict()" + (" with jit_compile=True" if mode == "jit" else "")
        value = self.session.numpy(
            self.session.shared(self, label, lambda: model.predict_on_batch(self.x))
        )
        result = {
            "value": value,
            "calls": list(self.calls),
            "before": before,
            "after": self.session.snapshot(self.layer),
        }
        self._predictions[mode] = result
        return result


def spy_on(layer: Any) -> list[dict[str, Any]]:
    """Record the keyword arguments `layer.call` receives, without changing the signature
    Keras reads (it follows `__wrapped__`). Returns the live list of records."""
    records: list[dict[str, Any]] = []
    original = layer.call

    @functools.wraps(original)
    def spy(*args: Any, **kwargs: Any) -> Any:
        records.append(
            {"training": kwargs.get("training"), "mask": kwargs.get("mask") is not None}
        )
        return original(*args, **kwargs)

    layer.call = spy
    return records
