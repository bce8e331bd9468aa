"""Checks 5 and 6, `build` and `shapes`: the weights build creates, and output shapes/dtypes."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from keraslayer_gen.harness.registry import runtime_check
from keraslayer_gen.harness.worker.fixtures import make_inputs
from keraslayer_gen.harness.worker.outcomes import describe

if TYPE_CHECKING:
    from keraslayer_gen.harness.worker.fixtures import Fixture
    from keraslayer_gen.harness.worker.session import Session

_COUNTS = (
    ("trainable", "trainable"),
    ("non_trainable", "non-trainable"),
    ("seed_generators", "seed-generator"),
)


def _weights(session: Session, layer: Any) -> list[tuple[str, tuple[Any, ...], bool]]:
    """(name, shape, trainable) of every weight, in order (paths are not the same for two
    instances: sublayers get numbered names)."""
    return [
        (session.flavor.name(w), tuple(w.shape), bool(w.trainable))
        for w in layer.weights
    ]


def _layout(session: Session, layer: Any) -> list[tuple[tuple[Any, ...], str, bool]]:
    """(shape, dtype, trainable) of every weight, in order: what two builds of one layer
    must agree on. Names are left out: Keras numbers auto-generated ones (`variable`,
    `variable_2`) per instance."""
    return [
        (tuple(w.shape), session.flavor.dtype(w), bool(w.trainable))
        for w in layer.weights
    ]


def _show(weights: list[tuple[str, tuple[Any, ...], bool]]) -> str:
    return (
        ", ".join(f"{name.split('/')[-1]} {shape}" for name, shape, _ in weights)
        or "none"
    )


def _unbuilt_sublayers(layer: Any) -> list[str]:
    """The layer's direct sub-layers that are still unbuilt (Keras 3 tracks them in
    `_layers`; tf-keras in `_self_tracked_trackables`)."""
    subs = getattr(layer, "_layers", None)
    if subs is None:
        subs = getattr(layer, "_self_tracked_trackables", [])
    return [
        str(getattr(s, "name", type(s).__name__))
        for s in subs
        if hasattr(s, "built") and not s.built
    ]


def _unbuilt(session: Session, fx: Fixture, caught: list[Any]) -> None:
    for warning in caught:
        if "unbuilt state" in str(warning.message):
            raise session.fail(
                fx,
                "Keras warns that the layer has unbuilt state: create "
                "every weight and sublayer in build(), none in __init__ or "
                "call",
            )


def _counts(
    session: Session, fx: Fixture, layer: Any, observed: dict[str, list[int]]
) -> None:
    weights = _weights(session, layer)
    found = {
        "trainable": sum(1 for w in weights if w[2]),
        "non_trainable": sum(1 for w in weights if not w[2]),
        "seed_generators": session.flavor.seed_generators(layer),
    }
    for key, _ in _COUNTS:
        observed.setdefault(key, []).append(found[key])
        if any(getattr(f.example, key) is None for f in session.fixtures):
            session.observe(key, _one(observed[key]))
    for key, word in _COUNTS:
        expected = getattr(fx.example, key)
        if expected is not None and expected != found[key]:
            names = [
                n.split("/")[-1]
                for n, _, t in weights
                if key == "seed_generators" or t == (key == "trainable")
            ]
            listed = (
                f" ({', '.join(names)})" if names and key != "seed_generators" else ""
            )
            hint = (
                "create one keras.random.SeedGenerator per random stream, in __init__"
                if key == "seed_generators"
                else "create exactly the declared weights in build() (a `when:` weight only "
                "when its argument is true)"
            )
            raise session.fail(
                fx,
                f"build() creates {found[key]} {word} weight(s){listed} "
                f"but {expected} are expected: {hint}",
            )


@runtime_check("build")
def check_build(session: Session) -> list[str]:
    observed: dict[str, list[int]] = {}
    for fx in session.fixtures:
        shape = fx.shape_text
        built = fx.new_layer()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with session.guard(fx, f"build({shape})"):
                fx.build(built)
        _unbuilt(session, fx, caught)
        weights = _weights(session, built)
        for name, dims, _ in weights:
            if any(d is None for d in dims):
                raise session.fail(
                    fx,
                    f"weight '{name}' has the undefined shape {dims} after "
                    "build: derive its shape from input_shape[1:] or the "
                    "arguments, never from the batch dimension",
                )
        paths = [session.flavor.path(built, w) for w in built.weights]
        duplicates = sorted({p for p in paths if paths.count(p) > 1})
        if duplicates:
            raise session.fail(
                fx,
                f"two weights share the name '{duplicates[0]}': give each "
                "add_weight a unique name=, or saving mixes their values",
            )
        symbolic = fx.new_layer()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with session.guard(fx, "a call on keras.Input (batch dimension None)"):
                fx.symbolic(symbolic)
        _unbuilt(session, fx, caught)
        _sublayers_built(session, fx, built)
        _counts(session, fx, built, observed)
        if _layout(session, symbolic) != _layout(session, built):
            raise session.fail(
                fx,
                f"build({shape}) creates [{_show(weights)}] but a call "
                f"with a None batch dimension creates "
                f"[{_show(_weights(session, symbolic))}]: shape weights from the "
                "non-batch dimensions only",
            )
        again = fx.new_layer()
        with session.guard(fx, f"build({shape})"):
            fx.build(again)
        if _layout(session, again) != _layout(session, built):
            raise session.fail(
                fx,
                "two builds create the weights in different orders: "
                "create them in a fixed order (no set or unordered dict)",
            )
        try:
            fx.call(built, training=False)
        except Exception as exc:
            if "new elements of state" in str(exc) or "add new" in str(exc):
                raise session.fail(
                    fx,
                    f"call() creates state after build{session.where(exc)}:"
                    " create every weight in build()",
                ) from None
            with session.guard(fx, "call() after build()"):
                raise
        if [w[1:] for w in _weights(session, built)] != [w[1:] for w in weights]:
            raise session.fail(
                fx,
                "call() changes the layer's weights after build(): create "
                "every weight in build()",
            )
        _other_sizes(session, fx, built)
    return []


def _sublayers_built(session: Session, fx: Fixture, built: Any) -> None:
    """A build() that leaves sub-layers unbuilt: their weights appear only at the first
    call (Keras builds them then), so build() then set_weights() or load_weights()
    fails. Named before the weight counts, which it also gets wrong."""
    unbuilt = _unbuilt_sublayers(built)
    if not unbuilt:
        return
    called = fx.new_layer()
    with session.guard(fx, f"build({fx.shape_text})"):
        fx.build(called)
    with session.guard(fx, "call() after build()"):
        fx.call(called, training=False)
    if len(called.weights) > len(built.weights):
        raise session.fail(
            fx,
            f"build({fx.shape_text}) leaves the sub-layer(s) "
            f"{', '.join(unbuilt)} unbuilt, so their weights exist only "
            "after the first call (build() then set_weights() or "
            "load_weights() fails): build the sub-layers in build, e.g. "
            "self.dense.build(input_shape)",
        )


def _other_sizes(session: Session, fx: Fixture, built: Any) -> None:
    """A second input with other non-batch sizes: a layer whose build() accepts it but
    whose call() then fails keeps a weight shaped for the example's sizes (a hard-coded
    `shape=(5, self.units)`). Reported only when a weight dimension equal to a changed
    input size stays the same and is not one of the constructor's own values."""
    shape = fx.example.input_shape
    if not fx.single or len(shape) < 2 or not built.weights:
        return  # several inputs: their sizes are tied to each other in ways not known
    other = (shape[0], *(d + 2 for d in shape[1:]))
    layer = fx.new_layer()
    try:
        layer.build(other)
    except Exception:
        return  # build refuses the sizes: the layer validates its input
    try:
        x = make_inputs(np.random.default_rng(11), other, fx.example.dtype)
        fx.call(layer, x, masked=False, training=False)
        return
    except Exception as exc:
        kind = type(exc).__name__
        error = describe(exc)[:200]
        where = session.where(exc)
    changed = set(shape[1:]) - set(other[1:])
    own = {
        v
        for v in fx.example.init.values()
        if isinstance(v, int) and not isinstance(v, bool)
    }
    for (name, before, _), (_, after, _) in zip(
        _weights(session, built), _weights(session, layer), strict=False
    ):
        stale = [d for d in before if d in changed and d not in own]
        if before == after and stale:
            raise session.fail(
                fx,
                f"build({other}) accepts an input with other non-batch "
                f"sizes but call() then fails ({kind}: {error}"
                f"{where}): weight '{name.split('/')[-1]}' keeps the shape "
                f"{before}, sized for the example's {stale[0]}: derive weight "
                "shapes from input_shape in build()",
            )


def _one(values: list[Any]) -> Any:
    return values[0] if len(set(values)) == 1 else values


def _shape(value: Any) -> tuple[Any, ...] | None:
    try:
        return tuple(None if d is None else int(d) for d in value)
    except TypeError:
        return None


def overrides(session: Session, method: str) -> bool:
    """Whether the layer class defines `method` itself (or a base other than Keras's)."""
    keras_base = session.keras.layers.Layer
    mine = getattr(session.layer_cls, method, None)
    return mine is not None and mine is not getattr(keras_base, method, None)


def _declared_shapes(declared: Any, count: int) -> list[tuple[Any, ...] | None] | None:
    """compute_output_shape's result as one shape per output (None: not shapes)."""
    if count == 1:
        return [_shape(declared)]
    if isinstance(declared, dict):
        declared = list(declared.values())
    if not isinstance(declared, (list, tuple)) or len(declared) != count:
        return None
    return [_shape(d) for d in declared]


def _which(index: int, count: int) -> str:
    return f"output {index}: " if count > 1 else ""


@runtime_check("shapes")
def check_shapes(session: Session) -> list[str]:
    std = session.flavor.dtype
    declares = overrides(session, "compute_output_shape")
    cls: Any = session.layer_cls
    notes: list[str] = []
    for fx in session.fixtures:
        example = fx.example
        for batch in (1, 3):
            shapes = [(batch, *t.shape[1:]) for t in fx.tensors]
            args, kwargs = fx.build_args(
                shapes,
                method=cls.compute_output_shape,
            )
            shape = (
                ", ".join(f"{k}={v}" for k, v in kwargs.items())
                if kwargs
                else str(args[0])
            )
            layer = fx.new_layer()
            with session.guard(fx, "a call on keras.Input"):
                symbolic = session.flatten(fx.symbolic(layer)[1])
            with session.guard(fx, f"call() on a batch of {batch}"):
                eager = session.flatten(
                    fx.call(layer, fx.inputs(batch), masked=False, training=False)
                )
            count = len(eager)
            eager_shapes = [tuple(int(d) for d in e.shape) for e in eager]
            if declares:
                with session.guard(fx, f"compute_output_shape({shape})"):
                    raw = layer.compute_output_shape(*args, **kwargs)
                declared = _declared_shapes(raw, count)
                if declared is None or any(d is None for d in declared):
                    raise session.fail(
                        fx,
                        "compute_output_shape() does not return a shape "
                        "tuple: return one tuple for a single output"
                        + (
                            f", a tuple of {count} shape tuples for {count} outputs"
                            if count > 1
                            else ""
                        ),
                    )
                for i, (want, got) in enumerate(
                    zip(declared, eager_shapes, strict=True)
                ):
                    if not shape_agrees(want, got):
                        raise session.fail(
                            fx,
                            f"{_which(i, count)}compute_output_shape({shape}) returns "
                            f"{want} but call() returns {got}: make "
                            "compute_output_shape compute the shape call produces",
                        )
            if len(symbolic) != count:
                raise session.fail(
                    fx,
                    f"the symbolic call on keras.Input gives {len(symbolic)} "
                    f"output(s) but the eager call {count}: return the same "
                    "structure in both",
                )
            for i, (sym, eager_shape) in enumerate(
                zip(symbolic, eager_shapes, strict=True)
            ):
                sym_shape = tuple(sym.shape)
                pairs = zip(sym_shape[1:], eager_shape[1:], strict=False)
                if len(sym_shape) != len(eager_shape) or any(
                    s is not None and s != e for s, e in pairs
                ):
                    fix = (
                        "make compute_output_shape agree with call"
                        if declares
                        else "Keras traced call on the symbolic input (there is no "
                        "compute_output_shape), so call computes shapes from values it "
                        "does not have symbolically: fix call, or define "
                        "compute_output_shape"
                    )
                    raise session.fail(
                        fx,
                        f"{_which(i, count)}the symbolic call on keras.Input gives "
                        f"{sym_shape} but the eager call gives {eager_shape}: {fix}",
                    )
            if not declares and batch == 3:
                gives = ", ".join(
                    f"{s} ({std(e)})" for s, e in zip(eager_shapes, eager, strict=True)
                )
                notes.append(
                    f"{session.prefix(fx)}no compute_output_shape, so Keras traces "
                    f"call for the symbolic output, which agrees with the eager "
                    f"one: input {shape} gives {gives}; check "
                    "that this is the shape you intend"
                )
            intended = session.expectations.output_dtype
            for i, (e, sym) in enumerate(zip(eager, symbolic, strict=True)):
                if intended is not None and std(e) != intended:
                    raise session.fail(
                        fx,
                        f"{_which(i, count)}the output is {std(e)} but the layer "
                        f"declares output dtype {intended}: cast the result to "
                        f"{intended}",
                    )
                if std(e) != std(sym):
                    raise session.fail(
                        fx,
                        f"{_which(i, count)}the eager output is {std(e)} but the "
                        f"symbolic output is {std(sym)}: override "
                        "compute_output_spec to give the real output dtype (Keras "
                        "assumes the compute dtype)",
                    )
        expected: list[tuple[Any, ...] | None] = []
        if example.outputs is not None:
            expected = [o.shape for o in example.outputs]
        elif example.output_shape is not None:
            expected = [tuple(example.output_shape)]
        if any(e is not None for e in expected):
            with session.guard(fx, "call()"):
                out = session.flatten(fx.call(fx.new_layer(), training=False))
            if len(out) != len(expected):
                raise session.fail(
                    fx,
                    f"call() returns {len(out)} output(s) but {len(expected)} are "
                    "declared: return one tensor per declared output, in order",
                )
            for i, (o, want) in enumerate(zip(out, expected, strict=True)):
                got = tuple(int(d) for d in o.shape)
                if want is not None and got != tuple(want):
                    raise session.fail(
                        fx,
                        f"{_which(i, len(out))}the output shape is {got} but "
                        f"{tuple(want)} is expected: fix call (or the declared output "
                        "shape)",
                    )
    return notes


def shape_agrees(declared: tuple[Any, ...] | None, actual: tuple[int, ...]) -> bool:
    """Whether `compute_output_shape`'s answer fits the eager output's shape: the same
    rank and sizes, where a `None` size means unknown, as Keras reads it (EinsumDense's
    `output_shape=[None, 5]` answers `(batch, None, 5)` for a concrete input)."""
    if declared is None:
        return False
    return len(declared) == len(actual) and all(
        want is None or want == got for want, got in zip(declared, actual, strict=True)
    )
