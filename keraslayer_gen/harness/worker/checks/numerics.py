"""Checks 11 and 12, `mixed-precision` and `jit-parity`: dtypes under mixed policies, and
compiled predict against eager predict."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from keraslayer_gen.harness.registry import runtime_check
from keraslayer_gen.harness.worker.checks.training import takes
from keraslayer_gen.harness.worker.fixtures import allclose, is_float, max_difference
from keraslayer_gen.harness.worker.outcomes import CheckSkipped

if TYPE_CHECKING:
    from keraslayer_gen.harness.worker.session import Session

POLICIES = ("mixed_float16", "mixed_bfloat16")


def _torch_symbolic_float32(
    session: Session, symbolic: str, eager: str, compute: str
) -> bool:
    """Keras's own behaviour on torch: without compute_output_shape/compute_output_spec,
    Keras traces call symbolically, and the trace of a layer with sub-layers gives float32
    under a mixed policy while the eager call gives the compute dtype. Not the layer's
    doing."""
    from keraslayer_gen.harness.worker.checks.shapes import overrides

    return (
        session.backend == "torch"
        and symbolic == "float32"
        and eager == compute
        and not overrides(session, "compute_output_shape")
        and not overrides(session, "compute_output_spec")
    )


def _sublayer_policies(
    session: Session, fx: Any, layer: Any, policy: str, compute: str
) -> None:
    """Sub-layers follow the layer's policy: one created without
    `dtype=self.dtype_policy` computes in float32 and silently loses mixed precision."""
    walk = getattr(layer, "_flatten_layers", None)
    if walk is None:
        return
    for sub in walk(include_self=False, recursive=True):
        sub_compute = session.flavor.dtype(getattr(sub, "compute_dtype", compute))
        if sub_compute != compute and sub.built:
            raise session.fail(
                fx,
                f"sub-layer '{sub.name}' computes in {sub_compute} under {policy}, "
                f"not {compute}: create it with dtype=self.dtype_policy",
            )


@runtime_check("mixed-precision")
def check_mixed_precision(session: Session) -> list[str]:
    std = session.flavor.dtype
    notes: list[str] = []
    intended = session.expectations.output_dtype
    exempt = session.expectations.weight_dtypes
    name = session.layer_cls.__name__
    paths = ["training=False", "training=True"] if takes(session, "training") else [""]
    for policy in POLICIES:
        for fx in session.fixtures:
            with session.guard(fx, f"{name}(dtype='{policy}')"):
                layer = fx.new_layer(dtype=session.flavor.policy(policy))
            compute = std(layer.compute_dtype)
            outputs = []
            for path in paths:
                training = {"training": path == "training=True"} if path else {}
                with session.guard(fx, f"call({path}) under {policy}"):
                    outputs.append((path, fx.call(layer, None, **training)))
            for weight in layer.weights:
                dtype, wname = std(weight), session.flavor.name(weight)
                if is_float(dtype) and dtype != "float32" and wname not in exempt:
                    raise session.fail(
                        fx,
                        f"weight '{wname}' is {dtype} under {policy}: "
                        "leave add_weight's dtype unset so that Keras keeps "
                        "variables in float32",
                    )
            _sublayer_policies(session, fx, layer, policy, compute)
            flat = [
                (path, o, f"output {i} " if n > 1 else "")
                for path, out in outputs
                for n in [len(session.flatten(out))]
                for i, o in enumerate(session.flatten(out))
            ]
            for path, out, which in flat:
                dtype = std(out)
                where = f" with {path}" if path else ""
                if intended is not None:
                    if dtype != intended:
                        raise session.fail(
                            fx,
                            f"the {which}output is {dtype}{where} under {policy}, "
                            f"but the layer declares output dtype {intended}: "
                            f"cast the result to {intended}",
                        )
                elif is_float(dtype) and dtype != compute:
                    raise session.fail(
                        fx,
                        f"the {which}output is {dtype}{where} under {policy}, not "
                        f"the compute dtype {compute}: compute in the input's "
                        "dtype, or cast the result to self.compute_dtype (or, "
                        "if this dtype is the layer's purpose, declare it with "
                        f"--output-dtype {dtype})",
                    )
            with session.guard(fx, f"a call on keras.Input under {policy}"):
                symbolic_all = session.flatten(
                    fx.symbolic(fx.new_layer(dtype=session.flavor.policy(policy)))[1]
                )
            eager_all = session.flatten(outputs[0][1])
            for symbolic, eager_out in zip(symbolic_all, eager_all, strict=False):
                eager = std(eager_out)
                if std(symbolic) == eager:
                    continue
                if _torch_symbolic_float32(session, std(symbolic), eager, compute):
                    note = (
                        f"under {policy} on torch the symbolic output is float32 and the "
                        f"eager one {eager}: Keras's torch backend traces call in float32 "
                        "for a layer without compute_output_shape (Keras's behaviour, not "
                        "the layer's); define compute_output_shape to make them agree"
                    )
                    if note not in notes:
                        notes.append(note)
                    continue
                raise session.fail(
                    fx,
                    f"under {policy} the eager output is {eager} but the "
                    f"symbolic output is {std(symbolic)}: make "
                    "compute_output_spec give the real output dtype",
                )
    return notes


#: `torch.compile` backend of jit-parity on torch; `inductor` is what Keras itself uses.
TORCH_BACKEND_VARIABLE = "KLGEN_TORCH_COMPILE_BACKEND"


@contextlib.contextmanager
def torch_compile_backend(session: Session) -> Iterator[str | None]:
    """On torch, `jit_compile=True` means `torch.compile`, whose default inductor backend
    generates and compiles C++ for 5-15 s per model on CPU. The check traces the model with
    dynamo (where a layer's Python breaks under compilation) and runs the captured graph
    with the `eager` backend, unless `KLGEN_TORCH_COMPILE_BACKEND` names another one
    (`inductor` for the whole compiler)."""
    if session.backend != "torch":
        yield None
        return
    import torch

    backend = os.environ.get(TORCH_BACKEND_VARIABLE, "eager")
    original = torch.compile

    def compile_traced(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("backend", backend)
        return original(*args, **kwargs)

    torch.compile = compile_traced
    try:
        yield f"torch.compile backend {backend}"
    finally:
        torch.compile = original


def _compare(session: Session, fx: Any, jit: Any, eager: Any, label: str) -> None:
    if not allclose(jit, eager):
        session.skip_if_random_inference(fx, "compiled and eager predict")
        raise session.fail(
            fx,
            f"predict() with jit_compile=True differs from the eager "
            f"model{label} (max difference "
            f"{max_difference(jit, eager):.3g}): keep Python-side state and "
            "value-dependent Python branches out of call",
        )


def _graph_parity(session: Session, fx: Any, label: str) -> None:
    """tf-keras: an inference call traced by `tf.function` (graph mode, where Keras 2
    code paths such as `K.in_train_phase` take their symbolic branch) equals the eager
    one."""
    import tensorflow as tf  # type: ignore[import-untyped]

    layer = fx.new_layer()
    start = None
    if session.expectations.state_on == "every_call":
        # the state moves in every call, inference included: the graph call starts from
        # the state the eager call started from, or the two compute on other state
        with session.guard(fx, f"build({fx.shape_text})"):
            fx.build(layer)
        start = layer.get_weights()
    with session.guard(fx, f"call(training=False){label}"):
        eager = session.numpy(fx.call(layer, training=False))
    if start is not None:
        with session.guard(fx, "set_weights() with the weights before the eager call"):
            layer.set_weights(start)
    with session.guard(fx, f"call(training=False) inside tf.function{label}"):
        graph = session.numpy(tf.function(lambda: fx.call(layer, training=False))())
    if not allclose(graph, eager):
        raise session.fail(
            fx,
            f"an inference call inside tf.function (graph mode) differs "
            f"from the eager call{label} (max difference "
            f"{max_difference(graph, eager):.3g}): branch on `training` with "
            "K.in_train_phase(train_fn, infer_fn, training=training) or "
            "tf.cond, not a Python `if` on tensors, and keep Python-side state "
            "out of call",
        )


@runtime_check("jit-parity")
def check_jit_parity(session: Session) -> list[str]:
    """Compiled `predict` against the same model run eagerly (the computation of
    `predict(run_eagerly=True)`, called directly: it skips a data pipeline that costs
    more than the check on TensorFlow), with the example's mask and without.

    On tf-keras it also compares an inference call inside `tf.function` with the eager
    call (graph mode).

    On torch it runs with `--full` only: there `jit_compile=True` means torch.compile,
    which is not Keras's default on torch and costs seconds per model on CPU."""
    keras = session.keras
    if session.backend == "torch" and not session.full:
        raise CheckSkipped(
            "on torch, jit_compile=True means torch.compile, which Keras does "
            "not use by default there and which takes seconds per model on "
            "CPU: it runs with --full"
        )
    notes: list[str] = []
    with torch_compile_backend(session) as torch_backend:
        if torch_backend:
            notes.append(torch_backend)
        for fx in session.fixtures:
            label = " with a mask" if fx.masked else ""
            with session.guard(fx, f"predict() with jit_compile=True{label}"):
                jit = fx.predict("jit")["value"]
            with session.guard(fx, f"an eager call of the model{label}"):
                eager = fx.inference
            _compare(session, fx, jit, eager, label)
            if session.flavor.graph_mode:
                _graph_parity(session, fx, label)
            if not fx.masked:
                continue
            plain = keras.Model(*fx.symbolic(fx.layer))
            plain.compile(jit_compile=True)
            with session.guard(fx, "predict() with jit_compile=True without a mask"):
                jit = session.numpy(plain.predict_on_batch(fx.x))
            with session.guard(fx, "an eager call of the model without a mask"):
                eager = session.numpy(plain(fx.x, training=False))
            _compare(session, fx, jit, eager, " without a mask")
    return notes
