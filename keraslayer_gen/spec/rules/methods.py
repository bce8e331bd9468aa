"""Helper methods, `losses` and output expressions, for the spec's own target and as
copied or inherited by the other target."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import Any

from keraslayer_gen.spec.model import ALLOWED_IMPORTS
from keraslayer_gen.spec.names import did_you_mean
from keraslayer_gen.spec.registry import TARGET_MODULES
from keraslayer_gen.spec.rules.context import Path_, RuleContext, listing, stored_names


def check(ctx: RuleContext) -> None:
    """Methods, losses and output expressions (the `call` bodies are checked by
    `bodies.check`, in `call_scope`), then the other target's copies."""
    spec = ctx.spec
    for name, method in spec.methods.items():
        _method(ctx, method.args, method.body, ("methods", name), spec.target)
    _losses(ctx, spec.losses, ("losses",), spec.target)
    shape_scope = ctx.shape_scope() | {"self"}
    for name, out in (spec.outputs or {}).items():
        if out.shape != "same":
            path: Path_ = ("outputs", name, "shape")
            tree = ctx.parse(out.shape, path, mode="eval")
            if tree is not None:
                ctx.names_in(tree, path, shape_scope)
        if out.mask is not None:
            path = ("outputs", name, "mask")
            tree = ctx.parse(out.mask, path, mode="eval")
            if tree is not None:
                scope = ctx.call_scope() | {"self", "mask"}
                ctx.names_in(tree, path, scope)
    for target, bodies in spec.targets.items():
        if target == spec.target:
            continue
        where: Path_ = ("targets", target)
        _inherited_code(ctx, target, bodies)
        for name, method in (bodies.methods or {}).items():
            if name not in spec.methods:
                ctx.error(
                    (*where, "methods", name),
                    f"`{name}` is not in the spec's `methods`"
                    f"{did_you_mean(name, spec.methods)}",
                    key=True,
                )
                continue
            _method(ctx, method.args, method.body, (*where, "methods", name), target)
        if bodies.losses is not None:
            if len(bodies.losses) != len(spec.losses):
                ctx.error(
                    (*where, "losses"),
                    f"the spec has {len(spec.losses)} `losses`; give as many "
                    f"for {target} ({len(bodies.losses)} here)",
                )
            _losses(ctx, bodies.losses, (*where, "losses"), target)


def _inherited_code(ctx: RuleContext, target: str, bodies: Any) -> None:
    """Methods and losses without a `targets.<target>` copy render for `target` as
    written: they must not use a module only the spec's own target has."""
    spec = ctx.spec
    foreign = set(TARGET_MODULES[spec.target]) - set(TARGET_MODULES[target])
    codes: list[tuple[str, str, str]] = []
    if bodies.methods is None:
        codes += [(f"methods.{n}", m.body, "methods") for n, m in spec.methods.items()]
    else:
        codes += [
            (f"methods.{n}", m.body, "methods")
            for n, m in spec.methods.items()
            if n not in bodies.methods
        ]
    if bodies.losses is None:
        codes += [(f"losses[{i}]", e, "losses") for i, e in enumerate(spec.losses)]
    for what, code, field in codes:
        try:
            tree = ast.parse(code.strip())
        except SyntaxError:
            continue  # reported where the code is
        used = sorted(
            {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} & foreign
        )
        if used:
            ctx.error(
                ("targets", target),
                f"`{what}` uses {listing(used)}, which {target} code does not "
                f"have; give `targets.{target}.{field}`",
                key=True,
            )


def _losses(ctx: RuleContext, losses: Iterable[str], where: Path_, target: str) -> None:
    outputs = set(ctx.output_names())
    for i, expr in enumerate(losses):
        path = (*where, i)
        tree = ctx.parse(expr, path, mode="eval")
        if tree is not None:
            scope = ctx.call_scope(target) | {"self", *outputs, *ctx.call_locals}
            ctx.names_in(tree, path, scope)


def _method(ctx: RuleContext, args: str, body: str, path: Path_, target: str) -> None:
    """A helper method: its parameters parse, its body returns, and it sees its
    parameters, `self`, the target's modules and the imports."""
    try:
        header = ast.parse(f"def f(self, {args}):\n    pass\n").body[0]
    except SyntaxError as exc:
        ctx.error((*path, "args"), f"syntax error in the parameters: {exc.msg}")
        return
    assert isinstance(header, ast.FunctionDef)
    params = stored_names(header) - {"f"}
    body_path = (*path, "body")
    tree = ctx.parse(body, body_path)
    if tree is None:
        return
    if not any(isinstance(node, ast.Return) for node in ast.walk(tree)):
        ctx.error(body_path, "a method's body must `return` its result")
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            ctx.at_node(
                body_path,
                node,
                "imports are not allowed in a body; list the module in "
                f"`imports` ({listing(ALLOWED_IMPORTS)})",
            )
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            ctx.at_node(body_path, node, "global statements are not allowed in a body")
    scope = {
        "self",
        *params,
        *stored_names(tree),
        *ctx.module_scope(target),
    }
    ctx.names_in(tree, body_path, scope)
