"""Examples: shapes, init values, required arguments, tensors per input, call args;
and `input_spec`, which the examples' ranks must fit."""

from __future__ import annotations

from typing import Any

from keraslayer_gen.spec.model import (
    DTYPES,
    parse_arg_type,
)
from keraslayer_gen.spec.names import did_you_mean
from keraslayer_gen.spec.rules.context import Path_, RuleContext, listing
from keraslayer_gen.spec.values import (
    INT_DTYPES,
    call_arg_type,
    call_value_problem,
    constraint_problem,
    parse_range,
    sample_value,
    value_problem,
)


def check(ctx: RuleContext) -> None:
    """Each example: shapes, `init` values, required arguments, mask, dtype, rank."""
    spec = ctx.spec
    for i, example in enumerate(spec.examples):
        path: Path_ = ("examples", i)
        _composite_example(ctx, i, example)
        shape = example.input_shape
        if shape is not None and any(d <= 0 for d in shape):
            ctx.error(
                (*path, "input_shape"),
                "dimensions must be positive, including the batch dimension first",
            )
        for key, value in example.init.items():
            arg = spec.args.get(key)
            if arg is None:
                ctx.error(
                    (*path, "init", key),
                    f"`{key}` is not an argument{did_you_mean(key, spec.args)}",
                    key=True,
                )
                continue
            try:
                base, nullable = parse_arg_type(arg.type)
            except ValueError:
                continue
            problem = value_problem(base, nullable, value) or constraint_problem(
                arg, value, parse_range(arg.range) if arg.range else None
            )
            if problem:
                ctx.error((*path, "init", key), problem)
        missing = [
            name
            for name, arg in spec.args.items()
            if arg.required and name not in example.init
        ]
        for name in missing:
            ctx.error((*path, "init"), _missing_init(ctx, path, example, name, missing))
        if spec.inputs:
            pass  # reported per input by `_composite_example`
        elif example.mask and spec.masking == "none":
            ctx.error(
                (*path, "mask"),
                "`mask: true` needs a layer that supports masks "
                "(`masking` other than `none`)",
            )
        if not spec.inputs and example.dtype not in DTYPES:
            ctx.error(
                (*path, "dtype"),
                f"unknown dtype `{example.dtype}`"
                f"{did_you_mean(example.dtype, DTYPES)}",
            )
        if spec.input_spec is not None and shape is not None:
            rank = len(shape)
            s = spec.input_spec
            if (
                (s.ndim is not None and rank != s.ndim)
                or (s.min_ndim is not None and rank < s.min_ndim)
                or (s.max_ndim is not None and rank > s.max_ndim)
            ):
                ctx.error(
                    (*path, "input_shape"),
                    f"rank {rank} does not fit `input_spec`",
                )


def _missing_init(
    ctx: RuleContext, path: Path_, example: Any, name: str, missing: list[str]
) -> str:
    """A required argument without a value in an example; from flags, the message
    shows the `--example-input` that gives it (the user may not have written any).
    """
    if not ctx.located.origins:
        return f"required argument `{name}` has no value; add it to `init`"
    from keraslayer_gen.spec.flags import (
        example_flag,
    )  # spells an example of `inputs` too

    init = dict(example.init)
    init.update({m: sample_value(ctx.spec.args[m]) for m in missing})
    given = {
        k: v
        for k, v in example.model_dump(mode="json", exclude_unset=True).items()
        if k != "init"
    }
    shape = example_flag(given) or ",".join(str(d) for d in example.input_shape or ())
    flag = f"--example-input '{example_flag({**given, 'init': init}) or shape}'"
    if path in ctx.located.origins:
        return f"required argument `{name}` has no value; give it: {flag}"
    return (
        f"required argument `{name}` has no value in the default example input "
        f"({shape}); give one with {flag}"
    )


def _composite_example(ctx: RuleContext, i: int, example: Any) -> None:
    """The tensors and call arguments of one example."""
    spec = ctx.spec
    path: Path_ = ("examples", i)
    given = example.model_fields_set
    if spec.inputs:
        if example.input_shape is not None:
            ctx.error(
                (*path, "input_shape"),
                "this layer declares `inputs`; give one shape per input under "
                f"`inputs` ({listing(spec.inputs)}) instead of `input_shape`",
                key=True,
            )
        for key in ("min", "max", "padding", "dtype", "mask"):
            if key in given:
                ctx.error(
                    (*path, key),
                    f"this layer declares `inputs`; give `{key}` per input "
                    "under `inputs`",
                    key=True,
                )
        if example.inputs is None:
            if example.input_shape is None:
                ctx.error(
                    (*path, "inputs"),
                    f"missing; give one shape per input ({listing(spec.inputs)})",
                    near=path,
                )
        else:
            for name, decl in spec.inputs.items():
                if name not in example.inputs and not decl.optional:
                    ctx.error(
                        (*path, "inputs"),
                        f"no shape for input `{name}`",
                        key=True,
                    )
            for name, tensor in example.inputs.items():
                _tensor_example(ctx, (*path, "inputs", name), name, tensor)
    else:
        if example.inputs is not None:
            ctx.error(
                (*path, "inputs"),
                "`inputs` is for a layer that declares `inputs`; this one "
                "takes one tensor: give `input_shape`",
                key=True,
            )
        elif example.input_shape is None:
            ctx.error(
                (*path, "input_shape"), "missing; this field is required", near=path
            )
        _value_range(
            ctx, path, example.min, example.max, example.padding, example.dtype
        )
    for name, value in example.call_args.items():
        arg = spec.call_args.get(name)
        if arg is None:
            ctx.error(
                (*path, "call_args", name),
                f"`{name}` is not a call argument"
                f"{did_you_mean(name, spec.call_args)}",
                key=True,
            )
            continue
        typed = call_arg_type(arg.type)
        if typed is not None and (problem := call_value_problem(typed, value)):
            ctx.error((*path, "call_args", name), problem)
    for name, arg in spec.call_args.items():
        tensor = (call_arg_type(arg.type) or ("",))[0] == "tensor"
        if arg.required and name not in example.call_args and not tensor:
            ctx.error(
                (*path, "call_args"),
                f"required call argument `{name}` has no value; add it to "
                "`call_args`",
                near=(*path, "call_args") if "call_args" in given else path,
            )


def _tensor_example(ctx: RuleContext, path: Path_, name: str, tensor: Any) -> None:
    spec = ctx.spec
    assert spec.inputs is not None
    decl = spec.inputs.get(name)
    if decl is None:
        ctx.error(
            path,
            f"`{name}` is not a declared input{did_you_mean(name, spec.inputs)}",
            key=True,
        )
        return
    shape = tensor if isinstance(tensor, list) else tensor.shape
    shape_path = path if isinstance(tensor, list) else (*path, "shape")
    if not shape:
        ctx.error(shape_path, "the shape is empty; give the batch dimension first")
        return
    if any(d <= 0 for d in shape):
        ctx.error(
            shape_path,
            "dimensions must be positive, including the batch dimension first",
        )
    rank = len(shape)
    if (
        (decl.ndim is not None and rank != decl.ndim)
        or (decl.min_ndim is not None and rank < decl.min_ndim)
        or (decl.max_ndim is not None and rank > decl.max_ndim)
    ):
        want = (
            f"{decl.ndim}"
            if decl.ndim is not None
            else f"{decl.min_ndim or 1}..{decl.max_ndim or 'any'}"
        )
        ctx.error(
            shape_path,
            f"rank {rank} does not fit input `{name}` (rank {want})",
        )
    if isinstance(tensor, list):
        return
    dtype = tensor.dtype or decl.dtype or "float32"
    if tensor.dtype is not None and tensor.dtype not in DTYPES:
        ctx.error(
            (*path, "dtype"),
            f"unknown dtype `{tensor.dtype}`{did_you_mean(tensor.dtype, DTYPES)}",
        )
    if tensor.mask and spec.masking == "none":
        ctx.error(
            (*path, "mask"),
            "`mask: true` needs a layer that supports masks "
            "(`masking` other than `none`)",
        )
    _value_range(ctx, path, tensor.min, tensor.max, tensor.padding, dtype)


def _value_range(
    ctx: RuleContext,
    path: Path_,
    lo: float | None,
    hi: float | None,
    padding: float | None,
    dtype: str,
) -> None:
    if lo is not None and hi is not None and lo > hi:
        ctx.error((*path, "max"), f"`max` {hi:g} is below `min` {lo:g}")
    if dtype in INT_DTYPES or dtype == "bool":
        for key, value in (("min", lo), ("max", hi), ("padding", padding)):
            if value is not None and value != int(value):
                ctx.error(
                    (*path, key),
                    f"`{key}` {value:g} is not a whole number, and the input is "
                    f"{dtype}",
                )
    if dtype.startswith("uint") and lo is not None and lo < 0:
        ctx.error((*path, "min"), f"`min` {lo:g} is negative for {dtype}")


def check_input_spec(ctx: RuleContext) -> None:
    """`input_spec`: non-negative ranks, not both kinds, axes that name arguments."""
    s = ctx.spec.input_spec
    if s is None:
        return
    for key in ("ndim", "min_ndim", "max_ndim"):
        value = getattr(s, key)
        if value is not None and value < 0:
            ctx.error(("input_spec", key), f"`{key}` must be 0 or more")
    if s.ndim is not None and (s.min_ndim is not None or s.max_ndim is not None):
        ctx.error(("input_spec",), "give `ndim`, or `min_ndim`/`max_ndim`, not both")
    for axis, dim in (s.axes or {}).items():
        if isinstance(dim, str) and dim not in ctx.spec.args:
            ctx.error(
                ("input_spec", "axes", axis),
                f"`{dim}` is not an argument{did_you_mean(dim, ctx.spec.args)}",
            )
