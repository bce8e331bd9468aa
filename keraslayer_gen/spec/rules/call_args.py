"""`call_args`: types, defaults, order."""

from __future__ import annotations

from keraslayer_gen.spec.model import CALL_ARG_TYPES
from keraslayer_gen.spec.names import did_you_mean
from keraslayer_gen.spec.rules.context import Path_, RuleContext
from keraslayer_gen.spec.values import (
    call_arg_type,
    call_value_problem,
)


def check(ctx: RuleContext) -> None:
    """Each call argument: its type, its default, and the order of required ones."""
    spec = ctx.spec
    seen_default = next((n for n, d in (spec.inputs or {}).items() if d.optional), None)
    for name, arg in spec.call_args.items():
        path: Path_ = ("call_args", name)
        typed = call_arg_type(arg.type)
        if typed is None:
            ctx.error(
                (*path, "type"),
                f"unknown call-argument type `{arg.type}`"
                f"{did_you_mean(arg.type, CALL_ARG_TYPES)}; types are "
                f"{', '.join(CALL_ARG_TYPES)}, each optionally `| None`",
            )
        elif not arg.required and (
            problem := call_value_problem(typed, arg.default, default=True)
        ):
            ctx.error((*path, "default"), problem)
        if typed is not None and typed[0] == "tensor" and arg.required:
            ctx.error(
                path,
                f"a required tensor is an input: declare `{name}` under `inputs` "
                "(the harness feeds inputs; a tensor call argument defaults to null)",
                key=True,
            )
        if not arg.required:
            seen_default = seen_default or name
        elif seen_default:
            ctx.error(
                path,
                f"required call argument `{name}` (no `default`) must come "
                f"before `{seen_default}`, which has a default",
                key=True,
            )
