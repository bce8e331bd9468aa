"""Named `inputs`: order of optional ones, masks, ranks, dtypes; `input_list`."""

from __future__ import annotations

from typing import Any

from keraslayer_gen.spec.model import DTYPES
from keraslayer_gen.spec.names import did_you_mean
from keraslayer_gen.spec.rules.context import Path_, RuleContext


def check(ctx: RuleContext) -> None:
    """Named `inputs`: not empty, optional ones last, masks, ranks, dtypes."""
    spec = ctx.spec
    if spec.inputs is None:
        if spec.input_list:
            ctx.error(
                ("input_list",),
                "`input_list: true` needs `inputs` (two or more)",
            )
        return
    if not spec.inputs:
        ctx.error(("inputs",), "`inputs` is empty; declare at least one input")
        return
    if spec.input_list and len(spec.inputs) < 2:
        ctx.error(
            ("input_list",),
            "`input_list: true` needs two or more `inputs`",
        )
    seen_optional = None
    for i, (name, decl) in enumerate(spec.inputs.items()):
        path: Path_ = ("inputs", name)
        if decl.optional and i == 0:
            ctx.error((*path, "optional"), "the first input cannot be optional")
        elif decl.optional and spec.input_list:
            ctx.error(
                (*path, "optional"),
                "the inputs of a list (`input_list: true`) cannot be optional",
            )
        elif decl.optional:
            seen_optional = seen_optional or name
        elif seen_optional:
            ctx.error(
                path,
                f"input `{name}` is required but comes after optional input "
                f"`{seen_optional}`; put the optional inputs last",
                key=True,
            )
        if decl.mask and spec.masking == "none":
            ctx.error(
                (*path, "mask"),
                "`mask: true` needs a layer that supports masks "
                "(`masking` other than `none`)",
            )
        _ranks(ctx, path, decl)
        if decl.dtype is not None and decl.dtype not in DTYPES:
            ctx.error(
                (*path, "dtype"),
                f"unknown dtype `{decl.dtype}`{did_you_mean(decl.dtype, DTYPES)}",
            )


def _ranks(ctx: RuleContext, path: Path_, decl: Any) -> None:
    for key in ("ndim", "min_ndim", "max_ndim"):
        value = getattr(decl, key)
        if value is not None and value < 1:
            ctx.error((*path, key), f"`{key}` must be 1 or more (batch included)")
    if decl.ndim is not None and (
        decl.min_ndim is not None or decl.max_ndim is not None
    ):
        ctx.error(path, "give `ndim`, or `min_ndim`/`max_ndim`, not both", key=True)
    if (
        decl.min_ndim is not None
        and decl.max_ndim is not None
        and decl.min_ndim > decl.max_ndim
    ):
        ctx.error((*path, "max_ndim"), "`max_ndim` is below `min_ndim`")
