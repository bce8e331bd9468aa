"""`state`: each update names a non-trainable weight and uses names `call` has."""

from __future__ import annotations

from keraslayer_gen.spec.names import did_you_mean
from keraslayer_gen.spec.rules.context import RuleContext


def check(ctx: RuleContext) -> None:
    """Each `state` update: a non-trainable weight, in the scope of `call`."""
    spec = ctx.spec
    if spec.state and not spec.training and spec.state_on != "every_call":
        ctx.error(
            ("state",),
            "`state` updates happen only in training; set `training: true`",
            key=True,
        )
    for name, expr in spec.state.items():
        path = ("state", name)
        weight = spec.weights.get(name)
        if weight is None:
            ctx.error(
                path,
                f"`{name}` is not a weight{did_you_mean(name, spec.weights)}",
                key=True,
            )
            continue
        if weight.trainable:
            ctx.error(
                path,
                f"weight `{name}` is trainable; state is updated by "
                "assignment, so declare it `trainable: false`",
                key=True,
            )
        scope = {"self", *ctx.call_locals} | ctx.call_scope()
        if spec.call is None:
            scope |= {"outputs"}
        tree = ctx.parse(expr, path, mode="eval")
        if tree is not None:
            ctx.names_in(tree, path, scope)
