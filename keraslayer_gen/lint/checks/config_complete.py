"""The `config-complete` check of one layer class (docs/contract.md §2): every `__init__`
argument comes back from `get_config` (or from Keras's automatic config)."""

from __future__ import annotations

import ast

from keraslayer_gen.lint.base import Checker, Registry
from keraslayer_gen.lint.config_keys import BASE_KEYS, returned_keys
from keraslayer_gen.lint.module import (
    Function,
    LayerClass,
    is_abstract,
    lineage,
    scope_walk,
    self_attr,
)

CONFIG_COMPLETE = "config-complete"
# `weights` (Keras's initial-weights argument) is restored with the saved weights.
NOT_CONFIG = frozenset({"weights"})
# Values Keras 3's automatic config (`Operation.__new__`) accepts: everything else
# (layers, initializer objects, functions, tensors) switches it off, and get_config raises.
_PLAIN_NAMES = frozenset({"str", "int", "float", "bool", "None", "NoneType"})
_OBJECT_TYPES = frozenset(
    {"Layer", "Model", "KerasTensor", "Tensor", "Variable", "ndarray", "Array"}
)


class ConfigCompleteChecker(Checker):
    id = CONFIG_COMPLETE
    number = 2
    guards = "an __init__ argument missing from get_config"

    def run(self) -> None:
        init = self.layer.methods.get("__init__")
        if init is not None and not is_abstract(self.layer, self.module):
            self._config_complete(init)

    def _config_complete(self, init: Function) -> None:
        layer = self.layer
        defaults = _defaults(init)
        params = [p for p in defaults if p not in NOT_CONFIG]
        if not params:
            return
        if layer.method("get_config") is None:
            if not layer.unknown_bases:
                self._auto_config(init, defaults)
            return
        keys = _config_keys(layer)
        if keys is None:
            return
        stored = _stored_on_self(init)
        required = [p for p in params if p not in keys and defaults[p] is None]
        # An argument with a default that get_config leaves out comes back as that
        # default: a defect when the layer keeps the argument (self.x / self._x), and
        # unknowable when it only derives other state from it (InputLayer's shape).
        lost = [
            p
            for p in params
            if p not in keys
            and defaults[p] is not None
            and p in stored
            and _used_as_object(init, layer, p) is None  # a tensor is no config value
        ]
        where = layer.methods.get("get_config") or layer.node
        if required:
            many = len(required) > 1
            listed = ", ".join(f"`{p}`" for p in required)
            count = f"{len(required)} required positional argument{'s' * many}"
            self.report(
                CONFIG_COMPLETE,
                where,
                f"`{layer.name}.get_config()` does not return {listed} (required "
                f"__init__ argument{'s' * many}); add "
                f'"{required[0]}": self.{stored.get(required[0], required[0])} to its '
                "config, or from_config "
                f'and load_model fail with "missing {count}"',
            )
        if lost:
            many = len(lost) > 1
            listed = ", ".join(f"`{p}`" for p in lost)
            default = ast.unparse(defaults[lost[0]])  # type: ignore[arg-type]
            self.report(
                CONFIG_COMPLETE,
                where,
                f"`{layer.name}.get_config()` does not return {listed} (__init__ "
                f"argument{'s' * many} with a default), so from_config and "
                f"load_model silently rebuild the layer with the default "
                f"({lost[0]}={default}) instead of the value it was created with; "
                f'add "{lost[0]}": self.{stored[lost[0]]} to its config',
            )

    def _auto_config(
        self, init: Function, defaults: dict[str, ast.expr | None]
    ) -> None:
        """No get_config anywhere: Keras builds the config from the constructor's
        arguments, which works as long as they are plain values. Report the arguments
        that are Keras objects, layers, functions or tensors."""
        layer = self.layer
        objects: dict[str, str] = {}
        for arg in _init_args(init):
            if arg.arg in NOT_CONFIG:
                continue
            why = self._object_annotation(arg.annotation)
            default = defaults[arg.arg]
            if why is None and default is not None and not self.module.tf_keras:
                # Keras 3 puts the defaults in the automatic config too (tf-keras only
                # the arguments given).
                why = self._object_value(default)
            if why is None:
                why = _used_as_object(init, layer, arg.arg)
            if why is not None:
                objects[arg.arg] = why
        if not objects:
            return
        first, why = next(iter(objects.items()))
        listed = ", ".join(f"`{p}`" for p in objects)
        many = len(objects) > 1
        self.report(
            CONFIG_COMPLETE,
            layer.node,
            f"`{layer.name}` has no get_config and its argument{'s' * many} {listed} "
            f"{'are' if many else 'is'} not a plain value (`{first}` {why}): Keras "
            "builds a config automatically only from str, int, float, bool and None "
            "(and lists or dicts of them), so get_config, and saving, raise "
            "NotImplementedError; add get_config returning "
            f'{{**super().get_config(), "{first}": '
            f"keras.saving.serialize_keras_object(self.{first}), ...}} and a "
            "from_config that deserializes it",
        )

    def _object_annotation(self, annotation: ast.expr | None) -> str | None:
        """Why an annotation says the argument is a Keras object, when every type it
        allows (None aside) is one."""
        if annotation is None:
            return None
        kinds: list[str | None] = []
        for part in _union_members(annotation):
            if isinstance(part, ast.Constant) and part.value is None:
                continue  # Optional: None is a plain value, and no evidence either way
            name = self.module.canonical(part) or ""
            tail = name.rpartition(".")[2]
            if tail in _PLAIN_NAMES or name in ("", "typing.Optional"):
                kinds.append(None)
            elif tail in ("Layer", "Model", "Sequential") or name.startswith(
                "keras.layers."
            ):
                kinds.append("is annotated as a layer")
            elif tail in ("Tensor", "KerasTensor", "ndarray", "Array", "Variable"):
                kinds.append("is annotated as a tensor")
            elif name.startswith(
                ("keras.initializers.", "keras.regularizers.", "keras.constraints.")
            ):
                kinds.append("is annotated as a Keras object")
            else:
                kinds.append(None)
        if kinds and all(k is not None for k in kinds):
            return kinds[0]
        return None

    def _object_value(self, default: ast.expr) -> str | None:
        """Why a default value is not a plain value, when that is certain."""
        if isinstance(default, ast.Lambda):
            return "defaults to a lambda"
        if isinstance(default, (ast.Tuple, ast.List, ast.Set)):
            for element in default.elts:
                why = self._object_value(element)
                if why is not None:
                    return why
            return None
        if isinstance(default, ast.Dict):
            for value in default.values:
                why = self._object_value(value)
                if why is not None:
                    return why
            return None
        func = default.func if isinstance(default, ast.Call) else default
        if not isinstance(func, (ast.Name, ast.Attribute)):
            return None
        name = self.module.canonical(func) or ""
        if isinstance(func, ast.Name) and func.id in self.module.layer_names:
            return f"defaults to a {func.id} layer"
        if name.startswith(("keras.", "numpy.", "jax.", "torch.", "tensorflow.")):
            kind = "an object" if isinstance(default, ast.Call) else "a function"
            return f"defaults to {kind}, `{ast.unparse(default)}`"
        return None


def _init_args(init: Function) -> list[ast.arg]:
    args = init.args
    return [*args.posonlyargs[1:], *args.args[1:], *args.kwonlyargs]


def _defaults(init: Function) -> dict[str, ast.expr | None]:
    """Every parameter of `__init__` but self, with its default (None: required)."""
    args = init.args
    positional = [*args.posonlyargs, *args.args][1:]
    out: dict[str, ast.expr | None] = {a.arg: None for a in positional}
    for arg, default in zip(
        positional[len(positional) - len(args.defaults) :], args.defaults, strict=True
    ):
        out[arg.arg] = default
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        out[arg.arg] = kw_default
    return out


def _stored_on_self(init: Function) -> dict[str, str]:
    """Parameters `__init__` keeps as `self.<name>` or `self._<name>`, whatever the
    expression (`self._flash = flash or default()`) that reads them: name -> the
    attribute (the first one assigned)."""
    out: dict[str, str] = {}
    for node in scope_walk(init):
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        pairs: list[tuple[ast.expr, ast.expr]] = []
        for target in targets:
            if (
                isinstance(target, ast.Tuple)
                and isinstance(node.value, ast.Tuple)
                and len(target.elts) == len(node.value.elts)
            ):
                pairs.extend(zip(target.elts, node.value.elts, strict=True))
            elif isinstance(target, ast.Tuple):
                pairs.extend((element, node.value) for element in target.elts)
            else:
                pairs.append((target, node.value))
        for target, value in pairs:
            attr = self_attr(target)
            if attr is None:
                continue
            name = attr.lstrip("_")
            read = {
                n.id
                for n in ast.walk(value)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            }
            if name in read:
                out.setdefault(name, attr)
    return out


def _union_members(annotation: ast.expr) -> list[ast.expr]:
    """`A | B`, `Optional[A]`, `Union[A, B]` and `"A"` as their members."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return []
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return [*_union_members(annotation.left), *_union_members(annotation.right)]
    if isinstance(annotation, ast.Subscript):
        head = annotation.value
        head_name = (
            head.attr if isinstance(head, ast.Attribute) else getattr(head, "id", "")
        )
        if head_name in ("Optional", "Union"):
            inner = annotation.slice
            elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            return [m for e in elements for m in _union_members(e)]
        return [annotation.value]
    return [annotation]


def _used_as_object(init: Function, layer: LayerClass, param: str) -> str | None:
    """Why the class uses the parameter as a layer or a callable: it is called, built
    or serialised, directly or as the `self.<attr>` it is stored in."""
    attrs: set[str] = set()
    for node in scope_walk(init):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Name)
            and node.value.id == param
        ):
            attrs.update(a for t in node.targets if (a := self_attr(t)) is not None)
    for current in lineage(layer):
        for function in current.methods.values():
            for node in scope_walk(function):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                if (
                    function is init
                    and isinstance(func, ast.Name)
                    and func.id == "isinstance"
                    and len(node.args) == 2
                    and isinstance(node.args[0], ast.Name)
                    and node.args[0].id == param
                ):
                    kinds = {
                        (getattr(t, "attr", None) or getattr(t, "id", ""))
                        for t in ast.walk(node.args[1])
                        if isinstance(t, (ast.Name, ast.Attribute))
                    }
                    if kinds & _OBJECT_TYPES:
                        return "is checked to be a layer or a tensor"
                direct = isinstance(func, ast.Name) and func.id == param
                if function is init and direct:
                    return "is called like a layer or a function"
                if self_attr(func) in attrs:
                    return f"is stored as self.{self_attr(func)} and called"
                if (
                    isinstance(func, ast.Attribute)
                    and func.attr in ("build", "get_config")
                    and (
                        self_attr(func.value) in attrs
                        or (
                            function is init
                            and isinstance(func.value, ast.Name)
                            and func.value.id == param
                        )
                    )
                ):
                    return f"has its .{func.attr}() called, so it is a layer"
    return None


def _config_keys(layer: LayerClass) -> set[str] | None:
    """Every key the class's get_config returns, or None when that cannot be known."""
    function = layer.methods.get("get_config")
    keys: set[str] = set()
    has_base = True
    if function is not None:
        found = returned_keys(function)
        if found is None:
            return None
        keys, has_base = set(found.keys), found.has_base
    if not has_base:
        return keys
    if layer.unknown_bases:
        return None
    if layer.keras_base:
        keys |= BASE_KEYS
    for parent in layer.parents:
        inherited = _config_keys(parent)
        if inherited is None:
            return None
        keys |= inherited
    return keys


def register(registry: Registry) -> None:
    registry.register(ConfigCompleteChecker)
