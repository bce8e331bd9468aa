"""Check 10, `masking`: supports_masking, the mask call receives, the output mask, and
invariance of unmasked outputs to the values at masked positions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..fixtures import allclose, max_difference, spy_on
from ..session import CheckSkipped
from .training import takes

if TYPE_CHECKING:
    from ..fixtures import Fixture
    from ..session import Session


def _declared(
    session: Session, policy: str | None, supports: bool, has_mask: bool
) -> None:
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
    if policy == "consume" and not has_mask:
        raise session.fail(
            None,
            "call() has no `mask` argument, so it never receives the "
            "mask it should consume: add `mask=None` to call",
        )


def _output_mask(
    session: Session,
    fx: Fixture,
    layer: Any,
    policy: str | None,
    outputs: Any,
    inputs: Any,
    mask: np.ndarray | None,
) -> str:
    """Check the mask Keras attaches to the output; returns the policy it shows."""
    out_mask = session.output_mask(outputs)
    with session.guard(fx, "compute_mask(inputs, mask)"):
        computed = layer.compute_mask(
            inputs, None if mask is None else session.convert(mask)
        )
    computed = None if computed is None else session.numpy(computed)
    if out_mask is not None:
        leading = tuple(outputs.shape)[: out_mask.ndim]
        if tuple(out_mask.shape) != leading:
            raise session.fail(
                fx,
                f"the output mask has shape {tuple(out_mask.shape)} but the "
                f"output has shape {tuple(outputs.shape)}: return a mask "
                "matching the output's leading dimensions",
            )
    if policy == "propagate" and mask is not None:
        if out_mask is None:
            raise session.fail(
                fx,
                "the output carries no mask, but the layer propagates "
                "masks: keep supports_masking = True and do not return None "
                "from compute_mask",
            )
        if not np.array_equal(out_mask, mask):
            raise session.fail(
                fx,
                "the output mask differs from the input mask, but the "
                "layer propagates masks: pass the mask on unchanged (or "
                "declare masking: custom)",
            )
    if policy == "consume" and out_mask is not None:
        raise session.fail(
            fx,
            "the output still carries a mask, but the layer consumes it: "
            "return None from compute_mask",
        )
    if policy == "custom":
        same = (out_mask is None and computed is None) or (
            out_mask is not None
            and computed is not None
            and np.array_equal(out_mask, computed)
        )
        if not same:
            raise session.fail(
                fx,
                "the output mask is not the one compute_mask returns: keep "
                "supports_masking = True so that Keras attaches it",
            )
    if out_mask is None:
        return "consume"
    return (
        "propagate" if mask is not None and np.array_equal(out_mask, mask) else "custom"
    )


def _invariance(
    session: Session, fx: Fixture, layer: Any, outputs: np.ndarray
) -> str | None:
    """Fails when padded values reach unmasked outputs; a note when it cannot tell."""
    mask = fx.mask
    assert mask is not None
    with session.guard(fx, "call() with a mask"):
        again = session.numpy(fx.call(layer, training=False))
    if not allclose(outputs, again):
        return (
            f"{fx.label}: mask invariance not checked: inference is not deterministic "
            "(the training check reports it)"
        )
    x2 = fx.x.copy()
    if "float" in str(x2.dtype):
        noise = (fx.rng.normal(size=x2.shape) * 10 + 3).astype(x2.dtype)
    else:
        noise = fx.rng.integers(10, 99, size=x2.shape).astype(x2.dtype)
    x2[~mask] = noise[~mask]
    with session.guard(fx, "call() with other values at masked positions"):
        changed = session.numpy(fx.call(layer, x2, training=False))
    if outputs.shape[: mask.ndim] == mask.shape:
        before, after = outputs[mask], changed[mask]
    else:
        before, after = outputs, changed
    if not allclose(before, after):
        raise session.fail(
            fx,
            "changing the values at masked positions changes unmasked "
            f"outputs (max difference {max_difference(before, after):.3g}): "
            "exclude masked steps in call, e.g. weight by the mask before "
            "reducing over time",
        )
    return None


def check_masking(session: Session) -> list[str]:
    keras = session.keras
    policy = session.expectations.masking
    supports = bool(session.fixtures[0].new_layer().supports_masking)
    has_mask = takes(session, "mask")
    _declared(session, policy, supports, has_mask)
    if policy == "none" or (policy is None and not supports):
        if policy is None:
            session.observe("masking", "none")
        return ["the layer does not support masking"]
    seen: set[str] = set()
    notes: list[str] = []
    for fx in session.fixtures:
        if fx.mask is None:
            if policy in (None, "custom"):
                layer = fx.new_layer()
                inputs = session.convert(fx.x)
                with session.guard(fx, "call()"):
                    outputs = layer(inputs, training=False)
                _output_mask(session, fx, layer, policy, outputs, inputs, None)
            continue
        layer = fx.new_layer()
        calls = spy_on(layer)
        inputs = session.attach_mask(fx.x, fx.mask)
        with session.guard(fx, "call() with a mask"):
            outputs = layer(inputs, training=False)
        if has_mask and not any(c["mask"] for c in calls):
            raise session.fail(
                fx,
                "call() declares `mask` but receives None: do not "
                "override __call__; let Keras pass the mask",
            )
        seen.add(_output_mask(session, fx, layer, policy, outputs, inputs, fx.mask))
        eager = session.numpy(outputs)
        note = _invariance(session, fx, layer, eager)
        if note:
            notes.append(note)
        source = fx.keras_input()
        model = keras.Model(source, layer(keras.layers.Masking(mask_value=0)(source)))
        calls.clear()
        with session.guard(fx, "a model Input -> Masking -> layer"):
            through = session.numpy(model(fx.x, training=False))
        if has_mask and not any(c["mask"] for c in calls):
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
    if not any(fx.mask is not None for fx in session.fixtures) and policy != "custom":
        raise CheckSkipped(
            "no example uses a mask; only supports_masking was checked (add "
            "an example with mask: true)"
        )
    return notes
