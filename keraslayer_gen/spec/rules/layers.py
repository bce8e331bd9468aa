"""The base class and the sub-layers: classes, constructor arguments, `build` arguments."""

from __future__ import annotations

import ast
import keyword
from collections.abc import Iterable
from typing import Any

from keraslayer_gen.spec.names import (
    BUILTIN_NAMES,
    KERAS_LAYER_NAMES,
    did_you_mean,
)
from keraslayer_gen.spec.rules.context import Path_, RuleContext, listing

#: Keyword flags of `keras.layers.Layer.__init__` a `base_args` may set without `base`.
_LAYER_INIT_FLAGS = ("activity_regularizer", "autocast", "input_dim", "input_shape")


def _user_class(text: str) -> bool:
    """`my_pkg.layers.Block`: a dotted path of identifiers, not under `keras.`."""
    parts = text.split(".")
    return (
        len(parts) >= 2
        and parts[0] != "keras"
        and all(p.isidentifier() for p in parts)
        and parts[-1][:1].isupper()
    )


def check_base(ctx: RuleContext) -> None:
    """`base` and `base_args`."""
    spec = ctx.spec
    if spec.base is not None and (problem := _class_problem(ctx, spec.base)):
        ctx.error(("base",), problem)
    own = ("dtype", "name", "trainable")
    if spec.base is None and spec.base_args:
        bad = [k for k in spec.base_args if k not in (*_LAYER_INIT_FLAGS, *own)]
        for key in bad:
            ctx.error(
                ("base_args", key),
                f"`keras.layers.Layer` takes no argument `{key}`"
                f"{did_you_mean(key, _LAYER_INIT_FLAGS)}; set `base` for a base "
                f"class that does (Layer flags: {listing(_LAYER_INIT_FLAGS)})",
                key=True,
            )
    for key, value in spec.base_args.items():
        if key in ("dtype", "name", "trainable"):
            ctx.error(
                ("base_args", key),
                f"`{key}` comes from the layer's own `**kwargs`; leave it out",
                key=True,
            )
            continue
        if not key.isidentifier() or keyword.iskeyword(key):
            ctx.error(
                ("base_args", key),
                f"`{key}` is not a keyword argument name",
                key=True,
            )
            continue
        _init_expression(ctx, value, ("base_args", key), spec.layers)


def check_sub_layers(ctx: RuleContext) -> None:
    """Each sub-layer: its class, constructor arguments and `build` arguments (which
    see `ctx.build_locals`)."""
    spec = ctx.spec
    earlier: list[str] = []
    for name, sub in spec.layers.items():
        path: Path_ = ("layers", name)
        if problem := _class_problem(ctx, sub.layer):
            ctx.error((*path, "layer"), problem)
        for key, value in sub.args.items():
            if not key.isidentifier() or keyword.iskeyword(key):
                ctx.error(
                    (*path, "args", key),
                    f"`{key}` is not a keyword argument name",
                    key=True,
                )
                continue
            if key == "dtype":
                ctx.error(
                    (*path, "args", key),
                    "`dtype=self.dtype_policy` is always passed; leave `dtype` out",
                    key=True,
                )
                continue
            unset = set(spec.layers) - set(earlier)
            _init_expression(ctx, value, (*path, "args", key), unset)
        if isinstance(sub.build, str):
            build_path = (*path, "build")
            tree = ctx.parse(f"({sub.build},)", build_path, mode="eval")
            if tree is not None:
                ctx.codes[build_path] = sub.build
                for node in ast.walk(tree):  # columns of `sub.build` itself
                    if getattr(node, "lineno", 0) == 1 and hasattr(node, "col_offset"):
                        node.col_offset = max(node.col_offset - 1, 0)
                scope = ctx.shape_scope(modules=True)
                scope |= {"self", *ctx.build_locals}
                later = set(spec.layers) - set(earlier) - {name}
                for node in ast.walk(tree):
                    if (
                        isinstance(node, ast.Attribute)
                        and isinstance(node.value, ast.Name)
                        and node.value.id == "self"
                        and node.attr in later | {name}
                    ):
                        ctx.at_node(
                            build_path,
                            node,
                            f"`self.{node.attr}` is built after `{name}` "
                            "(sub-layers are built in order); use an earlier one",
                        )
                ctx.names_in(tree, build_path, scope)
        earlier.append(name)


def _class_problem(ctx: RuleContext, text: str) -> str | None:
    """Why `text` is neither a `keras.layers` class nor a user class path."""
    if text.startswith("keras.layers.") and text.count(".") == 2:
        word = text.rsplit(".", 1)[1]
    elif "." not in text:
        word = text
    elif _user_class(text):
        return None
    else:
        return (
            f"`{text}` is neither a `keras.layers` name nor a `module.path.Class` "
            "of your own package"
        )
    if word in KERAS_LAYER_NAMES:
        return None
    return (
        f"`{word}` is not a `keras.layers` class{did_you_mean(word, KERAS_LAYER_NAMES)}"
        "; a class of your own package is written `module.path.Class`"
    )


def _init_expression(
    ctx: RuleContext, value: Any, path: Path_, unset: Iterable[str] = ()
) -> None:
    """A constructor argument: a literal, or a string that is an expression of
    `__init__` (the layer's args by name, `self`, `keras`, imports, builtins);
    `unset`: the sub-layers not created yet."""
    if not isinstance(value, str):
        return
    tree = ctx.parse(value, path, mode="eval")
    if tree is None:
        return
    unset = set(unset)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
            and node.attr in unset
        ):
            ctx.at_node(
                path,
                node,
                f"`self.{node.attr}` does not exist yet here: sub-layers are "
                "created in order; use an earlier one",
            )
    scope = {*ctx.spec.args, "self", *ctx.module_scope()}
    reported: set[str] = set()
    bad: list[ast.Name] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Name)
            and node.id not in scope
            and node.id not in BUILTIN_NAMES
            and node.id not in reported
        ):
            reported.add(node.id)
            bad.append(node)
    for node in bad:
        quote = (
            f'; write \'"{node.id}"\' for the string "{node.id}"'
            if isinstance(tree, ast.Expression) and tree.body is node
            else ""
        )
        ctx.at_node(
            path,
            node,
            f"unknown name `{node.id}`{did_you_mean(node.id, scope)}{quote}; "
            "in scope: the layer's arguments, `self`, "
            + ", ".join(f"`{n}`" for n in sorted(scope - set(ctx.spec.args) - {"self"}))
            + " and builtins",
        )
    ctx.names_in(tree, path, scope | reported)
