"""Training, masking and state modes, and `outputs` as a whole: the combinations
`training`, `state_on`, `random_inference`, `outputs` and `output_dtype` allow."""

from __future__ import annotations

from keraslayer_gen.spec.model import DTYPES
from keraslayer_gen.spec.names import did_you_mean
from keraslayer_gen.spec.rules.context import RuleContext


def check(ctx: RuleContext) -> None:
    """`training: forward`, `state_on: every_call`, `random_inference`, and `outputs`
    with the fields it replaces."""
    spec = ctx.spec
    call = spec.call
    if spec.training == "forward":
        if call is not None and (call.training or call.inference):
            ctx.error(
                ("training",),
                "`training: forward` has one `body` (with `training` in scope to "
                "pass on to sub-layers), not `training`/`inference` bodies",
            )
        if spec.state and spec.state_on != "every_call":
            ctx.error(
                ("state",),
                "with `training: forward` there is no training-only path to "
                "update `state` in; set `state_on: every_call`, or `training: true`",
                key=True,
            )
        if not spec.layers:
            ctx.error(
                ("training",),
                "`training: forward` passes `training` to sub-layers; declare "
                "them under `layers` (or use `training: true`)",
            )
    if spec.state_on == "every_call":
        if spec.training is True:
            ctx.error(
                ("state_on",),
                "`state_on: every_call` assigns `state` after the one `body`; "
                "it needs `training: false` or `forward`, not `true`",
            )
        if not spec.state:
            ctx.error(("state_on",), "`state_on: every_call` without any `state`")
    if spec.random_inference and spec.seed_generator is None:
        ctx.error(
            ("random_inference",),
            "`random_inference: true` needs `seed_generator` (the layer draws "
            "from `keras.random` at inference)",
        )
    if spec.outputs is not None:
        if not spec.outputs:
            ctx.error(("outputs",), "`outputs` is empty; declare at least one")
        if spec.output_shape != "same":
            ctx.error(
                ("output_shape",),
                "with `outputs`, give each output's `shape` instead of "
                "`output_shape`",
            )
        if spec.call is None:
            ctx.error(
                ("outputs",),
                "a layer with `outputs` needs the `call` body that assigns them",
                key=True,
            )
        if spec.output_dtype is not None:
            ctx.error(
                ("output_dtype",),
                "with `outputs`, give each output's `dtype` instead",
            )
        for name, out in spec.outputs.items():
            if out.dtype is not None and out.dtype not in DTYPES:
                ctx.error(
                    ("outputs", name, "dtype"),
                    f"unknown dtype `{out.dtype}`{did_you_mean(out.dtype, DTYPES)}",
                )
            if out.mask is not None and spec.masking == "none":
                ctx.error(
                    ("outputs", name, "mask"),
                    "an output mask needs a layer that supports masks "
                    "(`masking` other than `none`)",
                )


def check_output_dtype(ctx: RuleContext) -> None:
    """`output_dtype` is a dtype."""
    dtype = ctx.spec.output_dtype
    if dtype is not None and dtype not in DTYPES:
        ctx.error(
            ("output_dtype",),
            f"unknown dtype `{dtype}`{did_you_mean(dtype, DTYPES)}",
        )
