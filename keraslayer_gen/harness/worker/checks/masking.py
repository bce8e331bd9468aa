"""Check 10, `masking`: supports_masking, the mask call receives, the output mask, and
invariance of unmasked outputs to the values at masked positions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from keraslayer_gen.harness.registry import runtime_check
from keraslayer_gen.harness.worker.checks.training import takes
from keraslayer_gen.harness.worker.fixtures import (
    allclose,
    make_inputs,
    max_difference,
    spy_on,
)
from keraslayer_gen.harness.worker.outcomes import CheckSkipped

if TYPE_CHECKING:
    from keraslayer_gen.harness.worker.fixtures import Fixture
    from keraslayer_gen.harness.worker.session import Session


def _declared(session: Session, policy: str | None, supports: bool) -> None:
    """supports_masking against the declared policy. Whether the mask of a `consume` or
    `use` layer reaches its computation is judged per masked example (`_reaches`), not
    from the signature: a `call` without a `mask` argument may read the mask Keras
    attaches to its input (keras-hub's TransformerDecoder does)."""
    if policy is None:
        return
    if policy == "none" and supports:
        raise session.fail(
            None,
            "supports_masking is True but the layer is declared not to "
            "support masks: set self.supports_masking = False (or declare "
            "its masking policy)",
        )
    if policy != "none" and not supports:
        raise session.fail(
            None,
            f"supports_masking is False but masking is declared "
            f"{policy}: set self.supports_masking = True in __init__, or Keras "
            "drops the mask",
        )


def mask_arguments(session: Session, fx: Fixture) -> list[str]:
    """The mask arguments of `call` Keras fills for this example: `mask` for one tensor
    argument (or a list), `<name>_mask` for each of several."""
    if fx.example.input_style != "keywords":
        return ["mask"] if takes(session, "mask") else []
    names = [f"{t.name}_mask" for t in fx.tensors]
    return [n for n in names if takes(session, n)]


def _as_list(session: Session, value: Any) -> list[Any]:
    if value is None:
        return [None]
    if isinstance(value, (list, tuple, dict)):
        return session.flatten(value) if value else [None]
    return [value]


def _output_mask(
    session: Session,
    fx: Fixture,
    layer: Any,
    policy: str | None,
    outputs: Any,
    first: Any,
    previous: Any,
) -> str:
    """Check the mask Keras attaches to each output; returns the policy it shows.
    `first` is the first argument of the call and `previous` its mask (a list for a list
    argument), which Keras passes to `compute_mask`."""
    flat = session.flatten(outputs)
    count = len(flat)
    out_masks: list[Any] = [session.output_mask(o) for o in flat]
    with session.guard(fx, "compute_mask(inputs, mask)"):
        computed_raw = layer.compute_mask(
            first,
            (
                None
                if previous is None
                else (
                    [None if m is None else session.convert(m) for m in previous]
                    if isinstance(previous, list)
                    else session.convert(previous)
                )
            ),
        )
    computed: list[Any] = [
        None if m is None else session.numpy(m) for m in _as_list(session, computed_raw)
    ]
    # one input mask passes on to every output; a list argument's masks one by one
    expected: list[Any] = (
        list(previous) if isinstance(previous, list) else [previous] * count
    )
    expected = (expected + [None] * count)[:count]
    computed = (computed + [None] * count)[:count]
    shows: set[str] = set()
    declared = fx.example.outputs or ()
    for i, (out, out_mask) in enumerate(zip(flat, out_masks, strict=True)):
        which = f"output {i}: " if count > 1 else ""
        want = expected[i]
        carries = declared[i].mask if i < len(declared) else None
        if carries is not None and previous is not None:
            if carries and out_mask is None:
                raise session.fail(
                    fx,
                    f"{which}the output carries no mask, but it is declared with "
                    "one: return its mask from compute_mask (one per output)",
                )
            if not carries and out_mask is not None:
                raise session.fail(
                    fx,
                    f"{which}the output carries a mask, but it is declared without "
                    "one: return None for it from compute_mask",
                )
        if out_mask is not None:
            leading = tuple(out.shape)[: out_mask.ndim]
            if tuple(out_mask.shape) != leading:
                raise session.fail(
                    fx,
                    f"{which}the output mask has shape {tuple(out_mask.shape)} but "
                    f"the output has shape {tuple(out.shape)}: return a mask "
                    "matching the output's leading dimensions",
                )
        if policy in ("propagate", "use") and want is not None:
            if out_mask is None:
                raise session.fail(
                    fx,
                    f"{which}the output carries no mask, but the layer passes "
                    "masks on: keep supports_masking = True and do not return None "
                    "from compute_mask",
                )
            if not np.array_equal(out_mask, want):
                raise session.fail(
                    fx,
                    f"{which}the output mask differs from the input mask, but the "
                    "layer passes masks on: pass the mask on unchanged (or "
                    "declare masking: custom)",
                )
        if policy == "consume" and out_mask is not None:
            raise session.fail(
                fx,
                f"{which}the output still carries a mask, but the layer consumes "
                "it: return None from compute_mask",
            )
        if policy == "custom":
            same = (out_mask is None and computed[i] is None) or (
                out_mask is not None
                and computed[i] is not None
                and np.array_equal(out_mask, computed[i])
            )
            if not same:
                raise session.fail(
                    fx,
                    f"{which}the output mask is not the one compute_mask returns: "
                    "keep supports_masking = True so that Keras attaches it",
                )
        if out_mask is None:
            shows.add("consume")
        elif want is not None and np.array_equal(out_mask, want):
            shows.add("propagate")
        else:
            shows.add("custom")
    return shows.pop() if len(shows) == 1 else "custom"


def _at_valid(fx: Fixture, values: list[np.ndarray]) -> list[np.ndarray]:
    """Each output at the first input's unmasked positions when it is aligned with
    them (same leading dimensions), else whole."""
    mask = fx.mask
    picked = []
    for value in values:
        if mask is not None and value.shape[: mask.ndim] == mask.shape:
            picked.append(value[mask])
        else:
            picked.append(value)
    return picked


def _noisy(fx: Fixture) -> list[np.ndarray]:
    """The example's inputs with other values (noise) at their masked positions."""
    changed = []
    for x, mask, tensor in zip(fx.xs, fx.masks, fx.tensors, strict=True):
        x2 = x.copy()
        if mask is not None:
            if "float" in str(x2.dtype):
                noise = (fx.rng.normal(size=x2.shape) * 10 + 3).astype(x2.dtype)
            else:
                low = 10 if tensor.min is None else tensor.min
                high = 99 if tensor.max is None else tensor.max
                noise = make_inputs(fx.rng, x2.shape, str(x2.dtype), low, high)
            x2[~mask] = noise[~mask]
        changed.append(x2)
    return changed


def _reaches(
    session: Session, fx: Fixture, layer: Any, policy: str, changed: Any
) -> None:
    """A `consume` or `use` layer whose `call` takes no mask argument may still read
    the mask Keras attaches to its input (keras-hub's TransformerDecoder reads
    `_keras_mask`): judged by behaviour. With other values at the masked positions, the
    outputs with the masks attached must differ from the outputs without them; equal,
    the mask never reaches the computation."""
    with session.guard(fx, "call() with other values at masked positions"):
        with_masks = session.numpy(fx.call(layer, changed, training=False))
    with session.guard(fx, "call() without the mask"):
        without = session.numpy(fx.call(layer, changed, masked=False, training=False))
    if allclose(with_masks, without):
        what = "consume" if policy == "consume" else "use"
        raise session.fail(
            fx,
            "the outputs are the same with and without the mask (other values at "
            "the masked positions), and call() has no `mask` argument: the mask it "
            f"should {what} never reaches the computation: add `mask=None` to call "
            "(`<input>_mask=None` for each of several tensor arguments) and use it, "
            "or declare masking: propagate",
        )


def _invariance(
    session: Session, fx: Fixture, layer: Any, outputs: Any, policy: str | None
) -> str | None:
    """Fails when padded values reach unmasked outputs (or, for a `consume` or `use`
    layer without a mask argument, when the mask reaches nothing); a note when it
    cannot tell."""
    with session.guard(fx, "call() with a mask"):
        again = session.numpy(fx.call(layer, training=False))
    if not allclose(outputs, again):
        return (
            f"{fx.label}: mask invariance not checked: inference is not deterministic "
            "(the training check reports it)"
        )
    changed_inputs = fx.pack(_noisy(fx))
    if policy in ("consume", "use") and not mask_arguments(session, fx):
        _reaches(session, fx, layer, policy, changed_inputs)
    with session.guard(fx, "call() with other values at masked positions"):
        changed = session.numpy(fx.call(layer, changed_inputs, training=False))
    flat = outputs if isinstance(outputs, list) else [outputs]
    flat_changed = changed if isinstance(changed, list) else [changed]
    before, after = _at_valid(fx, flat), _at_valid(fx, flat_changed)
    if not allclose(before, after):
        raise session.fail(
            fx,
            "changing the values at masked positions changes unmasked "
            f"outputs (max difference {max_difference(before, after):.3g}): "
            "exclude masked steps in call, e.g. weight by the mask before "
            "reducing over time",
        )
    return None


@runtime_check("masking")
def check_masking(session: Session) -> list[str]:
    keras = session.keras
    policy = session.expectations.masking
    supports = bool(session.fixtures[0].new_layer().supports_masking)
    _declared(session, policy, supports)
    if policy == "none" or (policy is None and not supports):
        if policy is None:
            session.observe("masking", "none")
        return ["the layer does not support masking"]
    seen: set[str] = set()
    notes: list[str] = []
    for fx in session.fixtures:
        receives = bool(mask_arguments(session, fx))
        if not fx.masked:
            if policy in (None, "custom"):
                layer = fx.new_layer()
                tensors = [session.convert(x) for x in fx.xs]
                args, kwargs = fx.arrange(tensors)
                with session.guard(fx, "call()"):
                    outputs = layer(*args, **kwargs, training=False)
                _output_mask(session, fx, layer, policy, outputs, args[0], None)
            continue
        layer = fx.new_layer()
        calls = spy_on(layer)
        tensors = [
            session.attach_mask(x, m) if m is not None else session.convert(x)
            for x, m in zip(fx.xs, fx.masks, strict=True)
        ]
        args, kwargs = fx.arrange(tensors)
        with session.guard(fx, "call() with a mask"):
            outputs = layer(*args, **kwargs, training=False)
        if receives and not any(c["mask"] for c in calls):
            raise session.fail(
                fx,
                "call() declares `mask` but receives None: do not "
                "override __call__; let Keras pass the mask",
            )
        previous: Any = (
            list(fx.masks) if fx.example.input_style == "list" else fx.masks[0]
        )
        if isinstance(previous, list) and all(m is None for m in previous):
            previous = None
        seen.add(_output_mask(session, fx, layer, policy, outputs, args[0], previous))
        eager = session.numpy(outputs)
        note = _invariance(session, fx, layer, eager, policy)
        if note:
            notes.append(note)
        calls.clear()
        sources, through_outputs = fx.symbolic(layer, masked=True)
        model = keras.Model(sources, through_outputs)
        calls.clear()
        with session.guard(fx, "a model Input -> Masking -> layer"):
            through = session.numpy(model(fx.x, training=False))
        if receives and not any(c["mask"] for c in calls):
            raise session.fail(
                fx,
                "call() does not receive the mask of a Masking layer "
                "upstream: declare `mask=None` in call and do not drop it",
            )
        if not note and not allclose(eager, through):
            raise session.fail(
                fx,
                "the output with a mask from keras.layers.Masking differs "
                "from the output with the same mask passed explicitly: use "
                "the mask call receives, not one recomputed from values",
            )
    if policy is None:
        if not seen:
            raise CheckSkipped(
                "no example uses a mask, so the masking policy cannot be "
                "observed (add an example with mask: true, or --mask)"
            )
        session.observe("masking", seen.pop() if len(seen) == 1 else "custom")
    if not any(fx.masked for fx in session.fixtures) and policy != "custom":
        raise CheckSkipped(
            "no example uses a mask; only supports_masking was checked (add "
            "an example with mask: true)"
        )
    return notes
