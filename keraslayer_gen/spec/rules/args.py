"""Arguments: each one's type, constraints, choices and default; their order; the
argument `seed_generator` names."""

from __future__ import annotations

from keraslayer_gen.spec.model import (
    ARG_TYPES,
    Arg,
    parse_arg_type,
)
from keraslayer_gen.spec.names import did_you_mean
from keraslayer_gen.spec.rules.context import RuleContext
from keraslayer_gen.spec.values import (
    constraint_problem,
    parse_range,
    type_hint,
    value_problem,
)


def check_arg(ctx: RuleContext, name: str, arg: Arg) -> None:
    """One argument: its type, `min`/`max`/`range`, `choices` and default."""
    path = ("args", name)
    try:
        base, nullable = parse_arg_type(arg.type)
    except ValueError:
        hint = type_hint(arg.type)
        ctx.error(
            (*path, "type"),
            f"unknown type `{arg.type}`{hint}"
            f"; types are {', '.join(ARG_TYPES)}, each optionally `| None`",
        )
        return
    numeric = base in ("int", "float")
    for key in ("min", "max", "range"):
        if getattr(arg, key) is not None and not numeric:
            ctx.error(
                (*path, key),
                f"`{key}` applies to int and float arguments, not {base}",
            )
    bounds = None
    if arg.range is not None and numeric:
        bounds = parse_range(arg.range)
        if bounds is None:
            ctx.error(
                (*path, "range"),
                f"`{arg.range}` is not an interval such as `(0, 1]` or `[1, inf)`",
            )
    if arg.choices is not None:
        if base not in ("int", "float", "str"):
            ctx.error(
                (*path, "choices"),
                f"`choices` applies to int, float and str arguments, not {base}",
            )
        elif not arg.choices:
            ctx.error((*path, "choices"), "`choices` is empty")
        else:
            for i, choice in enumerate(arg.choices):
                if problem := value_problem(base, False, choice):
                    ctx.error((*path, "choices", i), problem)
    if arg.required:
        return
    problem = value_problem(base, nullable, arg.default)
    if problem is None:
        problem = constraint_problem(arg, arg.default, bounds)
    if problem:
        ctx.error((*path, "default"), problem)


def check_arg_order(ctx: RuleContext) -> None:
    """Required arguments come before those with a default."""
    seen_default = None
    for name, arg in ctx.spec.args.items():
        if not arg.required:
            seen_default = seen_default or name
        elif seen_default:
            ctx.error(
                ("args", name),
                f"required argument `{name}` (no `default`) "
                f"must come before `{seen_default}`, which has a default",
                key=True,
            )


def check_seed_generator(ctx: RuleContext) -> None:
    """`seed_generator` names an `int | None` argument."""
    name = ctx.spec.seed_generator
    if name is None:
        return
    arg = ctx.spec.args.get(name)
    if arg is None:
        ctx.error(
            ("seed_generator",),
            f"`seed_generator` names argument `{name}`, "
            f"which does not exist{did_you_mean(name, ctx.spec.args)}",
        )
    elif ctx.arg_types[name] not in (None, ("int", True)):
        ctx.error(
            ("seed_generator",),
            f"`seed_generator` needs an `int | None` "
            f"argument; `{name}` is {arg.type}",
        )


def check_args(ctx: RuleContext) -> None:
    """Each argument, then their order."""
    for name, arg in ctx.spec.args.items():
        check_arg(ctx, name, arg)
    check_arg_order(ctx)
