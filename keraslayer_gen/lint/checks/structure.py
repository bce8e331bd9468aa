"""The `structure` check of one layer class (docs/contract.md §1): registration, the
`__init__` signature and its `super().__init__(**kwargs)`, and the `call` defaults."""

from __future__ import annotations

import ast

from keraslayer_gen.lint.base import Checker, Registry
from keraslayer_gen.lint.module import (
    Function,
    LayerClass,
    is_abstract,
    is_self,
    lineage,
    position,
    scope_walk,
    self_attr,
)

STRUCTURE = "structure"
# Decorators that register the class: Keras's own and the exporters of keras-hub and
# keras-rs (`keras_hub_export` and `keras_rs_export` call register_keras_serializable).
_REGISTRARS = (
    "register_keras_serializable",
    "keras_export",
    "keras_hub_export",
    "keras_rs_export",
)
# Packages whose classes Keras's deserializer imports by module and name, registered or
# not (`serialization_lib._retrieve_class_or_fn`): no custom_objects needed for them.
LOCATABLE_PACKAGES = frozenset({"keras", "keras_hub", "keras_cv", "keras_nlp"})


class StructureChecker(Checker):
    id = STRUCTURE
    number = 1
    guards = "a class Keras cannot construct, register or call with training/mask"

    def run(self) -> None:
        layer, name = self.layer, self.layer.name
        if (
            not self._registered()
            and not is_abstract(layer, self.module)
            and self.module.package not in LOCATABLE_PACKAGES
        ):
            self.report(
                STRUCTURE,
                layer.node,
                f"`{name}` is not registered, so load_model of a model that "
                f"contains it fails with \"Could not locate class '{name}'\" unless "
                "it is given custom_objects; decorate the class with "
                "@keras.saving.register_keras_serializable(package=...)",
            )
        init = layer.methods.get("__init__")
        if init is not None:
            self._init(init)
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
        if not early:
            return
        if self.module.tf_keras:
            # tf-keras's Layer tracks every attribute from its __init__ on: any early
            # `self.x = ...` breaks its tracking, so its rule stays strict.
            self.report(
                STRUCTURE,
                early[0],
                f"`{name}.__init__` uses `self` before "
                "super().__init__(**kwargs); the base layer must be initialised "
                "first, so move the super().__init__ call above this line",
            )
            return
        found = self._early_state(init, first)
        if found is not None:
            node, what, consequence = found
            self.report(
                STRUCTURE,
                node,
                f"`{name}.__init__` {what} before super().__init__(**kwargs); "
                f"{consequence}: move the super().__init__ call above this line",
            )

    def _early_state(
        self, init: Function, first: ast.Call
    ) -> tuple[ast.AST, str, str] | None:
        """The first thing `__init__` does before `super().__init__` that needs the base
        layer (Keras 3): create tracked state or use the layer's own API. Plain
        attributes set early are fine there: Keras 3 creates its tracker lazily."""
        limit = position(first)
        assigned: set[str] = set(_class_attributes(self.layer))
        own = {m for layer in lineage(self.layer) for m in layer.methods}
        events: list[tuple[tuple[int, int], ast.AST, str, str]] = []
        statements = [
            n
            for n in scope_walk(init)
            if isinstance(n, ast.stmt) and position(n) < limit
        ]
        statements.sort(key=position)
        for statement in statements:
            if isinstance(statement, (ast.If, ast.For, ast.While, ast.With, ast.Try)):
                continue  # their inner statements are visited on their own
            for node in ast.walk(statement):
                if isinstance(node, ast.Call):
                    label = self._tracked_constructor(node.func)
                    if label is not None:
                        events.append(
                            (
                                position(node),
                                node,
                                f"creates {label}",
                                _TRACKED_CONSEQUENCE[label],
                            )
                        )
                    method = self_attr(node.func)
                    if method is not None and method not in assigned:
                        if method not in own or self._method_needs_base(method):
                            events.append(
                                (
                                    position(node),
                                    node,
                                    f"calls self.{method}()",
                                    "the layer's methods need the base layer "
                                    'initialised (Keras raises "you forgot to call '
                                    '`super().__init__()`" or an AttributeError)',
                                )
                            )
                elif (
                    isinstance(node, ast.Attribute)
                    and is_self(node.value)
                    and isinstance(node.ctx, ast.Load)
                    and node.attr not in assigned
                    and node.attr not in own
                    and not node.attr.startswith("__")
                ):
                    events.append(
                        (
                            position(node),
                            node,
                            f"reads self.{node.attr}",
                            "that attribute of the base layer does not exist yet "
                            "(AttributeError)",
                        )
                    )
            if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = (
                    statement.targets
                    if isinstance(statement, ast.Assign)
                    else [statement.target]
                )
                for target in targets:
                    for element in ast.walk(target):
                        attr = self_attr(element)
                        if attr is not None:
                            assigned.add(attr)
        if not events:
            return None
        _, node, what, consequence = min(events, key=lambda e: e[0])
        return node, what, consequence

    def _tracked_constructor(self, func: ast.AST) -> str | None:
        """What calling `func` creates when it is state Keras tracks, else None."""
        if isinstance(func, ast.Name) and func.id in self._file_layers():
            return "a sub-layer"
        name = self.module.canonical(func) or ""
        if name == "keras.random.SeedGenerator" or name.endswith(
            ".random.SeedGenerator"
        ):
            return "a seed generator"
        if name in ("keras.Variable", "keras.backend.Variable", "keras.variables"):
            return "a variable"
        if name.startswith(("keras.layers.", "keras.models.", "keras.metrics.")) or (
            name in ("keras.Sequential", "keras.Model", "keras.Layer")
        ):
            tail = name.rpartition(".")[2]
            if tail[:1].isupper() and tail not in ("Input", "InputSpec"):
                return "a sub-layer"
        return None

    def _file_layers(self) -> set[str]:
        return {
            n.name
            for n in ast.walk(self.module.tree)
            if isinstance(n, ast.ClassDef) and n.name != self.layer.name
        } & self.module.layer_names

    def _method_needs_base(self, method: str) -> bool:
        """Whether an in-file method, called before super().__init__, creates tracked
        state or calls the base layer's methods."""
        seen: set[str] = set()
        todo = [method]
        own = {m: f for layer in lineage(self.layer) for m, f in layer.methods.items()}
        while todo:
            current = todo.pop()
            if current in seen or current not in own:
                continue
            seen.add(current)
            for node in scope_walk(own[current]):
                if not isinstance(node, ast.Call):
                    continue
                if self._tracked_constructor(node.func) is not None:
                    return True
                callee = self_attr(node.func)
                if callee is None:
                    continue
                if callee in own:
                    todo.append(callee)
                else:
                    return True
        return False

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


_TRACKED_CONSEQUENCE = {
    "a sub-layer": "on torch a Keras layer is a torch Module, and the constructor "
    'raises "cannot assign module before Module.__init__() call"',
    "a variable": "the base layer tracks variables (and, on torch, registers them "
    "as parameters) only once it is initialised",
    "a seed generator": "the base layer tracks seed generators (their state is a "
    "variable) only once it is initialised",
}


def _class_attributes(layer: LayerClass) -> set[str]:
    """Names assigned in the class bodies (`supports_masking = True`, constants)."""
    out: set[str] = set()
    for current in lineage(layer):
        for item in current.node.body:
            targets: list[ast.expr] = []
            if isinstance(item, ast.Assign):
                targets = item.targets
            elif isinstance(item, ast.AnnAssign):
                targets = [item.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    out.add(target.id)
    return out


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


def register(registry: Registry) -> None:
    registry.register(StructureChecker)
