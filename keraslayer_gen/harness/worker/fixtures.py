"""Worker side: one example's data, layers and models, built once and shared by the checks.

Imported only in a process where Keras is already imported (the worker, or a pytest process
running the checks in-process).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from keraslayer_gen.harness.expectations import Example, TensorExample
from keraslayer_gen.harness.worker.outcomes import SharedRuns
from keraslayer_gen.harness.worker.tensors import TensorOps


def make_inputs(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    dtype: str,
    low: float | None = None,
    high: float | None = None,
) -> np.ndarray:
    """Random inputs: normal floats (uniform in `low..high` when both are given),
    integers drawn from `low..high` (default 1..9), or booleans."""
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if "int" in dtype:
        lo = 1 if low is None else int(low)
        hi = max(lo, 9 if high is None else int(high))
        return rng.integers(lo, hi + 1, size=shape).astype(dtype)
    if low is not None and high is not None:
        return rng.uniform(low, high, size=shape).astype(dtype)
    values = rng.normal(size=shape)
    if low is not None:
        values = low + np.abs(values)
    elif high is not None:
        values = high - np.abs(values)
    return values.astype(dtype)


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


def padding_positions(shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """Where a tensor's padding goes (True: a valid step): over every axis but the
    features for floats (as `Masking` sees them), over every axis for integer ids (as
    `Embedding(mask_zero=True)` sees them)."""
    if is_float(dtype) or len(shape) < 2:
        return make_mask(shape)
    return make_mask((*shape, 1))


def make_tensor(
    rng: np.random.Generator, tensor: TensorExample, batch: int | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """One input tensor's data and its padding mask (None when it has none). The padding
    value (`padding`, else 0 for a masked tensor) is written where the mask is false,
    also when the layer gets no mask (it computes one from the values)."""
    shape = tensor.shape if batch is None else (batch, *tensor.shape[1:])
    x = make_inputs(rng, shape, tensor.dtype, tensor.min, tensor.max)
    mask = padding_positions(shape, tensor.dtype)
    if tensor.mask or tensor.padding is not None:
        x[~mask] = 0 if tensor.padding is None else tensor.padding
    return x, (mask if tensor.mask else None)


def is_float(dtype: Any) -> bool:
    return any(k in str(dtype) for k in ("float", "half"))


def tolerance(dtype: Any) -> dict[str, float]:
    text = str(dtype)
    if "16" in text:
        return {"rtol": 2e-2, "atol": 2e-2}
    if "64" in text:
        return {"rtol": 1e-7, "atol": 1e-9}
    return {"rtol": 1e-4, "atol": 1e-5}


def _pairs(a: Any, b: Any) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Several outputs (lists of arrays) as pairs; None when the structures differ."""
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        if not (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))):
            return None
        if len(a) != len(b):
            return None
        return [(np.asarray(x), np.asarray(y)) for x, y in zip(a, b, strict=True)]
    return [(a, b)]


def max_difference(a: Any, b: Any) -> float:
    pairs = _pairs(a, b)
    if pairs is None:
        return float("inf")
    if len(pairs) != 1 or pairs[0][0] is not a:
        return max((max_difference(x, y) for x, y in pairs), default=0.0)
    if a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a.astype("float64") - b.astype("float64"))))


def allclose(a: Any, b: Any) -> bool:
    """Equal within the dtype's tolerance (integers exactly); several outputs (lists)
    output by output."""
    pairs = _pairs(a, b)
    if pairs is None:
        return False
    if len(pairs) != 1 or pairs[0][0] is not a:
        return all(allclose(x, y) for x, y in pairs)
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
    """One example: its data, and a model holding the layer that checks reuse.

    An example has one or several input tensors (`tensors`): `xs` holds their data and
    `masks` their padding masks (None for a tensor without one); `x` is the data as a
    model takes it (one array, or a list of arrays in input order), `mask` the first
    input's mask. `call`, `symbolic` and `model` pass the tensors the way the example
    says (one tensor, one list, or the first positionally and the rest by keyword),
    with the example's call arguments.

    It gets what it uses as values: the layer class, the backend's `TensorOps`, and the
    `SharedRuns` that remembers which shared operation failed in which check; `labelled`
    says whether its messages start with its label (when there are several examples)."""

    def __init__(
        self,
        index: int,
        example: Example,
        *,
        layer_cls: type,
        ops: TensorOps,
        runs: SharedRuns,
        labelled: bool,
    ) -> None:
        self.layer_cls = layer_cls
        self.ops = ops
        self.keras = ops.keras
        self.runs = runs
        self.index = index
        self.example = example
        self.rng = np.random.default_rng(1000 + index)
        self.tensors = example.tensors()
        self.single = example.input_style == "single"
        data = [make_tensor(self.rng, t) for t in self.tensors]
        self.xs = [x for x, _ in data]
        self.masks = [m for _, m in data]
        self.x: Any = self.pack(self.xs)
        self.mask = self.masks[0]
        self.masked = any(m is not None for m in self.masks)
        self.label = f"example {index} ({example.label()})"
        #: What the messages about this example start with.
        self.prefix = f"{self.label}: " if labelled else ""
        self._predictions: dict[str, dict[str, Any]] = {}
        self._mode = ""

    # -- structure -----------------------------------------------------------------------
    def pack(self, xs: list[Any]) -> Any:
        """Per-tensor values as a model takes them: one value, or a list."""
        return xs[0] if self.single else list(xs)

    def unpack(self, x: Any) -> list[Any]:
        return [x] if self.single else list(x)

    def arrange(self, tensors: list[Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The positional and keyword arguments of one call of the layer."""
        extra = dict(self.example.call_args)
        if self.example.input_style == "list":
            return (list(tensors),), extra
        names = [t.name for t in self.tensors[1:]]
        return (tensors[0],), {**dict(zip(names, tensors[1:], strict=True)), **extra}

    def build_args(
        self, shapes: list[tuple[Any, ...]] | None = None, method: Any = None
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The arguments of `build` (or `compute_output_shape`, `method`), as Keras
        passes them: one shape, a list of shapes (list style), or `<name>_shape` per
        tensor argument; a method with one parameter gets the first input's shape
        (Keras's `update_shapes_dict_for_target_fn`)."""
        shapes = shapes or [t.shape for t in self.tensors]
        if self.single:
            return (tuple(shapes[0]),), {}
        if self.example.input_style == "list":
            return ([tuple(s) for s in shapes],), {}
        named = {
            f"{t.name}_shape": tuple(s)
            for t, s in zip(self.tensors, shapes, strict=True)
        }
        if method is not None:
            try:
                params = [
                    n
                    for n, p in inspect.signature(method).parameters.items()
                    if n != "self"
                    and p.kind
                    in (p.POSITIONAL_OR_KEYWORD, p.POSITIONAL_ONLY, p.KEYWORD_ONLY)
                ]
            except (TypeError, ValueError):
                params = list(named)
            if len(params) == 1:
                return (tuple(shapes[0]),), {}
            return (), {k: v for k, v in named.items() if k in params}
        return (), named

    def build(self, layer: Any) -> None:
        args, kwargs = self.build_args(method=layer.build)
        layer.build(*args, **kwargs)

    @property
    def shape_text(self) -> str:
        """The shapes `build` gets, for messages."""
        cls: Any = self.layer_cls
        args, kwargs = self.build_args(method=cls.build)
        if kwargs:
            return ", ".join(f"{k}={v}" for k, v in kwargs.items())
        return str(args[0])

    # -- layers --------------------------------------------------------------------------
    def new_layer(self, **extra: Any) -> Any:
        return self.layer_cls(**{**self.example.init, **extra})

    def inputs(self, batch: int, seed: int = 0) -> Any:
        """Fresh data like the example's (padding included), with another batch size."""
        rng = np.random.default_rng(7 + batch + 1000 * seed)
        return self.pack([make_tensor(rng, t, batch)[0] for t in self.tensors])

    def call(
        self, layer: Any, x: Any = None, *, masked: bool = True, **training: bool
    ) -> Any:
        """An eager call (`training=...` passed on only when given); with the example's
        padding masks attached to the inputs the way a `Masking` layer attaches them (so
        `call` receives them as `mask` / `<name>_mask` if it declares them), unless
        `masked` is False (data of another batch size)."""
        xs = self.xs if x is None else self.unpack(x)
        ops = self.ops
        tensors = [
            (
                ops.attach_mask(value, mask)
                if masked and mask is not None
                else ops.convert(value)
            )
            for value, mask in zip(xs, self.masks, strict=True)
        ]
        args, kwargs = self.arrange(tensors)
        return layer(*args, **kwargs, **training)

    def keras_inputs(self) -> list[Any]:
        keras = self.keras
        return [keras.Input(shape=t.shape[1:], dtype=t.dtype) for t in self.tensors]

    def keras_input(self) -> Any:
        """Symbolic inputs as a model takes them (one Input, or a list)."""
        return self.pack(self.keras_inputs())

    def masking(self, sources: list[Any]) -> list[Any]:
        """Symbolic inputs with the example's masks computed from the padding values
        (`Masking` for floats, `not_equal` to the padding for integer ids)."""
        return [
            self.ops.mask_from_padding(source, t) if mask is not None else source
            for source, t, mask in zip(sources, self.tensors, self.masks, strict=True)
        ]

    def symbolic(self, layer: Any, masked: bool = False) -> tuple[Any, Any]:
        """(model inputs, outputs) of the layer called on fresh `keras.Input`s."""
        sources = self.keras_inputs()
        hidden = self.masking(sources) if masked else sources
        args, kwargs = self.arrange(hidden)
        return self.pack(sources), layer(*args, **kwargs)

    # -- the shared model ----------------------------------------------------------------
    def shared(self, what: str, compute: Callable[[], Any]) -> Any:
        """Run an operation on the shared model that several checks reuse (see
        `SharedRuns`): its failure is the current check's, a later check skips."""
        return self.runs.run(self.index, self.prefix, what, compute)

    @functools.cached_property
    def model(self) -> Any:
        """`Input(s) -> [masks] -> layer` with a spy on the layer's `call` that records
        the `training` values and masks it receives."""
        self.layer = self.new_layer()
        self.calls = spy_on(self.layer)
        inputs, outputs = self.symbolic(self.layer, masked=True)
        return self.keras.Model(inputs, outputs)

    @functools.cached_property
    def output_is_float(self) -> bool:
        """Whether every output is floating point (a fit step and gradients apply)."""
        value = self.ops.numpy(self.call(self.new_layer(), training=False))
        outputs = value if isinstance(value, list) else [value]
        return all(is_float(v.dtype) for v in outputs)

    @functools.cached_property
    def compiled(self) -> Any:
        """The shared model compiled as `fit` uses it (`jit_compile="auto"`: XLA on
        TensorFlow and JAX, eager on torch)."""
        self.model.compile(
            optimizer=self.keras.optimizers.Adam(learning_rate=0.01), loss="mse"
        )
        self._mode = "auto"
        return self.model

    @functools.cached_property
    def fitted(self) -> dict[str, Any]:
        """The shared model after one `fit` step: weights before and after, the loss, and
        the `training` values `call` saw. The step is `train_on_batch`: the compiled train
        function `fit` runs, without the data pipeline around it (on TensorFlow a tf.data
        pipeline per call that costs more than the step)."""
        return self.shared("one fit step (train_on_batch)", self._fit)

    def _fit(self) -> dict[str, Any]:
        model = self.compiled
        # the target's shape from a fresh layer: a call of the shared model would move
        # the state of a layer whose state moves on every call before the step
        y = self.ops.numpy(self.call(self.new_layer(), training=False))
        target: Any = (
            [self.rng.normal(size=v.shape).astype("float32") for v in y]
            if isinstance(y, list)
            else self.rng.normal(size=y.shape).astype("float32")
        )
        before = self.ops.snapshot(self.layer)
        self.calls.clear()
        logs = model.train_on_batch(self.x, target, return_dict=True)
        fit_calls = list(self.calls)
        after = self.ops.snapshot(self.layer)
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
        return self.ops.numpy(self.model(self.x, training=False))

    def predict(self, mode: str | None = None) -> dict[str, Any]:
        """`predict` of the shared model (after the fit step when the output is float), once
        per mode: "auto" as fit compiled it, or "jit" (`jit_compile=True`); by default
        "jit" where the backend compiles with XLA (TensorFlow, JAX: one compilation serves
        the training and jit-parity checks) and "auto" on torch. Keeps the value, the spy's
        records and the weights around it. Runs `predict_on_batch`: the compiled predict
        function, without the data pipeline."""
        if mode is None:
            mode = "auto" if self.ops.flavor.backend == "torch" else "jit"
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
                optimizer=self.keras.optimizers.Adam(learning_rate=0.01),
                loss="mse",
                **options,
            )
            self._mode = mode
        before = self.ops.snapshot(self.layer)
        self.calls.clear()
        label = "predict()" + (" with jit_compile=True" if mode == "jit" else "")
        value = self.ops.numpy(
            self.shared(label, lambda: model.predict_on_batch(self.x))
        )
        result = {
            "value": value,
            "calls": list(self.calls),
            "before": before,
            "after": self.ops.snapshot(self.layer),
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
        masks = [k for k, v in kwargs.items() if k.endswith("mask") and _present(v)]
        records.append(
            {"training": kwargs.get("training"), "mask": bool(masks), "masks": masks}
        )
        return original(*args, **kwargs)

    layer.call = spy
    return records


def _present(value: Any) -> bool:
    """A mask argument that holds a mask (a list style `mask` may be all None)."""
    if isinstance(value, (list, tuple)):
        return any(_present(v) for v in value)
    return value is not None
