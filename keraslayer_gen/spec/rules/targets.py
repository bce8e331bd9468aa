"""Code per target: the bodies under `targets:`, and code both targets use.

The bodies for the other target are checked like the main ones, in that target's scope
(`registry.TARGET_MODULES`), and must be complete wherever the generated code would
otherwise silently lack them (a `compute_mask`, a `state` update)."""

from __future__ import annotations

import ast

from keraslayer_gen.spec.model import TargetBodies
from keraslayer_gen.spec.registry import (
    CALL_BODY_KEYS,
    TARGET_MODULES,
)
from keraslayer_gen.spec.rules.bodies import check_body
from keraslayer_gen.spec.rules.context import Path_, RuleContext, listing
from keraslayer_gen.spec.updates import updated_weight


def _names(code: str | None) -> list[ast.Name]:
    """The names in code that the checker has already parsed (and reported, if broken)."""
    try:
        tree = ast.parse((code or "").strip())
    except SyntaxError:
        return []
    return [node for node in ast.walk(tree) if isinstance(node, ast.Name)]


def _self_attributes(code: str | None, attr: str) -> list[ast.Attribute]:
    try:
        tree = ast.parse((code or "").strip())
    except SyntaxError:
        return []
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == attr
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    ]


def check(ctx: RuleContext) -> None:
    """The other target's bodies, tf-keras update ops and seeds, and a `build` that
    renders for both targets."""
    spec = ctx.spec
    for target, bodies in spec.targets.items():
        if target != spec.target:  # the spec's own target is reported by `_names`
            _other_target(ctx, target, bodies)
    if spec.target == "tf-keras":
        for weight, expr in spec.state.items():
            _update_op(ctx, expr, ("state", weight), weight)
    _tf_keras_randomness(ctx)
    if spec.build is not None:
        _shared_build(ctx)


def _other_target(ctx: RuleContext, target: str, bodies: TargetBodies) -> None:
    spec = ctx.spec
    where: Path_ = ("targets", target)
    keys = ("training", "inference") if spec.training is True else ("body",)
    call_locals: set[str] = set()
    for key in CALL_BODY_KEYS if bodies.call is not None else ():
        code = getattr(bodies.call, key)
        if code is None and key in keys:
            ctx.error(
                (*where, "call"),
                f"`call` needs {listing(keys)} bodies, like the spec's own; "
                f"`{key}` is missing",
                key=True,
            )
        elif code is not None and key not in keys:
            ctx.error(
                (*where, "call", key),
                f"a layer with `training: {str(spec.training).lower()}` has "
                f"{listing(keys)} bodies, not `{key}`",
                key=True,
            )
        elif code is not None:
            path = (*where, "call", key)
            names = check_body(
                ctx, code, path, must_assign="outputs", for_target=target
            )
            if key != "inference":
                call_locals |= names
    if bodies.compute_mask is not None and spec.masking != "custom":
        ctx.error(
            (*where, "compute_mask"),
            "a `compute_mask` body needs `masking: custom`",
            key=True,
        )
    elif bodies.compute_mask is not None:
        check_body(
            ctx,
            bodies.compute_mask,
            (*where, "compute_mask"),
            must_assign="output_mask",
            extra_scope={"mask", "inputs"},
            for_target=target,
        )
    elif spec.masking == "custom":
        ctx.error(
            where,
            f"`masking: custom` needs a {target} `compute_mask` body too",
            key=True,
        )
    if bodies.state is None:
        _inherited_state(ctx, target)
    else:
        _target_state(ctx, target, bodies, call_locals)


def _inherited_state(ctx: RuleContext, target: str) -> None:
    """Without `targets.<target>.state`, the spec's own `state` renders for `target`."""
    foreign = set(TARGET_MODULES[ctx.spec.target]) - set(TARGET_MODULES[target])
    for weight, expr in ctx.spec.state.items():
        used = sorted({node.id for node in _names(expr)} & foreign)
        if used:
            ctx.error(
                ("targets", target),
                f"`state.{weight}` uses {listing(used)}, which {target} code "
                f"does not have; give `targets.{target}.state`",
                key=True,
            )


def _target_state(
    ctx: RuleContext, target: str, bodies: TargetBodies, call_locals: set[str]
) -> None:
    spec = ctx.spec
    state = bodies.state or {}
    for weight in spec.state:
        if weight not in state:
            ctx.error(
                ("targets", target, "state"),
                f"`{weight}` is in the spec's `state` but has no {target} update",
                key=True,
            )
    scope = {"self", *call_locals} | ctx.call_scope(target)
    if bodies.call is None:
        scope.add("outputs")
    for weight, expr in state.items():
        path = ("targets", target, "state", weight)
        if weight not in spec.state:
            ctx.error(path, f"`{weight}` is not in the spec's `state`", key=True)
        tree = ctx.parse(expr, path, mode="eval")
        if tree is not None:
            ctx.names_in(tree, path, scope)
        if target == "tf-keras":
            _update_op(ctx, expr, path, weight)


def _update_op(ctx: RuleContext, expr: str, path: Path_, weight: str) -> None:
    """A tf-keras `state` entry that is an update op must update its own weight."""
    updated = updated_weight(expr)
    if updated is not None and updated != weight:
        ctx.error(path, f"this update op updates `{updated}`, not `{weight}`")


def _tf_keras_randomness(ctx: RuleContext) -> None:
    """`self.seed_generator` is Keras 3's; tf-keras code seeds `tf.random` ops."""
    spec = ctx.spec
    prefix: Path_ = ()
    if spec.target == "tf-keras":
        call, compute_mask = spec.call, spec.compute_mask
    elif "tf-keras" in spec.targets:
        prefix = ("targets", "tf-keras")
        call = spec.targets["tf-keras"].call
        compute_mask = spec.targets["tf-keras"].compute_mask
    else:
        return
    codes = [((*prefix, "compute_mask"), compute_mask)]
    if call is not None:
        codes += [((*prefix, "call", k), getattr(call, k)) for k in CALL_BODY_KEYS]
    seed = f"`seed=self.{spec.seed_generator}`" if spec.seed_generator else "a seed"
    for path, code in codes:
        for node in _self_attributes(code, "seed_generator"):
            ctx.at_node(
                path,
                node,
                f"tf-keras layers have no seed generator; pass {seed} to the "
                "`tf.random` op",
            )


def _shared_build(ctx: RuleContext) -> None:
    """`build` renders for every target of the spec: no module of only one of them."""
    own = set(TARGET_MODULES[ctx.spec.target])
    reported: set[str] = set()
    for target in ctx.spec.targets:
        foreign = own ^ set(TARGET_MODULES[target])
        for node in _names(ctx.spec.build):
            if node.id in foreign and node.id not in reported:
                reported.add(node.id)
                ctx.at_node(
                    ("build",),
                    node,
                    f"the `build` body renders for {ctx.spec.target} and {target}; "
                    f"`{node.id}` exists only in one of them",
                )
