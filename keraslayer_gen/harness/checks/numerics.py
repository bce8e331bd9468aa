"""Checks 11 and 12, `mixed-precision` and `jit-parity`: dtypes under mixed policies, and
compiled predict against eager predict."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..fixtures import allclose, is_float, max_difference
from .training import takes

if TYPE_CHECKING:
    from ..session import Session

POLICIES = ("mixed_float16", "mixed_bfloat16")


def check_mixed_precision(session: Session) -> list[str]:
    std = session.flavor.dtype
    exempt = session.expectations.weight_dtypes
    name = session.layer_cls.__name__
    paths = ["training=False", "training=True"] if takes(session, "training") else [""]
    for policy in POLICIES:
        for fx in session.fixtures:
            with session.guard(fx, f"{name}(dtype='{policy}')"):
                layer = fx.new_layer(dtype=policy)
            compute = std(layer.compute_dtype)
            outputs = []
            for path in paths:
                kwargs = {"training": path == "training=True"} if path else {}
                with session.guard(fx, f"call({path}) under {policy}"):
                    outputs.append((path, fx.call(layer, **kwargs)))
            for weight in layer.weights:
                dtype, wname = std(weight), session.flavor.name(weight)
                if is_float(dtype) and dtype != "float32" and wname not in exempt:
                    raise session.fail(fx, f"weight '{wname}' is {dtype} under {policy}: "
                                       "leave add_weight's dtype unset so that Keras keeps "
                                       "variables in float32")
            for path, out in outputs:
                dtype = std(out)
                if is_float(dtype) and dtype != compute:
                    where = f" with {path}" if path else ""
                    raise session.fail(fx, f"the output is {dtype}{where} under {policy}, not "
                                       f"the compute dtype {compute}: compute in the input's "
                                       "dtype, or cast the result to self.compute_dtype")
            with session.guard(fx, f"a call on keras.Input under {policy}"):
                symbolic = fx.new_layer(dtype=policy)(fx.keras_input())
            eager = std(outputs[0][1])
            if std(symbolic) != eager:
                raise session.fail(fx, f"under {policy} the eager output is {eager} but the "
                                   f"symbolic output is {std(symbolic)}: make "
                                   "compute_output_spec give the real output dtype")
    return []


@contextlib.contextmanager
def torch_compile_backend(session: Session) -> Iterator[str | None]:
    """On torch, `jit_compile=True` means `torch.compile`; its default inductor backend
    takes 5-15 s per model on CPU, so the default run traces with dynamo and runs the
    captured graph (`eager` backend); `--full` compiles with inductor as Keras does."""
    if session.backend != "torch" or session.full:
        yield "inductor" if session.backend == "torch" else None
        return
    import torch

    original = torch.compile

    def compile_traced(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("backend", "eager")
        return original(*args, **kwargs)

    torch.compile = compile_traced
    try:
        yield "dynamo, eager backend"
    finally:
        torch.compile = original


def _compare(session: Session, fx: Any, jit: Any, eager: Any, label: str) -> None:
    if not allclose(jit, eager):
        raise session.fail(fx, f"predict() with jit_compile=True differs from "
                           f"run_eagerly=True{label} (max difference "
                           f"{max_difference(jit, eager):.3g}): keep Python-side state and "
                           "value-dependent Python branches out of call")


def check_jit_parity(session: Session) -> list[str]:
    keras = session.keras
    notes: list[str] = []
    with torch_compile_backend(session) as torch_backend:
        if torch_backend:
            notes.append(f"torch.compile backend: {torch_backend}")
        for fx in session.fixtures:
            label = " with a mask" if fx.mask is not None else ""
            with session.guard(fx, f"predict() with jit_compile=True{label}"):
                jit = fx.predict("jit")["value"]
            with session.guard(fx, f"predict() with run_eagerly=True{label}"):
                eager = fx.predict("eager")["value"]
            _compare(session, fx, jit, eager, label)
            if fx.mask is None:
                continue
            source = fx.keras_input()
            plain = keras.Model(source, fx.layer(source))
            results = {}
            for mode, options in (("jit_compile=True", {"jit_compile": True}),
                                  ("run_eagerly=True", {"run_eagerly": True})):
                plain.compile(**options)
                with session.guard(fx, f"predict() with {mode} without a mask"):
                    results[mode] = session.numpy(
                        plain.predict(fx.x, batch_size=len(fx.x), verbose=0))
            _compare(session, fx, results["jit_compile=True"], results["run_eagerly=True"],
                     " without a mask")
    return notes
