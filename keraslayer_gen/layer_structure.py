"""The `structure` and `config-complete` checks of one layer class (CONTRACT.md 1 and 2)."""

from __future__ import annotations

import ast

from .config_keys import returned_keys
from .lint import (
    CONFIG_COMPLETE,
    STRUCTURE,
    Checker,
    Function,
    LayerClass,
    is_self,
    position,
    scope_walk,
)

# Keys `Layer.get_config` itself returns (Keras 3 and tf.keras), merged by super().get_config().
BASE_KEYS = frozenset(
    {
        "name",
        "trainable",
        "dtype",
        "activity_regularizer",
        "autocast",
        "input_dim",
        "input_shape",
        "batch_input_shape",
        "batch_size",
        "dynamic",
    }
)
# `weights` (Keras's initial-weights argument) is restored with the saved weights.
NOT_CONFIG = frozenset({"weights"})
_REGISTRARS = ("register_keras_serializable", "keras_export")


class StructureChecker(Checker):
    def run(self) -> None:
        layer, name = self.layer, self.layer.name
        if not self._registered() and not self._abstract():
            self.report(
                STRUCTURE,
                layer.node,
                f"`{name}` is not registered, so load_model "
                "cannot find it without custom_objects; decorate the class with "
                "@keras.saving.register_keras_serializable(package=...)",
            )
        init = layer.methods.get("__init__")
        if init is not None:
            self._init(init)
            if not self._abstract():
                self._config_complete(init)
        call = layer.methods.get("call")
        if call is not None:
            self._call_defaults(call)

    def _registered(self) -> bool:
        for decorator in self.layer.node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if (self.module.dotted(target) or "").endswith(_REGISTRARS):
                return True
        # `register_keras_serializable()(Cls)` or `get_custom_objects()[...] = Cls` at module
        # level registers the class too.
        for statement in self.module.tree.body:
            calls = [n for n in ast.walk(statement) if isinstance(n, ast.Call)]
            if any(
                (self.module.dotted(c.func) or "").endswith(
                    ("register_keras_serializable", "get_custom_objects")
                )
                for c in calls
            ):
                names = {n.id for n in ast.walk(statement) if isinstance(n, ast.Name)}
                if self.layer.name in names:
                    return True
        return False

    def _abstract(self) -> bool:
        """An abstract base is never instantiated, so it need not be registered, and its
        subclasses fill in some of its arguments (Keras's `BaseConv(rank, ...)`): a `Base`
        or `Abstract` name, abstract methods, or a method that only raises
        NotImplementedError."""
        if self.layer.name.lstrip("_").startswith(("Base", "Abstract")):
            return True
        for function in self.layer.methods.values():
            for decorator in function.decorator_list:
                if (self.module.dotted(decorator) or "").endswith("abstractmethod"):
                    return True
            body = [
                s
                for s in function.body
                if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
            ]
            if (
                len(body) == 1
                and isinstance(body[0], ast.Raise)
                and body[0].exc is not None
            ):
                exc = body[0].exc
                exc = exc.func if isinstance(exc, ast.Call) else exc
                if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                    return True
        return False

    def _init(self, init: Function) -> None:
        name, args = self.layer.name, init.args
        for arg in args.posonlyargs[1:]:
            self.report(
                STRUCTURE,
                arg,
                f"`{name}.__init__` has the positional-only "
                f"parameter `{arg.arg}`; from_config passes arguments by keyword, "
                "so remove the `/`",
            )
        if args.vararg is not None:
            self.report(
                STRUCTURE,
                args.vararg,
                f"`{name}.__init__` takes *{args.vararg.arg}"
                "; from_config passes arguments by keyword only, so replace it "
                "with named parameters",
            )
        supers = sorted(
            (
                n
                for n in scope_walk(init)
                if isinstance(n, ast.Call) and _is_super_init(n)
            ),
            key=position,
        )
        if args.kwarg is None:
            self.report(
                STRUCTURE,
                init,
                f"`{name}.__init__` takes no **kwargs, so name, "
                "dtype and trainable cannot reach the base layer; add **kwargs and "
                "pass them on with super().__init__(**kwargs)",
            )
        elif supers and not any(k.arg is None for k in supers[0].keywords):
            self.report(
                STRUCTURE,
                supers[0],
                f"`{name}.__init__` does not pass "
                f"**{args.kwarg.arg} to the base layer; call "
                f"super().__init__(**{args.kwarg.arg})",
            )
        if not supers:
            if self.layer.keras_base or not self.layer.parents:
                self.report(
                    STRUCTURE,
                    init,
                    f"`{name}.__init__` never calls "
                    "super().__init__(**kwargs); call it before using `self`",
                )
            return
        first = supers[0]
        inside = {id(n) for n in ast.walk(first)} | _harmless_self(init)
        early = sorted(
            (
                n
                for n in scope_walk(init)
                if is_self(n) and id(n) not in inside and position(n) < position(first)
            ),
            key=position,
        )
        if early:
            self.report(
                STRUCTURE,
                early[0],
                f"`{name}.__init__` uses `self` before "
                "super().__init__(**kwargs); the base layer must be initialised "
                "first, so move the super().__init__ call above this line",
            )

    def _call_defaults(self, call: Function) -> None:
        args = call.args
        params = [*args.posonlyargs, *args.args]
        pairs = list(
            zip(params[len(params) - len(args.defaults) :], args.defaults, strict=True)
        )
        pairs += [
            (a, d)
            for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
            if d is not None
        ]
        for arg, default in pairs:
            if not isinstance(default, ast.Constant):
                continue
            if arg.arg == "training" and default.value not in (None, False):
                self.report(
                    STRUCTURE,
                    default,
                    f"`{self.layer.name}.call` defaults "
                    f"training to {default.value!r}, which leaks training mode into "
                    "other layers; default it to None",
                )
            elif arg.arg == "mask" and default.value is not None:
                self.report(
                    STRUCTURE,
                    default,
                    f"`{self.layer.name}.call` defaults mask "
                    f"to {default.value!r}; default it to None",
                )

    def _config_complete(self, init: Function) -> None:
        layer, args = self.layer, init.args
        params = [
            a.arg
            for a in [*args.posonlyargs[1:], *args.args[1:], *args.kwonlyargs]
            if a.arg not in NOT_CONFIG
        ]
        keys = _config_keys(layer) if params else None
        if keys is None:
            return
        missing = [p for p in params if p not in keys]
        if not missing:
            return
        many = len(missing) > 1
        listed = ", ".join(f"`{p}`" for p in missing)
        example = f'"{missing[0]}": self.{missing[0]}'
        if layer.method("get_config") is None:
            self.report(
                CONFIG_COMPLETE,
                layer.node,
                f"`{layer.name}` has no get_config, so "
                f"{listed} {'are' if many else 'is'} lost on save; add get_config "
                f"returning {{**super().get_config(), {example}, ...}}",
            )
            return
        count = f"{len(missing)} required positional argument{'s' * many}"
        self.report(
            CONFIG_COMPLETE,
            layer.methods.get("get_config") or layer.node,
            f"`{layer.name}.get_config()` does not return {listed} (__init__ "
            f"argument{'s' * many}); add {example} to its config, or load_model "
            f'fails with "missing {count}"',
        )


def _is_super_init(node: ast.Call) -> bool:
    """`super().__init__(...)`, `super(Cls, self).__init__(...)`, `Base.__init__(self, ...)`."""
    if not (isinstance(node.func, ast.Attribute) and node.func.attr == "__init__"):
        return False
    owner = node.func.value
    if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name):
        return owner.func.id == "super"
    return bool(node.args) and is_self(node.args[0])


def _harmless_self(function: Function) -> set[int]:
    """`self` in `self.__class__`, `type(self)` or `isinstance(self, ...)`: reading the
    class is safe before the base layer is initialised."""
    out: set[int] = set()
    for node in scope_walk(function):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "__class__"
            and is_self(node.value)
        ):
            out.add(id(node.value))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("type", "isinstance")
            and node.args
            and is_self(node.args[0])
        ):
            out.add(id(node.args[0]))
    return out


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
