"""Checks 5 and 6, `build` and `shapes`: the weights build creates, and output shapes/dtypes."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..fixtures import Fixture
    from ..session import Session

_COUNTS = (("trainable", "trainable"), ("non_trainable", "non-trainable"),
           ("seed_generators", "seed-generator"))


def _weights(session: Session, layer: Any) -> list[tuple[str, tuple[Any, ...], bool]]:
    """(name, shape, trainable) of every weight, in order: the same for two instances
    (paths are not: sublayers get numbered names)."""
    return [(session.flavor.name(w), tuple(w.shape), bool(w.trainable))
            for w in layer.weights]


def _show(weights: list[tuple[str, tuple[Any, ...], bool]]) -> str:
    return ", ".join(f"{name.split('/')[-1]} {shape}" for name, shape, _ in weights) or "none"


def _unbuilt(session: Session, fx: Fixture, caught: list[Any]) -> None:
    for warning in caught:
        if "unbuilt state" in str(warning.message):
            raise session.fail(fx, "Keras warns that the layer has unbuilt state: create "
                               "every weight and sublayer in build(), none in __init__ or "
                               "call")


def _counts(session: Session, fx: Fixture, layer: Any, observed: dict[str, list[int]]) -> None:
    weights = _weights(session, layer)
    found = {"trainable": sum(1 for w in weights if w[2]),
             "non_trainable": sum(1 for w in weights if not w[2]),
             "seed_generators": session.flavor.seed_generators(layer)}
    for key, _ in _COUNTS:
        observed.setdefault(key, []).append(found[key])
        if any(getattr(f.example, key) is None for f in session.fixtures):
            session.observe(key, _one(observed[key]))
    for key, word in _COUNTS:
        expected = getattr(fx.example, key)
        if expected is not None and expected != found[key]:
            names = [n.split("/")[-1] for n, _, t in weights
                     if key == "seed_generators" or t == (key == "trainable")]
            listed = f" ({', '.join(names)})" if names and key != "seed_generators" else ""
            hint = ("create one keras.random.SeedGenerator per random stream, in __init__"
                    if key == "seed_generators" else
                    "create exactly the declared weights in build() (a `when:` weight only "
                    "when its argument is true)")
            raise session.fail(fx, f"build() creates {found[key]} {word} weight(s){listed} "
                               f"but {expected} are expected: {hint}")


def check_build(session: Session) -> list[str]:
    observed: dict[str, list[int]] = {}
    for fx in session.fixtures:
        shape = fx.example.input_shape
        built = fx.new_layer()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with session.guard(fx, f"build({shape})"):
                built.build(shape)
        _unbuilt(session, fx, caught)
        weights = _weights(session, built)
        for name, dims, _ in weights:
            if any(d is None for d in dims):
                raise session.fail(fx, f"weight '{name}' has the undefined shape {dims} after "
                                   "build: derive its shape from input_shape[1:] or the "
                                   "arguments, never from the batch dimension")
        names = [name for name, _, _ in weights]
        paths = [session.flavor.path(built, w) for w in built.weights]
        duplicates = sorted({p for p in paths if paths.count(p) > 1})
        if duplicates:
            raise session.fail(fx, f"two weights share the name '{duplicates[0]}': give each "
                               "add_weight a unique name=, or saving mixes their values")
        _counts(session, fx, built, observed)
        symbolic = fx.new_layer()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with session.guard(fx, "a call on keras.Input (batch dimension None)"):
                symbolic(fx.keras_input())
        _unbuilt(session, fx, caught)
        if _weights(session, symbolic) != weights:
            raise session.fail(fx, f"build({shape}) creates [{_show(weights)}] but a call "
                               f"with a None batch dimension creates "
                               f"[{_show(_weights(session, symbolic))}]: shape weights from the "
                               "non-batch dimensions only")
        again = fx.new_layer()
        with session.guard(fx, f"build({shape})"):
            again.build(shape)
        if [w[0] for w in _weights(session, again)] != names:
            raise session.fail(fx, "two builds create the weights in different orders: "
                               "create them in a fixed order (no set or unordered dict)")
        try:
            fx.call(built, training=False)
        except Exception as exc:
            if "new elements of state" in str(exc) or "add new" in str(exc):
                raise session.fail(fx, f"call() creates state after build{session.where(exc)}:"
                                   " create every weight in build()") from None
            with session.guard(fx, "call() after build()"):
                raise
        if _weights(session, built) != weights:
            raise session.fail(fx, "call() changes the layer's weights after build(): create "
                               "every weight in build()")
    return []


def _one(values: list[Any]) -> Any:
    return values[0] if len(set(values)) == 1 else values


def _shape(value: Any) -> tuple[Any, ...] | None:
    try:
        return tuple(None if d is None else int(d) for d in value)
    except TypeError:
        return None


def check_shapes(session: Session) -> list[str]:
    std = session.flavor.dtype
    for fx in session.fixtures:
        example = fx.example
        for batch in (1, 3):
            shape = (batch, *example.input_shape[1:])
            layer = fx.new_layer()
            with session.guard(fx, "a call on keras.Input"):
                symbolic = layer(fx.keras_input())
            with session.guard(fx, f"compute_output_shape({shape})"):
                declared = _shape(layer.compute_output_shape(shape))
            with session.guard(fx, f"call() on a batch of {batch}"):
                eager = layer(fx.inputs(batch), training=False)
            eager_shape = tuple(int(d) for d in eager.shape)
            if declared is None:
                raise session.fail(fx, "compute_output_shape() does not return a shape "
                                   "tuple: return one tuple for a single output")
            if declared != eager_shape:
                raise session.fail(fx, f"compute_output_shape({shape}) returns {declared} "
                                   f"but call() returns {eager_shape}: make "
                                   "compute_output_shape compute the shape call produces")
            sym_shape = tuple(symbolic.shape)
            pairs = zip(sym_shape[1:], eager_shape[1:], strict=False)
            if len(sym_shape) != len(eager_shape) or any(
                    s is not None and s != e for s, e in pairs):
                raise session.fail(fx, f"the symbolic call on keras.Input gives {sym_shape} "
                                   f"but the eager call gives {eager_shape}: make "
                                   "compute_output_shape agree with call")
            if std(eager) != std(symbolic):
                raise session.fail(fx, f"the eager output is {std(eager)} but the "
                                   f"symbolic output is {std(symbolic)}: override "
                                   "compute_output_spec to give the real output dtype (Keras "
                                   "assumes the compute dtype)")
        if example.output_shape is not None:
            with session.guard(fx, "call()"):
                out = fx.call(fx.new_layer(), training=False)
            got = tuple(int(d) for d in out.shape)
            if got != tuple(example.output_shape):
                raise session.fail(fx, f"the output shape is {got} but {example.output_shape} "
                                   "is expected: fix call (or the declared output shape)")
    return []
