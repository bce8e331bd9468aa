"""The `build` body: it validates shapes and binds names that weights and sub-layers use."""

from __future__ import annotations

import ast

from keraslayer_gen.spec.rules.context import RuleContext, stored_names


def check(ctx: RuleContext) -> None:
    """The `build` body: validates `input_shape`; its names may shape weights."""
    ctx.build_locals = set()
    code = ctx.spec.build
    if code is None:
        return
    tree = ctx.parse(code, ("build",))
    if tree is None:
        return
    ctx.build_locals = stored_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Return, ast.Import, ast.ImportFrom, ast.Global)):
            ctx.at_node(
                ("build",),
                node,
                "the `build` body may validate and compute "
                "names, but not return or import",
            )
    scope = ctx.shape_scope(modules=True) | {"self"} | ctx.build_locals
    ctx.names_in(tree, ("build",), scope)
