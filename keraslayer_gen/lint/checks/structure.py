"""The `structure` and `config-complete` checks of one layer class (docs/contract.md §1 and §2)."""

from __future__ import annotations

import ast
from pathlib import Path

from keraslayer_gen.lint.config_keys import returned_keys
from keraslayer_gen.lint.driver import (
    CONFIG_COMPLETE,
    STRUCTURE,
    Checker,
    Function,
    LayerClass,
    is_self,
    lineage,
    position,
    scope_walk,
    self_attr,
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
# Values Keras 3's automatic config (`Operation.__new__`) accepts: everything else
# (layers, initializer objects, functions, tensors) switches it off, and get_config raises.
_PLAIN_NAMES = frozenset({"str", "int", "float", "bool", "None", "NoneType"})
_OBJECT_TYPES = frozenset(
    {"Layer", "Model", "KerasTensor", "Tensor", "Variable", "ndarray", "Array"}
)


class StructureChecker(Checker):
    def run(self) -> None:
        layer, name = self.layer, self.layer.name
        if (
            not self._registered()
            and not self._abstract()
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
        or `Abstract` name, a `base_*.py` module, abstract methods, or a method that only
        raises NotImplementedError."""
        if self.layer.name.lstrip("_").startswith(("Base", "Abstract")):
            return True
        # A `base_*.py` module holds the base that the real classes subclass (Keras's
        # base_conv.py, keras-rs's base_distributed_embedding.py).
        if Path(self.module.filename).stem.startswith("base_"):
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
