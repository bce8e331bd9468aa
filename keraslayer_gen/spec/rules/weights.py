"""Weights: shapes, initializers/regularizers/constraints, `when`, dtype."""

from __future__ import annotations

from keraslayer_gen.spec.model import DTYPES
from keraslayer_gen.spec.names import did_you_mean
from keraslayer_gen.spec.rules.context import RuleContext
from keraslayer_gen.spec.values import KERAS_IDENTIFIERS


def check(ctx: RuleContext) -> None:
    """Each weight: shape expressions (which see `ctx.build_locals`), Keras objects,
    `when`, dtype."""
    args = ctx.spec.args
    for name, weight in ctx.spec.weights.items():
        path = ("weights", name)
        for i, dim in enumerate(weight.shape):
            if isinstance(dim, int):
                if dim < 0:
                    ctx.error((*path, "shape", i), f"dimension {dim} is negative")
                continue
            ctx.expression(
                dim,
                (*path, "shape", i),
                allowed=ctx.shape_scope() | {"self", *ctx.build_locals},
                args_as_names=True,
            )
        for kind in ("initializer", "regularizer", "constraint"):
            value = getattr(weight, kind)
            if value is None:
                continue
            if value in args:
                typed = ctx.arg_types[value]
                if typed is not None and typed[0] != kind:
                    ctx.error(
                        (*path, kind),
                        f"argument `{value}` is a {typed[0]}, not an {kind}",
                    )
            elif value not in KERAS_IDENTIFIERS[kind]:
                kinds = [a for a, t in ctx.arg_types.items() if t and t[0] == kind]
                hint = did_you_mean(value, [*kinds, *KERAS_IDENTIFIERS[kind]])
                ctx.error(
                    (*path, kind),
                    f"`{value}` is neither an {kind} argument nor "
                    f"a Keras {kind}{hint}",
                )
        if weight.when is not None:
            if weight.when not in args:
                ctx.error(
                    (*path, "when"),
                    f"`when` names argument `{weight.when}`, "
                    f"which does not exist{did_you_mean(weight.when, args)}",
                )
            elif ctx.arg_types[weight.when] not in (None, ("bool", False)):
                ctx.error(
                    (*path, "when"),
                    f"`when` needs a bool argument; "
                    f"`{weight.when}` is {args[weight.when].type}",
                )
        if weight.dtype is not None and weight.dtype not in DTYPES:
            ctx.error(
                (*path, "dtype"),
                f"unknown dtype `{weight.dtype}`"
                f"{did_you_mean(weight.dtype, DTYPES)}",
            )
