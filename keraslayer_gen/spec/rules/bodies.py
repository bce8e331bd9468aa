"""The `call` and `compute_mask` bodies and `output_shape`: modes, block style, scope,
what a body must assign; `check_body` checks any body, for any target."""

from __future__ import annotations

import ast
from collections.abc import Iterable

from keraslayer_gen.spec.registry import TARGET_MODULES
from keraslayer_gen.spec.rules.context import Path_, RuleContext, listing, stored_names


def _uses_random(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Attribute)
        and node.attr == "random"
        and isinstance(node.value, ast.Name)
        and node.value.id == "keras"
        for node in ast.walk(tree)
    )


def check(ctx: RuleContext) -> None:
    """The `call` bodies for the `training` mode, `compute_mask`, `output_shape`, block
    styles; fills `ctx.call_locals`."""
    spec = ctx.spec
    call = spec.call
    if spec.training is True:
        if call is not None:
            if call.body is not None:
                ctx.error(
                    ("call", "body"),
                    "with `training: true`, give `training` "
                    "and `inference` bodies instead of `body`",
                )
            for key in ("training", "inference"):
                if getattr(call, key) is None:
                    ctx.error(
                        ("call",),
                        f"with `training: true`, `call` needs both a "
                        f"`training` and an `inference` body; `{key}` is missing",
                        key=True,
                    )
    elif call is not None and spec.training is False:
        for key in ("training", "inference"):
            if getattr(call, key) is not None:
                ctx.error(
                    ("call", key),
                    f"`{key}` bodies need `training: true`; "
                    "a layer without training behaviour has one `body`",
                    key=True,
                )
        if call.body is None and call.training is None and call.inference is None:
            ctx.error(
                ("call",),
                "`call` is empty; give a `body`, or leave `call` out "
                "to write the body in the generated file",
                key=True,
            )
    if call is not None and spec.training == "forward" and call.body is None:
        ctx.error(
            ("call",),
            "`training: forward` needs one `body`",
            key=True,
        )
    if call is None and spec.output_shape != "same":
        ctx.error(
            ("call",),
            "`output_shape` is not `same`, so the spec must give the "
            "`call` body that computes it",
            near=("output_shape",),
            key=True,
        )
    if spec.masking == "custom" and spec.compute_mask is None:
        ctx.error(
            ("compute_mask",),
            "`masking: custom` needs a `compute_mask` body "
            "that assigns `output_mask`",
            near=("masking",),
            key=True,
        )
    if spec.masking != "custom" and spec.compute_mask is not None:
        ctx.error(
            ("compute_mask",),
            "a `compute_mask` body needs `masking: custom`",
            key=True,
        )
    for path in _code_paths(ctx):
        if ctx.located.styles.get(path) == ">":
            ctx.error(
                path,
                "code must be a literal block (`|`); a folded block (`>`) "
                "joins its lines",
            )
    ctx.call_locals = set()
    if call is not None:
        for key in ("body", "training", "inference"):
            code = getattr(call, key)
            if code is not None:
                names = check_body(
                    ctx,
                    code,
                    ("call", key),
                    must_assign="outputs",
                    training_body=(key == "training"),
                )
                if key != "inference":
                    ctx.call_locals |= names
    if spec.compute_mask is not None:
        check_body(
            ctx,
            spec.compute_mask,
            ("compute_mask",),
            must_assign="output_mask",
            extra_scope={"mask", "inputs"},
        )
    if spec.output_shape != "same":
        ctx.expression(
            spec.output_shape,
            ("output_shape",),
            allowed=ctx.shape_scope() | {"self"},
        )


def _code_paths(ctx: RuleContext) -> list[Path_]:
    """Where the spec holds code (bodies, expressions), for the block-style rule."""
    spec = ctx.spec
    paths: list[Path_] = [("build",), ("compute_mask",), ("output_shape",)]
    paths += [("call", key) for key in ("body", "training", "inference")]
    paths += [("state", name) for name in spec.state]
    for target, bodies in spec.targets.items():
        paths += [
            ("targets", target, "call", key)
            for key in ("body", "training", "inference")
        ]
        paths += [("targets", target, "compute_mask")]
        paths += [("targets", target, "state", name) for name in bodies.state or {}]
        paths += [
            ("targets", target, "methods", name, "body")
            for name in bodies.methods or {}
        ]
    paths += [("methods", name, "body") for name in spec.methods]
    return paths


def check_body(
    ctx: RuleContext,
    code: str,
    path: Path_,
    must_assign: str,
    training_body: bool = False,
    extra_scope: Iterable[str] = (),
    for_target: str | None = None,
) -> set[str]:
    """Check a body written for `for_target` (by default the spec's own target)."""
    modules = TARGET_MODULES[for_target or ctx.spec.target]
    keras3 = (for_target or ctx.spec.target) == "keras3"
    tree = ctx.parse(code, path)
    if tree is None:
        return set()
    stored = stored_names(tree)
    if must_assign == "outputs":
        _assigned_outputs(ctx, tree, path, stored)
    elif must_assign not in stored:
        ctx.error(path, f"the body must assign `{must_assign}`")
    scope = {"self", *extra_scope} | ctx.call_scope(for_target)
    if must_assign == "outputs" and ctx.spec.outputs:
        must_assign = " and ".join(ctx.spec.outputs)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)):
            ctx.at_node(
                path,
                node,
                f"`{type(node).__name__.lower()}` is not allowed "
                f"in a body; assign `{must_assign}` instead",
            )
        elif isinstance(node, (ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom)):
            ctx.at_node(
                path,
                node,
                "imports and global statements are not allowed "
                f"in a body; {listing(modules)} are in scope"
                + (
                    "; list other modules in `imports`"
                    if isinstance(node, (ast.Import, ast.ImportFrom))
                    else ""
                ),
            )
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "self"
                ):
                    ctx.at_node(
                        path,
                        node,
                        f"`self.{target.attr} = ...` in a body "
                        "keeps Python state that is neither traced nor "
                        "replicated; declare a non-trainable weight and "
                        "update it through `state`",
                    )
    ctx.names_in(tree, path, scope | stored)
    if keras3 and _uses_random(tree) and ctx.spec.seed_generator is None:
        ctx.error(
            path,
            "the body uses `keras.random`; name an `int | None` argument "
            "in `seed_generator` and pass `seed=self.seed_generator`",
        )
    return stored


def _assigned_outputs(
    ctx: RuleContext, tree: ast.AST, path: Path_, stored: set[str]
) -> None:
    """A `call` body assigns what `call` returns: `outputs`, or each declared
    output."""
    spec = ctx.spec
    if spec.outputs:
        names = list(spec.outputs)
        returns = f"({', '.join(names)})"
        missing = [n for n in names if n not in stored]
        if missing and "outputs" in stored and "outputs" not in names:
            ctx.error(
                path,
                f"this layer returns {returns}: assign {listing(names)}, "
                "not `outputs`",
            )
        elif missing:
            ctx.error(
                path,
                f"the body must assign {listing(missing)} (the layer returns "
                f"{returns})",
            )
        return
    if "outputs" not in stored:
        ctx.error(path, "the body must assign `outputs`")
        return
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign):
            continue
        if any(isinstance(t, ast.Name) and t.id == "outputs" for t in node.targets):
            value = node.value
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) >= 2:
                ctx.at_node(
                    path,
                    node,
                    f"the body assigns {len(value.elts)} tensors to `outputs`, but "
                    "the layer has one output; declare them under `outputs` "
                    "(one name each) and assign each name",
                )
