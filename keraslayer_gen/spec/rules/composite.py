"""Rules of the composite fields (issue 11): sub-layers, named inputs and outputs, call
arguments, helper methods, imports, base class, losses, examples' tensors.

A mixin of the checker in `rules.py`, like `target_rules.TargetRules`. The scope functions
at the top (`input_names`, `mask_names`, `shape_names`, `import_names`) say which names the
generated code has, so that the templates and the rules agree; they never import Keras.
"""

from __future__ import annotations

import ast
import keyword
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from keraslayer_gen.spec.model import ALLOWED_IMPORTS, CALL_ARG_TYPES, DTYPES, LayerSpec
from keraslayer_gen.spec.names import (
    BUILTIN_NAMES,
    KERAS_LAYER_NAMES,
    LAYER_ATTRIBUTES,
    did_you_mean,
    identifier_problem,
    is_snake,
)
from keraslayer_gen.spec.rules.targets import TARGET_MODULES, listing

if TYPE_CHECKING:
    from keraslayer_gen.spec.load import Located

Path_ = tuple[str | int, ...]
INT_DTYPES = tuple(d for d in DTYPES if d.startswith(("int", "uint")))
_MASKING_WITH_MASK = ("use", "consume", "custom")


# -- the names of the generated code ----------------------------------------------------
def input_names(spec: LayerSpec) -> list[str]:
    """The input tensors by name: the declared ones, or the one `inputs`."""
    return list(spec.inputs) if spec.inputs else ["inputs"]


def tensor_arguments(spec: LayerSpec) -> list[str]:
    """The tensor parameters of `call` after `self`: `inputs` for one input or a list."""
    if not spec.inputs or spec.input_list:
        return ["inputs"]
    return list(spec.inputs)


def mask_names(spec: LayerSpec) -> dict[str, str]:
    """Input -> the `call` parameter that receives its mask, as Keras 3 fills them in:
    `mask` when `call` has one tensor argument (one input, or a list of them), and
    `<name>_mask` per input when it has several.

    An input receives its mask when it says `mask: true`; when none does, the first one
    does if the layer's `masking` reads the mask (`use`, `consume`, `custom`).
    """
    if not spec.inputs:
        return {"inputs": "mask"} if spec.masking in _MASKING_WITH_MASK else {}
    names = [name for name, decl in spec.inputs.items() if decl.mask]
    if not names and spec.masking in _MASKING_WITH_MASK:
        names = [next(iter(spec.inputs))]
    if spec.input_list or len(spec.inputs) == 1:
        return {name: "mask" for name in names[:1]} if names else {}
    return {name: f"{name}_mask" for name in names}


def mask_scope(spec: LayerSpec) -> set[str]:
    """The mask names a body sees: the `call` parameters of `mask_names`, and with
    `input_list` the list `mask` unpacked as `<name>_mask` per input."""
    names = set(mask_names(spec).values())
    if names and spec.input_list and spec.inputs and len(spec.inputs) > 1:
        names |= {f"{name}_mask" for name in spec.inputs}
    return names


def shape_names(spec: LayerSpec) -> list[str]:
    """The parameters of `build` and `compute_output_shape` after `self`."""
    if not spec.inputs or spec.input_list or len(spec.inputs) == 1:
        return ["input_shape"]
    return [f"{name}_shape" for name in spec.inputs]


def shape_scope_names(spec: LayerSpec) -> list[str]:
    """The shape names `build` and the shape expressions see: `shape_names`, and with
    `input_list` the list `input_shape` unpacked as `<name>_shape` per input."""
    names = shape_names(spec)
    if spec.input_list and spec.inputs and len(spec.inputs) > 1:
        names += [f"{name}_shape" for name in spec.inputs]
    return names


def parse_import(text: str) -> tuple[str, str | None] | None:
    """`"numpy as np"` -> `("numpy", "np")`, `"math"` -> `("math", None)`; None if
    it is neither form."""
    parts = text.split()
    if len(parts) == 1:
        return parts[0], None
    if len(parts) == 3 and parts[1] == "as":
        return parts[0], parts[2]
    return None


def import_names(spec: LayerSpec) -> list[str]:
    """The names the spec's `imports` bring into the module's scope."""
    out = []
    for text in spec.imports:
        parsed = parse_import(text)
        if parsed is not None:
            out.append(parsed[1] or parsed[0])
    return out


def call_arg_type(text: str) -> tuple[str, bool] | None:
    """`"int | None"` -> `("int", True)`; None for a type that is not a call-arg type."""
    parts = [p.strip() for p in text.split("|")]
    nullable = "None" in parts
    rest = [p for p in parts if p != "None"]
    if len(rest) != 1 or rest[0] not in CALL_ARG_TYPES or len(parts) > 2:
        return None
    return rest[0], nullable


def stored_names(tree: ast.AST) -> set[str]:
    """The names a piece of code binds: assignments, deletions, definitions, parameters."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def _user_class(text: str) -> bool:
    """`my_pkg.layers.Block`: a dotted path of identifiers, not under `keras.`."""
    parts = text.split(".")
    return (
        len(parts) >= 2
        and parts[0] != "keras"
        and all(p.isidentifier() for p in parts)
        and parts[-1][:1].isupper()
    )


class CompositeRules:
    """The rules of the composite fields; mixed into `rules._Checker`."""

    spec: LayerSpec
    located: Located

    if TYPE_CHECKING:
        codes: dict[Path_, str]
        call_locals: set[str]
        build_locals: set[str]

        def error(
            self,
            path: Path_,
            message: str,
            *,
            key: bool = False,
            near: Path_ | None = None,
        ) -> None: ...

        def _parse(
            self, code: str, path: Path_, mode: str = "exec"
        ) -> ast.AST | None: ...

        def _names_in(self, tree: ast.AST, path: Path_, scope: set[str]) -> None: ...

        def _at_node(self, path: Path_, node: ast.AST, message: str) -> None: ...

    # -- scopes -------------------------------------------------------------------------
    def call_scope(self, for_target: str | None = None) -> set[str]:
        """The names a `call` body sees besides `self`: inputs, masks, call args,
        `training`, the target's modules and the spec's imports."""
        spec = self.spec
        scope = {*input_names(spec), *tensor_arguments(spec)}
        scope |= mask_scope(spec)
        scope |= set(spec.call_args)
        scope |= set(TARGET_MODULES[for_target or spec.target])
        scope |= set(import_names(spec))
        if spec.training:
            scope.add("training")
        if not spec.inputs and spec.masking in _MASKING_WITH_MASK:
            scope.add("mask")
        return scope

    def shape_scope(self, modules: bool = False) -> set[str]:
        """The names an expression of a shape sees besides `self` and the args (and,
        with `modules`, the `build` body: the target's modules too)."""
        scope = {*shape_scope_names(self.spec), *import_names(self.spec)}
        if modules:
            scope |= set(TARGET_MODULES[self.spec.target])
        return scope

    def output_names(self) -> list[str]:
        return list(self.spec.outputs) if self.spec.outputs else ["outputs"]

    def known_self(self) -> set[str]:
        """`self.<name>` a body may read, besides args, weights and `Layer`'s."""
        return set(self.spec.layers) | set(self.spec.methods)

    def self_listing(self) -> str:
        """What `self.` may name, for the unknown-attribute message."""
        kinds = ["args", "weights"]
        kinds += ["sub-layers"] if self.spec.layers else []
        kinds += ["methods"] if self.spec.methods else []
        return f"the layer has its {', '.join(kinds)} and `keras.layers.Layer`'s"

    def unknown_name_hint(self, name: str) -> str | None:
        """A message for a name a body may not use but a reader would expect."""
        spec = self.spec
        if name in spec.args:
            return f"`{name}` is an argument of the layer; write `self.{name}` here"
        if not spec.inputs:
            return None
        if name == "inputs" and not spec.input_list:
            return (
                "`inputs` is not a parameter of this `call`; its inputs are "
                f"{listing(spec.inputs)}"
            )
        for input_name in spec.inputs:
            if name == f"{input_name}_mask" and len(spec.inputs) == 1:
                return (
                    f"`{name}` is not in scope; a `call` with one input receives "
                    "its mask as `mask`"
                )
            if name == f"{input_name}_mask":
                return (
                    f"`{name}` is not in scope; `call` receives the mask of "
                    f"`{input_name}` with `inputs.{input_name}.mask: true` (and a "
                    "`masking` other than `none`)"
                )
        return None

    def mask_hint(self) -> str:
        """Why `mask` is not in scope."""
        spec = self.spec
        if spec.inputs and spec.masking != "none":
            names = mask_names(spec)
            if names:
                return (
                    "`mask` is not a parameter of this `call`; the masks are "
                    f"{listing(names.values())}"
                )
            return "`mask` is only in scope for an input with `mask: true`"
        return "`mask` is only in scope with `masking: use`, `consume` or `custom`"

    # -- the hooks `rules._Checker.run` calls -------------------------------------------
    def composite_names(self) -> None:
        """Names of sub-layers, inputs, outputs, call args and methods: valid, and no
        two of them the same `self.` attribute or the same parameter."""
        spec = self.spec
        taken: dict[str, str] = {name: "an argument" for name in spec.args}
        taken.update({name: "a weight" for name in spec.weights})
        for kind, what in (("layers", "a sub-layer"), ("methods", "a method")):
            for name in getattr(spec, kind):
                path = (kind, name)
                if self._bad_name(path, name):
                    continue
                if name in LAYER_ATTRIBUTES:
                    self.error(
                        path,
                        f"`{name}` is an attribute of `keras.layers.Layer`; "
                        "using it breaks the layer, choose another name",
                        key=True,
                    )
                elif name == "seed_generator":
                    self.error(
                        path,
                        "`seed_generator` is the attribute of the layer's "
                        "`keras.random.SeedGenerator`; choose another name",
                        key=True,
                    )
                elif name in taken:
                    self.error(
                        path,
                        f"{what} `{name}` has the name of {taken[name]}; both would "
                        f"be `self.{name}`",
                        key=True,
                    )
                else:
                    taken[name] = what
        params: dict[str, str] = {"self": "`self`", "training": "`training`"}
        params["mask"] = "a mask parameter"
        params.update({f"{n}_mask": "a mask parameter" for n in spec.inputs or {}})
        for kind, what in (("inputs", "an input"), ("call_args", "a call argument")):
            for name in getattr(spec, kind) or {}:
                path = (kind, name)
                if self._bad_name(path, name):
                    continue
                if name in params:
                    clash = params[name]
                    clash = clash if clash.startswith("a") else f"the parameter {clash}"
                    self.error(
                        path,
                        f"`{name}` is {clash} of the generated `call`; "
                        "choose another name",
                        key=True,
                    )
                elif name in spec.args and kind == "inputs":
                    self.error(
                        path,
                        f"{what} `{name}` has the name of an argument of the layer; "
                        "rename one of them",
                        key=True,
                    )
                elif name in ("keras", "ops", "tf", "K"):
                    self.error(
                        path,
                        f"`{name}` is a module the generated code uses; "
                        "choose another name",
                        key=True,
                    )
                else:
                    params[name] = what
        if spec.input_list and spec.inputs and "inputs" in spec.inputs:
            self.error(
                ("inputs", "inputs"),
                "with `input_list: true`, `inputs` is the list of the inputs; "
                "name this input otherwise",
                key=True,
            )
        for name in spec.outputs or {}:
            out_path: Path_ = ("outputs", name)
            if self._bad_name(out_path, name):
                continue
            names = {*input_names(spec), *spec.call_args, "training", "mask", "self"}
            if name in names or name in spec.args:
                self.error(
                    out_path,
                    f"output `{name}` has the name of a parameter of `call` or of the "
                    "layer; choose another name",
                    key=True,
                )
        weight_names: dict[str, str] = {}
        for key, weight in spec.weights.items():
            name = weight.name if weight.name is not None else key
            w_path: Path_ = ("weights", key, "name")
            if weight.name is not None and not is_snake(weight.name):
                self.error(w_path, f"`{weight.name}` is not a snake_case name")
            elif name in weight_names:
                self.error(
                    w_path if weight.name is not None else ("weights", key),
                    f"the variable name `{name}` is also weight "
                    f"`{weight_names[name]}`'s; variable names must be unique",
                    key=weight.name is None,
                )
            weight_names.setdefault(name, key)

    def composite_texts(self) -> list[tuple[Path_, str]]:
        """The docstring texts of the new fields, for the prose rules."""
        spec = self.spec
        texts: list[tuple[Path_, str]] = []
        for kind in ("layers", "inputs", "outputs", "call_args", "methods"):
            for name, item in (getattr(spec, kind) or {}).items():
                texts.append(((kind, name, "doc"), item.doc))
        return texts

    def _bad_name(self, path: Path_, name: str) -> bool:
        if not is_snake(name):
            self.error(path, f"`{name}` is not a snake_case name", key=True)
            return True
        if problem := identifier_problem(name):
            self.error(path, problem, key=True)
            return True
        return False

    def composite_fields(self) -> None:
        """Everything of the new fields but the bodies: classes, args expressions,
        imports, inputs, call args, modes."""
        self._imports()
        self._base()
        self._sub_layers()
        self._inputs()
        self._call_args()
        self._modes()

    def _imports(self) -> None:
        seen: dict[str, int] = {}
        for i, text in enumerate(self.spec.imports):
            path: Path_ = ("imports", i)
            parsed = parse_import(text)
            allowed = listing(ALLOWED_IMPORTS)
            if parsed is None:
                self.error(
                    path,
                    f"`{text}` is not `MODULE` or `MODULE as NAME`; modules: {allowed}",
                )
                continue
            module, alias = parsed
            if module not in ALLOWED_IMPORTS:
                hint = did_you_mean(module, ALLOWED_IMPORTS)
                extra = (
                    "; `keras` and `ops` are always imported"
                    if module.split(".")[0] == "keras"
                    else ""
                )
                self.error(
                    path,
                    f"`{module}` is not an allowed import{hint}; allowed: "
                    f"{allowed}{extra}",
                )
                continue
            name = alias or module
            if alias is not None and (
                not alias.isidentifier() or identifier_problem(alias)
            ):
                self.error(path, f"`{alias}` is not a name to import as")
            elif name in ("keras", "ops", "tf", "K") or name in self.spec.args:
                self.error(
                    path,
                    f"`{name}` is already a name of the generated module or an "
                    "argument; import it as another name",
                )
            elif name in seen:
                self.error(
                    path, f"`{name}` is already imported by `imports[{seen[name]}]`"
                )
            seen.setdefault(name, i)

    def _class_problem(self, text: str) -> str | None:
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
        self, value: Any, path: Path_, unset: Iterable[str] = ()
    ) -> None:
        """A constructor argument: a literal, or a string that is an expression of
        `__init__` (the layer's args by name, `self`, `keras`, imports, builtins);
        `unset`: the sub-layers not created yet."""
        if not isinstance(value, str):
            return
        tree = self._parse(value, path, mode="eval")
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
                self._at_node(
                    path,
                    node,
                    f"`self.{node.attr}` does not exist yet here: sub-layers are "
                    "created in order; use an earlier one",
                )
        scope = {
            *self.spec.args,
            "self",
            *TARGET_MODULES[self.spec.target],
            *import_names(self.spec),
        }
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
            self._at_node(
                path,
                node,
                f"unknown name `{node.id}`{did_you_mean(node.id, scope)}{quote}; "
                "in scope: the layer's arguments, `self`, "
                + ", ".join(
                    f"`{n}`" for n in sorted(scope - set(self.spec.args) - {"self"})
                )
                + " and builtins",
            )
        self._names_in(tree, path, scope | reported)

    def _base(self) -> None:
        spec = self.spec
        if spec.base is not None and (problem := self._class_problem(spec.base)):
            self.error(("base",), problem)
        own = ("dtype", "name", "trainable")
        if spec.base is None and spec.base_args:
            bad = [k for k in spec.base_args if k not in (*_LAYER_INIT_FLAGS, *own)]
            for key in bad:
                self.error(
                    ("base_args", key),
                    f"`keras.layers.Layer` takes no argument `{key}`"
                    f"{did_you_mean(key, _LAYER_INIT_FLAGS)}; set `base` for a base "
                    f"class that does (Layer flags: {listing(_LAYER_INIT_FLAGS)})",
                    key=True,
                )
        for key, value in spec.base_args.items():
            if key in ("dtype", "name", "trainable"):
                self.error(
                    ("base_args", key),
                    f"`{key}` comes from the layer's own `**kwargs`; leave it out",
                    key=True,
                )
                continue
            if not key.isidentifier() or keyword.iskeyword(key):
                self.error(
                    ("base_args", key),
                    f"`{key}` is not a keyword argument name",
                    key=True,
                )
                continue
            self._init_expression(value, ("base_args", key), spec.layers)

    def _sub_layers(self) -> None:
        spec = self.spec
        earlier: list[str] = []
        for name, sub in spec.layers.items():
            path: Path_ = ("layers", name)
            if problem := self._class_problem(sub.layer):
                self.error((*path, "layer"), problem)
            for key, value in sub.args.items():
                if not key.isidentifier() or keyword.iskeyword(key):
                    self.error(
                        (*path, "args", key),
                        f"`{key}` is not a keyword argument name",
                        key=True,
                    )
                    continue
                if key == "dtype":
                    self.error(
                        (*path, "args", key),
                        "`dtype=self.dtype_policy` is always passed; leave `dtype` out",
                        key=True,
                    )
                    continue
                unset = set(spec.layers) - set(earlier)
                self._init_expression(value, (*path, "args", key), unset)
            if isinstance(sub.build, str):
                build_path = (*path, "build")
                tree = self._parse(f"({sub.build},)", build_path, mode="eval")
                if tree is not None:
                    self.codes[build_path] = sub.build
                    for node in ast.walk(tree):  # columns of `sub.build` itself
                        if getattr(node, "lineno", 0) == 1 and hasattr(
                            node, "col_offset"
                        ):
                            node.col_offset = max(node.col_offset - 1, 0)
                    scope = self.shape_scope(modules=True)
                    scope |= {"self", *self.build_locals}
                    later = set(spec.layers) - set(earlier) - {name}
                    for node in ast.walk(tree):
                        if (
                            isinstance(node, ast.Attribute)
                            and isinstance(node.value, ast.Name)
                            and node.value.id == "self"
                            and node.attr in later | {name}
                        ):
                            self._at_node(
                                build_path,
                                node,
                                f"`self.{node.attr}` is built after `{name}` "
                                "(sub-layers are built in order); use an earlier one",
                            )
                    self._names_in(tree, build_path, scope)
            earlier.append(name)

    def _inputs(self) -> None:
        spec = self.spec
        if spec.inputs is None:
            if spec.input_list:
                self.error(
                    ("input_list",),
                    "`input_list: true` needs `inputs` (two or more)",
                )
            return
        if not spec.inputs:
            self.error(("inputs",), "`inputs` is empty; declare at least one input")
            return
        if spec.input_list and len(spec.inputs) < 2:
            self.error(
                ("input_list",),
                "`input_list: true` needs two or more `inputs`",
            )
        seen_optional = None
        for i, (name, decl) in enumerate(spec.inputs.items()):
            path: Path_ = ("inputs", name)
            if decl.optional and i == 0:
                self.error((*path, "optional"), "the first input cannot be optional")
            elif decl.optional and spec.input_list:
                self.error(
                    (*path, "optional"),
                    "the inputs of a list (`input_list: true`) cannot be optional",
                )
            elif decl.optional:
                seen_optional = seen_optional or name
            elif seen_optional:
                self.error(
                    path,
                    f"input `{name}` is required but comes after optional input "
                    f"`{seen_optional}`; put the optional inputs last",
                    key=True,
                )
            if decl.mask and spec.masking == "none":
                self.error(
                    (*path, "mask"),
                    "`mask: true` needs a layer that supports masks "
                    "(`masking` other than `none`)",
                )
            self._ranks(path, decl)
            if decl.dtype is not None and decl.dtype not in DTYPES:
                self.error(
                    (*path, "dtype"),
                    f"unknown dtype `{decl.dtype}`{did_you_mean(decl.dtype, DTYPES)}",
                )

    def _ranks(self, path: Path_, decl: Any) -> None:
        for key in ("ndim", "min_ndim", "max_ndim"):
            value = getattr(decl, key)
            if value is not None and value < 1:
                self.error((*path, key), f"`{key}` must be 1 or more (batch included)")
        if decl.ndim is not None and (
            decl.min_ndim is not None or decl.max_ndim is not None
        ):
            self.error(
                path, "give `ndim`, or `min_ndim`/`max_ndim`, not both", key=True
            )
        if (
            decl.min_ndim is not None
            and decl.max_ndim is not None
            and decl.min_ndim > decl.max_ndim
        ):
            self.error((*path, "max_ndim"), "`max_ndim` is below `min_ndim`")

    def _call_args(self) -> None:
        spec = self.spec
        seen_default = next(
            (n for n, d in (spec.inputs or {}).items() if d.optional), None
        )
        for name, arg in spec.call_args.items():
            path: Path_ = ("call_args", name)
            typed = call_arg_type(arg.type)
            if typed is None:
                self.error(
                    (*path, "type"),
                    f"unknown call-argument type `{arg.type}`"
                    f"{did_you_mean(arg.type, CALL_ARG_TYPES)}; types are "
                    f"{', '.join(CALL_ARG_TYPES)}, each optionally `| None`",
                )
            elif not arg.required and (
                problem := call_value_problem(typed, arg.default, default=True)
            ):
                self.error((*path, "default"), problem)
            if typed is not None and typed[0] == "tensor" and arg.required:
                self.error(
                    path,
                    f"a required tensor is an input: declare `{name}` under `inputs` "
                    "(the harness feeds inputs; a tensor call argument defaults to null)",
                    key=True,
                )
            if not arg.required:
                seen_default = seen_default or name
            elif seen_default:
                self.error(
                    path,
                    f"required call argument `{name}` (no `default`) must come "
                    f"before `{seen_default}`, which has a default",
                    key=True,
                )

    def _modes(self) -> None:
        spec = self.spec
        call = spec.call
        if spec.training == "forward":
            if call is not None and (call.training or call.inference):
                self.error(
                    ("training",),
                    "`training: forward` has one `body` (with `training` in scope to "
                    "pass on to sub-layers), not `training`/`inference` bodies",
                )
            if spec.state and spec.state_on != "every_call":
                self.error(
                    ("state",),
                    "with `training: forward` there is no training-only path to "
                    "update `state` in; set `state_on: every_call`, or `training: true`",
                    key=True,
                )
            if not spec.layers:
                self.error(
                    ("training",),
                    "`training: forward` passes `training` to sub-layers; declare "
                    "them under `layers` (or use `training: true`)",
                )
        if spec.state_on == "every_call":
            if spec.training is True:
                self.error(
                    ("state_on",),
                    "`state_on: every_call` assigns `state` after the one `body`; "
                    "it needs `training: false` or `forward`, not `true`",
                )
            if not spec.state:
                self.error(("state_on",), "`state_on: every_call` without any `state`")
        if spec.random_inference and spec.seed_generator is None:
            self.error(
                ("random_inference",),
                "`random_inference: true` needs `seed_generator` (the layer draws "
                "from `keras.random` at inference)",
            )
        if spec.outputs is not None:
            if not spec.outputs:
                self.error(("outputs",), "`outputs` is empty; declare at least one")
            if spec.output_shape != "same":
                self.error(
                    ("output_shape",),
                    "with `outputs`, give each output's `shape` instead of "
                    "`output_shape`",
                )
            if spec.call is None:
                self.error(
                    ("outputs",),
                    "a layer with `outputs` needs the `call` body that assigns them",
                    key=True,
                )
            if spec.output_dtype is not None:
                self.error(
                    ("output_dtype",),
                    "with `outputs`, give each output's `dtype` instead",
                )
            for name, out in spec.outputs.items():
                if out.dtype is not None and out.dtype not in DTYPES:
                    self.error(
                        ("outputs", name, "dtype"),
                        f"unknown dtype `{out.dtype}`{did_you_mean(out.dtype, DTYPES)}",
                    )
                if out.mask is not None and spec.masking == "none":
                    self.error(
                        ("outputs", name, "mask"),
                        "an output mask needs a layer that supports masks "
                        "(`masking` other than `none`)",
                    )

    # -- bodies -------------------------------------------------------------------------
    def assigned_outputs(self, tree: ast.AST, path: Path_, stored: set[str]) -> None:
        """A `call` body assigns what `call` returns: `outputs`, or each declared
        output."""
        spec = self.spec
        if spec.outputs:
            names = list(spec.outputs)
            returns = f"({', '.join(names)})"
            missing = [n for n in names if n not in stored]
            if missing and "outputs" in stored and "outputs" not in names:
                self.error(
                    path,
                    f"this layer returns {returns}: assign {listing(names)}, "
                    "not `outputs`",
                )
            elif missing:
                self.error(
                    path,
                    f"the body must assign {listing(missing)} (the layer returns "
                    f"{returns})",
                )
            return
        if "outputs" not in stored:
            self.error(path, "the body must assign `outputs`")
            return
        for node in ast.walk(tree):
            if not isinstance(node, ast.Assign):
                continue
            if any(isinstance(t, ast.Name) and t.id == "outputs" for t in node.targets):
                value = node.value
                if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) >= 2:
                    self._at_node(
                        path,
                        node,
                        f"the body assigns {len(value.elts)} tensors to `outputs`, but "
                        "the layer has one output; declare them under `outputs` "
                        "(one name each) and assign each name",
                    )

    def composite_bodies(self) -> None:
        """Methods, losses and output expressions (the `call` bodies are checked by
        `rules._Checker._bodies`, in `call_scope`)."""
        spec = self.spec
        for name, method in spec.methods.items():
            self._method(method.args, method.body, ("methods", name), spec.target)
        self._losses(spec.losses, ("losses",), spec.target)
        shape_scope = self.shape_scope() | {"self"}
        for name, out in (spec.outputs or {}).items():
            if out.shape != "same":
                path: Path_ = ("outputs", name, "shape")
                tree = self._parse(out.shape, path, mode="eval")
                if tree is not None:
                    self._names_in(tree, path, shape_scope)
            if out.mask is not None:
                path = ("outputs", name, "mask")
                tree = self._parse(out.mask, path, mode="eval")
                if tree is not None:
                    scope = self.call_scope() | {"self", "mask"}
                    self._names_in(tree, path, scope)
        for target, bodies in spec.targets.items():
            if target == spec.target:
                continue
            where: Path_ = ("targets", target)
            self._inherited_code(target, bodies)
            for name, method in (bodies.methods or {}).items():
                if name not in spec.methods:
                    self.error(
                        (*where, "methods", name),
                        f"`{name}` is not in the spec's `methods`"
                        f"{did_you_mean(name, spec.methods)}",
                        key=True,
                    )
                    continue
                self._method(
                    method.args, method.body, (*where, "methods", name), target
                )
            if bodies.losses is not None:
                if len(bodies.losses) != len(spec.losses):
                    self.error(
                        (*where, "losses"),
                        f"the spec has {len(spec.losses)} `losses`; give as many "
                        f"for {target} ({len(bodies.losses)} here)",
                    )
                self._losses(bodies.losses, (*where, "losses"), target)

    def _inherited_code(self, target: str, bodies: Any) -> None:
        """Methods and losses without a `targets.<target>` copy render for `target` as
        written: they must not use a module only the spec's own target has."""
        spec = self.spec
        foreign = set(TARGET_MODULES[spec.target]) - set(TARGET_MODULES[target])
        codes: list[tuple[str, str, str]] = []
        if bodies.methods is None:
            codes += [
                (f"methods.{n}", m.body, "methods") for n, m in spec.methods.items()
            ]
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
                self.error(
                    ("targets", target),
                    f"`{what}` uses {listing(used)}, which {target} code does not "
                    f"have; give `targets.{target}.{field}`",
                    key=True,
                )

    def _losses(self, losses: Iterable[str], where: Path_, target: str) -> None:
        outputs = set(self.output_names())
        for i, expr in enumerate(losses):
            path = (*where, i)
            tree = self._parse(expr, path, mode="eval")
            if tree is not None:
                scope = self.call_scope(target) | {"self", *outputs, *self.call_locals}
                self._names_in(tree, path, scope)

    def _method(self, args: str, body: str, path: Path_, target: str) -> None:
        """A helper method: its parameters parse, its body returns, and it sees its
        parameters, `self`, the target's modules and the imports."""
        try:
            header = ast.parse(f"def f(self, {args}):\n    pass\n").body[0]
        except SyntaxError as exc:
            self.error((*path, "args"), f"syntax error in the parameters: {exc.msg}")
            return
        assert isinstance(header, ast.FunctionDef)
        params = stored_names(header) - {"f"}
        body_path = (*path, "body")
        tree = self._parse(body, body_path)
        if tree is None:
            return
        if not any(isinstance(node, ast.Return) for node in ast.walk(tree)):
            self.error(body_path, "a method's body must `return` its result")
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self._at_node(
                    body_path,
                    node,
                    "imports are not allowed in a body; list the module in "
                    f"`imports` ({listing(ALLOWED_IMPORTS)})",
                )
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                self._at_node(
                    body_path, node, "global statements are not allowed in a body"
                )
        scope = {
            "self",
            *params,
            *stored_names(tree),
            *TARGET_MODULES[target],
            *import_names(self.spec),
        }
        self._names_in(tree, body_path, scope)

    # -- examples -----------------------------------------------------------------------
    def composite_example(self, i: int, example: Any) -> None:
        """The tensors and call arguments of one example."""
        spec = self.spec
        path: Path_ = ("examples", i)
        given = example.model_fields_set
        if spec.inputs:
            if example.input_shape is not None:
                self.error(
                    (*path, "input_shape"),
                    "this layer declares `inputs`; give one shape per input under "
                    f"`inputs` ({listing(spec.inputs)}) instead of `input_shape`",
                    key=True,
                )
            for key in ("min", "max", "padding", "dtype", "mask"):
                if key in given:
                    self.error(
                        (*path, key),
                        f"this layer declares `inputs`; give `{key}` per input "
                        "under `inputs`",
                        key=True,
                    )
            if example.inputs is None:
                if example.input_shape is None:
                    self.error(
                        (*path, "inputs"),
                        "missing; give one shape per input "
                        f"({listing(spec.inputs)})",
                        near=path,
                    )
            else:
                for name, decl in spec.inputs.items():
                    if name not in example.inputs and not decl.optional:
                        self.error(
                            (*path, "inputs"),
                            f"no shape for input `{name}`",
                            key=True,
                        )
                for name, tensor in example.inputs.items():
                    self._tensor_example((*path, "inputs", name), name, tensor)
        else:
            if example.inputs is not None:
                self.error(
                    (*path, "inputs"),
                    "`inputs` is for a layer that declares `inputs`; this one "
                    "takes one tensor: give `input_shape`",
                    key=True,
                )
            elif example.input_shape is None:
                self.error(
                    (*path, "input_shape"), "missing; this field is required", near=path
                )
            self._value_range(
                path, example.min, example.max, example.padding, example.dtype
            )
        for name, value in example.call_args.items():
            arg = spec.call_args.get(name)
            if arg is None:
                self.error(
                    (*path, "call_args", name),
                    f"`{name}` is not a call argument"
                    f"{did_you_mean(name, spec.call_args)}",
                    key=True,
                )
                continue
            typed = call_arg_type(arg.type)
            if typed is not None and (problem := call_value_problem(typed, value)):
                self.error((*path, "call_args", name), problem)
        for name, arg in spec.call_args.items():
            tensor = (call_arg_type(arg.type) or ("",))[0] == "tensor"
            if arg.required and name not in example.call_args and not tensor:
                self.error(
                    (*path, "call_args"),
                    f"required call argument `{name}` has no value; add it to "
                    "`call_args`",
                    near=(*path, "call_args") if "call_args" in given else path,
                )

    def _tensor_example(self, path: Path_, name: str, tensor: Any) -> None:
        spec = self.spec
        assert spec.inputs is not None
        decl = spec.inputs.get(name)
        if decl is None:
            self.error(
                path,
                f"`{name}` is not a declared input"
                f"{did_you_mean(name, spec.inputs)}",
                key=True,
            )
            return
        shape = tensor if isinstance(tensor, list) else tensor.shape
        shape_path = path if isinstance(tensor, list) else (*path, "shape")
        if not shape:
            self.error(shape_path, "the shape is empty; give the batch dimension first")
            return
        if any(d <= 0 for d in shape):
            self.error(
                shape_path,
                "dimensions must be positive, including the batch dimension first",
            )
        rank = len(shape)
        if (
            (decl.ndim is not None and rank != decl.ndim)
            or (decl.min_ndim is not None and rank < decl.min_ndim)
            or (decl.max_ndim is not None and rank > decl.max_ndim)
        ):
            want = (
                f"{decl.ndim}"
                if decl.ndim is not None
                else f"{decl.min_ndim or 1}..{decl.max_ndim or 'any'}"
            )
            self.error(
                shape_path,
                f"rank {rank} does not fit input `{name}` (rank {want})",
            )
        if isinstance(tensor, list):
            return
        dtype = tensor.dtype or decl.dtype or "float32"
        if tensor.dtype is not None and tensor.dtype not in DTYPES:
            self.error(
                (*path, "dtype"),
                f"unknown dtype `{tensor.dtype}`{did_you_mean(tensor.dtype, DTYPES)}",
            )
        if tensor.mask and spec.masking == "none":
            self.error(
                (*path, "mask"),
                "`mask: true` needs a layer that supports masks "
                "(`masking` other than `none`)",
            )
        self._value_range(path, tensor.min, tensor.max, tensor.padding, dtype)

    def _value_range(
        self,
        path: Path_,
        lo: float | None,
        hi: float | None,
        padding: float | None,
        dtype: str,
    ) -> None:
        if lo is not None and hi is not None and lo > hi:
            self.error((*path, "max"), f"`max` {hi:g} is below `min` {lo:g}")
        if dtype in INT_DTYPES or dtype == "bool":
            for key, value in (("min", lo), ("max", hi), ("padding", padding)):
                if value is not None and value != int(value):
                    self.error(
                        (*path, key),
                        f"`{key}` {value:g} is not a whole number, and the input is "
                        f"{dtype}",
                    )
        if dtype.startswith("uint") and lo is not None and lo < 0:
            self.error((*path, "min"), f"`min` {lo:g} is negative for {dtype}")


#: Keyword flags of `keras.layers.Layer.__init__` a `base_args` may set without `base`.
_LAYER_INIT_FLAGS = ("activity_regularizer", "autocast", "input_dim", "input_shape")


def call_value_problem(
    typed: tuple[str, bool], value: Any, default: bool = False
) -> str | None:
    """Why `value` is not a value of a call argument of this type."""
    base, nullable = typed
    if value is None:
        if nullable or (base == "tensor" and default):
            return None
        return f"null is not a {base}; declare the type `{base} | None`"
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
        "tensor": False,
    }[base]
    if base == "tensor":
        if default:
            return "a tensor call argument's default can only be null"
        return (
            "examples pass call arguments to `call` as they are, not as tensors; "
            "declare a tensor an example feeds under `inputs` (`optional: true`)"
        )
    if not ok:
        return f"{value!r} is not {'an' if base[0] in 'aeiou' else 'a'} {base}"
    return None
