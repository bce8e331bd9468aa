"""Read a hand-written layer class statically into spec data, or refuse it, located.

The reader walks the class the way `lint` models it (`lint.LayerClass`, `lint.Module`) and
fills the spec one field at a time, one reader per method of the class (`_init`,
`_signature`, `_build`, `_call`, ...); a construct no field can say is a refusal with its
reason and line. Issue 11's fields are read too: sub-layers (`self.x = keras.layers.X(...)`
in `__init__`, or in `build` when their arguments do not depend on the input shape, and
`self.x.build(...)`), several tensor inputs (`call(self, query, value, value_mask=None)`,
or one list unpacked at the top of `call`), call arguments with defaults, helper methods,
allow-listed imports, a `keras.layers` base class, `super().__init__` flags, `add_loss`,
variable names that differ from their attribute, state that moves on every call,
`training` forwarded to sub-layers, a mask used and passed on, and tuple returns.

Code that no field describes is kept verbatim: `call`, `compute_mask` and helper method
bodies, and the statements of `build` before its first weight, go into the spec as the
user's code.
"""

from __future__ import annotations

import ast
import builtins
import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keraslayer_gen.lint.config_keys import BASE_KEYS, returned_keys
from keraslayer_gen.lint.module import (
    Function,
    LayerClass,
    Module,
    layer_classes,
    parse_module,
    self_attr,
)
from keraslayer_gen.spec.model import ALLOWED_IMPORTS, DTYPES, KERAS_OBJECT_MODULES
from keraslayer_gen.spec.names import snake_case

#: Methods a format-1 spec generates; any other method is a helper.
_KNOWN_METHODS = {
    "__init__",
    "build",
    "call",
    "compute_output_shape",
    "compute_mask",
    "get_config",
}
#: Constructs no spec can stand for: the layer is refused for good, not "yet".
_NEVER = {
    "__call__": "it overrides `__call__`, which Keras's Layer machinery owns",
    "__new__": "it overrides `__new__`",
}
#: `keras.<module>.get(x)` in `__init__` -> the argument's type.
_GETTERS = {module: kind for kind, module in KERAS_OBJECT_MODULES.items()}
#: Docstring sections klgen writes itself from the spec.
_GENERATED_SECTIONS = ("Call arguments", "Input shape", "Output shape", "Returns")
#: Docs klgen writes itself when a spec gives none (left out of the adopted spec).
_DEFAULT_DOCS = (
    "Input tensor.",
    "Python boolean indicating whether the layer should behave in training mode or "
    "in inference mode.",
)
_RANK = re.compile(r"^(?:(?P<ndim>\d+)D|N-D) tensor\b(?:.*with N >= (?P<min>\d+))?")
_SECTION = re.compile(r"^(?P<name>[A-Z][A-Za-z ]*):\s*$")
_DEFAULTS_SUFFIX = re.compile(r"\s*Defaults to .*?\.?\s*$", re.DOTALL)
_MASK_NOTE = "The layer passes the input mask, if any, on unchanged."
_F32_CAST = re.compile(
    r"^inputs = ops\.cast\(inputs, backend\.result_type\(inputs\.dtype, ['\"]float32['\"]\)\)$"
)


#: Positional parameters of common `keras.layers` classes, to name a sub-layer's positional
#: arguments without importing Keras (Keras 3 signatures).
_POSITIONAL = {
    "Dense": ("units", "activation"),
    "EinsumDense": ("equation", "output_shape", "activation"),
    "Dropout": ("rate", "noise_shape", "seed"),
    "SpatialDropout1D": ("rate", "seed"),
    "GaussianNoise": ("stddev", "seed"),
    "GaussianDropout": ("rate", "seed"),
    "LayerNormalization": ("axis", "epsilon"),
    "BatchNormalization": ("axis", "momentum", "epsilon"),
    "GroupNormalization": ("groups", "axis", "epsilon"),
    "MultiHeadAttention": ("num_heads", "key_dim", "value_dim", "dropout"),
    "Embedding": ("input_dim", "output_dim"),
    "Activation": ("activation",),
    "Conv1D": ("filters", "kernel_size", "strides", "padding"),
    "Conv2D": ("filters", "kernel_size", "strides", "padding"),
    "Reshape": ("target_shape",),
    "Permute": ("dims",),
    "Softmax": ("axis",),
    "ReLU": ("max_value", "negative_slope", "threshold"),
}
_MISSING = object()
#: The types of common `keras.layers` constructor arguments, to type an unannotated
#: argument of the layer passed on to a sub-layer.
_SUBLAYER_ARG_TYPES = {
    "units": "int",
    "num_heads": "int",
    "key_dim": "int",
    "value_dim": "int",
    "filters": "int",
    "input_dim": "int",
    "output_dim": "int",
    "groups": "int",
    "rate": "float",
    "dropout": "float",
    "epsilon": "float",
    "momentum": "float",
    "stddev": "float",
    "use_bias": "bool",
    "center": "bool",
    "scale": "bool",
    "mask_zero": "bool",
}


@dataclass(frozen=True)
class Refusal:
    """Why a layer cannot be adopted, at a line of its file."""

    filename: str
    line: int
    class_name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}: {self.class_name}: {self.reason}"


@dataclass
class Adoption:
    """What the reader made of one class: spec data, or the reasons it refuses it."""

    class_name: str
    filename: str
    line: int
    target: str
    data: dict[str, Any] = field(default_factory=dict)
    refusals: list[Refusal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what adopting changes or assumed

    @property
    def refused(self) -> bool:
        return bool(self.refusals)


def read_file(path: Path, class_name: str | None = None) -> list[Adoption]:
    """Every layer class of the file (or the one named), read. Raises `LintError` for a
    file that cannot be read or parsed."""
    from keraslayer_gen.lint.module import LintError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LintError(f"{path}: cannot read: {exc}") from None
    return adopt_source(text, str(path), class_name)


def adopt_source(
    text: str, filename: str, class_name: str | None = None
) -> list[Adoption]:
    module = parse_module(text, filename)
    layers = layer_classes(module)
    out = [_Reader(layer, module, text).read() for layer in layers]
    out.extend(_other_keras_layers(module, {layer.name for layer in layers}, text))
    out.sort(key=lambda a: a.line)
    if class_name is not None:
        out = [a for a in out if a.class_name == class_name]
    return out


def _other_keras_layers(module: Module, found: set[str], text: str) -> list[Adoption]:
    """Classes derived from a Keras layer other than `Layer` (`Dense`, `MultiHeadAttention`,
    ...): read with that `base`, or refused, so that a folder's report names them."""
    out = []
    for node in module.tree.body:
        if not isinstance(node, ast.ClassDef) or node.name in found:
            continue
        for base in node.bases:
            name = module.canonical(base) or ""
            if name.startswith(
                ("keras.layers.", "tf_keras.layers.", "keras.src.layers.")
            ):
                if len(node.bases) == 1 and not node.keywords:
                    layer = LayerClass(node, True, [], False)
                    for item in node.body:
                        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                            layer.methods[item.name] = item
                    out.append(_Reader(layer, module, text, base=name).read())
                    break
                target = "tf-keras" if module.tf_keras else "keras3"
                adoption = Adoption(node.name, module.filename, node.lineno, target)
                adoption.refusals.append(
                    Refusal(
                        module.filename,
                        node.lineno,
                        node.name,
                        f"it derives from {ast.unparse(base)} and other classes: the "
                        "spec's `base` is one class",
                    )
                )
                out.append(adoption)
                break
    return out


def layer_names(text: str, filename: str) -> list[str]:
    return [layer.name for layer in layer_classes(parse_module(text, filename))]


# --------------------------------------------------------------------------- helpers


def _segment(lines: list[str], stmts: list[ast.stmt], start: int | None = None) -> str:
    """The source of `stmts` verbatim (comments between them included), dedented. `start`
    (a 1-based line) includes the comment lines from there on before the first one."""
    first = stmts[0].lineno
    decorators = getattr(stmts[0], "decorator_list", None)
    if decorators:
        first = min(d.lineno for d in decorators)
    if start is not None:
        first = min(first, start)
    last = max(s.end_lineno or s.lineno for s in stmts)
    chunk = lines[first - 1 : last]
    while chunk and not chunk[0].strip():
        chunk = chunk[1:]
    return textwrap.dedent("\n".join(chunk)).rstrip() + "\n"


def _is_call_to(node: ast.AST, names: tuple[str, ...]) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name in names


def _literal(node: ast.expr) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    return value


def _raises_value_error(body: list[ast.stmt]) -> bool:
    return (
        len(body) == 1
        and isinstance(body[0], ast.Raise)
        and body[0].exc is not None
        and _is_call_to(body[0].exc, ("ValueError",))
    )


class _Rename(ast.NodeVisitor):
    """The positions of every `Name` `old` (to rename the call argument to `inputs`)."""

    def __init__(self, old: str) -> None:
        self.old = old
        self.spots: list[tuple[int, int]] = []

    def visit_Name(self, node: ast.Name) -> None:
        if node.id == self.old:
            self.spots.append((node.lineno, node.col_offset))


def _rename(code: str, old: str, new: str) -> str:
    """`code` with the variable `old` renamed `new`, by position (no text search)."""
    tree = ast.parse(code)
    finder = _Rename(old)
    finder.visit(tree)
    lines = code.splitlines(keepends=True)
    for line, col in sorted(finder.spots, reverse=True):
        text = lines[line - 1]
        lines[line - 1] = text[:col] + new + text[col + len(old) :]
    return "".join(lines)


def _names_loaded(code: str) -> set[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    return {
        n.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }


def _names_stored(code: str) -> set[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    return {
        n.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


class _SelfToArg(ast.NodeTransformer):
    """In a weight dimension, `self.<arg>` is written `<arg>` in the spec."""

    def __init__(self, args: set[str]) -> None:
        self.args = args

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        attr = self_attr(node)
        if attr in self.args:
            return ast.copy_location(ast.Name(attr, ast.Load()), node)
        self.generic_visit(node)
        return node


class _ListShapes(ast.NodeTransformer):
    """`input_shape[0]` -> `first_shape` for a list of inputs `first`, ..."""

    def __init__(self, names: list[str]) -> None:
        self.names = names

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        if (
            isinstance(node.value, ast.Name)
            and node.value.id == "input_shape"
            and isinstance(node.slice, ast.Constant)
            and type(node.slice.value) is int
            and 0 <= node.slice.value < len(self.names)
        ):
            name = f"{self.names[node.slice.value]}_shape"
            return ast.copy_location(ast.Name(name, ast.Load()), node)
        return node


class _Untuple(ast.NodeTransformer):
    """`tuple(input_shape)` -> `input_shape` (the generator adds it back where needed)."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if (
            isinstance(node.func, ast.Name)
            and node.func.id == "tuple"
            and len(node.args) == 1
            and not node.keywords
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id == "input_shape"
        ):
            return node.args[0]
        return node


# --------------------------------------------------------------------------- the reader


class _Reader:
    def __init__(
        self, layer: LayerClass, module: Module, text: str, base: str | None = None
    ) -> None:
        self.layer, self.module = layer, module
        self.base = base  # a Keras layer other than Layer, canonical (`keras.layers.X`)
        self.lines = text.splitlines()
        self.target = "tf-keras" if module.tf_keras else "keras3"
        self.out = Adoption(layer.name, module.filename, layer.node.lineno, self.target)
        self.args: dict[str, dict[str, Any]] = {}
        self.weights: dict[str, dict[str, Any]] = {}
        self.state: dict[str, str] = {}
        self.supports_masking = False
        self.float32_internal = False
        self.autocast_off = False
        self.input_spec: dict[str, Any] | None = None
        self.seed_generator: str | None = None
        self.call_input: str | None = "inputs"
        self.imports: list[str] = []
        self.base_args: dict[str, Any] = {}
        self.sublayers: dict[str, dict[str, Any]] = {}
        self.helpers: dict[str, dict[str, Any]] = {}
        self.inputs: dict[str, dict[str, Any]] | None = None  # several tensor inputs
        self.input_list = False
        self.call_args: dict[str, dict[str, Any]] = {}
        self.outputs: list[str] | None = None  # several outputs
        self.output_shapes: list[str] | None = None
        self.losses: list[str] = []
        self.state_on = "training"
        self.forward_training = False

    # ---- reporting

    def refuse(self, node: ast.AST | None, reason: str) -> None:
        line = getattr(node, "lineno", self.layer.node.lineno)
        self.out.refusals.append(
            Refusal(self.module.filename, line, self.layer.name, reason)
        )

    def note(self, text: str) -> None:
        self.out.notes.append(text)

    def code(self, stmts: list[ast.stmt], start: int | None = None) -> str:
        return _segment(self.lines, stmts, start)

    # ---- the class

    def read(self) -> Adoption:
        self._class()
        if self.out.refused:
            return self.out  # the rest would only add noise to a clear refusal
        self._docstring_first()
        for reader in (
            self._init,
            self._signature,
            self._build,
            self._call,
            self._compute_mask,
            self._output_shape,
            self._get_config,
        ):
            reader()
        if not self.out.refused:
            self._assemble()
        return self.out

    def _class(self) -> None:
        node, layer = self.layer.node, self.layer
        for keyword in node.keywords:
            if keyword.arg == "metaclass":
                self.refuse(
                    keyword.value, "it sets a metaclass, which no spec can stand for"
                )
        if layer.parents or layer.unknown_bases or not layer.keras_base:
            bases = ", ".join(ast.unparse(b) for b in node.bases)
            self.refuse(
                node,
                f"it derives from {bases}: the spec's `base` is a `keras.layers` class "
                "or a layer of your package, not a class of the same file or a mixin",
            )
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if item.name in _NEVER:
                    self.refuse(item, f"cannot adopt faithfully: {_NEVER[item.name]}")
                elif item.name == "from_config" and _plain_from_config(item):
                    continue
                elif item.name == "from_config":
                    self.refuse(
                        item,
                        "`from_config` does more than `return cls(**config)`: the "
                        "generated one rebuilds the layer from its arguments",
                    )
                elif item.decorator_list:
                    self.refuse(item, f"`{item.name}` is decorated")
                elif item.name not in _KNOWN_METHODS:
                    self._helper(item)
            elif isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant):
                continue  # the docstring
            elif isinstance(item, ast.Pass):
                continue
            else:
                self.refuse(
                    item,
                    "a class-level statement (`"
                    + ast.unparse(item).splitlines()[0][:60]
                    + "`): the spec has no field for class attributes",
                )
        package = None
        for deco in node.decorator_list:
            if _is_call_to(deco, ("register_keras_serializable",)):
                for kw in deco.keywords:  # type: ignore[attr-defined]
                    if kw.arg == "package":
                        ok, value = _literal(kw.value)
                        if ok and isinstance(value, str):
                            package = value
                    elif kw.arg == "name":
                        self.refuse(deco, "it registers under another name")
                args = deco.args  # type: ignore[attr-defined]
                if args:
                    ok, value = _literal(args[0])
                    if ok and isinstance(value, str):
                        package = value
            else:
                self.refuse(
                    deco,
                    f"decorator `{ast.unparse(deco)}`: the generated class is "
                    "decorated only with register_keras_serializable",
                )
        if package is not None:
            self.out.data["package"] = package
        else:
            self.note(
                "the class was not registered; the generated one is "
                "(@keras.saving.register_keras_serializable)"
            )
        if "call" not in layer.methods:
            self.refuse(node, "it has no `call` method")
        self._module_helpers()

    def _module_helpers(self) -> None:
        """Names the class reads that the file defines beside it (functions, constants,
        other classes), and imports the generated file would not have."""
        defined: dict[str, ast.stmt] = {}
        for stmt in self.module.tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if stmt.name != self.layer.name:
                    defined[stmt.name] = stmt
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                targets = (
                    stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                )
                for t in targets:
                    if isinstance(t, ast.Name):
                        defined[t.id] = stmt
        allowed = (
            {"keras", "ops", "tf", "K", "backend", "np", "numpy"}
            if self.target == "tf-keras"
            else {"keras", "ops", "backend", *KERAS_OBJECT_MODULES.values()}
        )
        used: dict[str, ast.Name] = {}
        # `self.x = Block(...)` of a class imported from the package: a sub-layer whose
        # `layer` is the class's dotted path (the generated module imports it)
        callees = {
            id(node.value.func)
            for node in ast.walk(self.layer.node)
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and self_attr(node.targets[0]) is not None
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id in self.module.aliases
            and node.value.func.id[:1].isupper()
            and "." in self.module.aliases[node.value.func.id]
        }
        for item in self.layer.node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # names the method binds itself (arguments, assignments) are its own
                own = {a.arg for a in ast.walk(item.args) if isinstance(a, ast.arg)}
                own |= {
                    n.id
                    for n in ast.walk(item)
                    if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
                }
                for node in ast.walk(item):
                    if (
                        isinstance(node, ast.Name)
                        and isinstance(node.ctx, ast.Load)
                        and node.id not in own
                        and id(node) not in callees
                    ):
                        used.setdefault(node.id, node)
        local = {
            alias.asname or alias.name.split(".")[0]
            for node in ast.walk(self.layer.node)
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in node.names
        }
        for name, node in used.items():
            if name in local:
                continue  # imported in the method itself: it travels with the body
            if name in defined:
                self.refuse(
                    node,
                    f"it uses `{name}`, defined beside the class: the spec has no "
                    "module-level code (make it a method of the class first)",
                )
            elif name in self.module.aliases and name not in allowed:
                full = self.module.aliases[name]
                if full in ALLOWED_IMPORTS and self.target == "keras3":
                    self.imports.append(full if full == name else f"{full} as {name}")
                    continue
                if full.split(".")[0] in ("keras", "tf_keras") or full.startswith(
                    "tensorflow.keras"
                ):
                    if name in ("layers",) or full.endswith(".Layer"):
                        continue
                self.refuse(
                    node,
                    f"it uses the import `{name}` ({full}): the spec's `imports` are "
                    "`import X [as Y]` of " + ", ".join(ALLOWED_IMPORTS),
                )

    def _helper(self, item: Function) -> None:
        """A method klgen does not generate: `methods`, its body verbatim."""
        params = item.args
        if not params.args or params.args[0].arg != "self":
            self.refuse(item, f"method `{item.name}` does not take `self` first")
            return
        rest = ast.arguments(
            posonlyargs=[],
            args=params.args[1:],
            vararg=params.vararg,
            kwonlyargs=params.kwonlyargs,
            kw_defaults=params.kw_defaults,
            kwarg=params.kwarg,
            defaults=params.defaults,
        )
        if params.posonlyargs:
            self.refuse(item, f"method `{item.name}` has positional-only parameters")
            return
        body = list(item.body)
        doc = ""
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            text = ast.get_docstring(item, clean=True) or ""
            doc, _, more = text.partition("\n")
            body = body[1:]
            if more.strip():
                # the docstring's further lines stay, as comments of the body
                comment = "".join(
                    f"# {line}".rstrip() + "\n" for line in more.strip().splitlines()
                )
                self.helper_comments = getattr(self, "helper_comments", {})
                self.helper_comments[item.name] = comment
        if not body:
            self.refuse(item, f"method `{item.name}` has no statements")
            return
        code = self.code(body, self._leading(body[0]))
        code = getattr(self, "helper_comments", {}).get(item.name, "") + code
        entry: dict[str, Any] = {}
        args = ast.unparse(rest)
        if args:
            entry["args"] = args
        entry["body"] = code
        if doc:
            entry["doc"] = doc.strip()
        self.helpers[item.name] = entry

    # ---- docstring

    def _docstring_first(self) -> None:
        doc = ast.get_docstring(self.layer.node, clean=True)
        if not doc:
            self.out.data["summary"] = f"The `{self.layer.name}` layer."
            self.note("the class has no docstring; the summary is a placeholder")
            self.docs: dict[str, str] = {}
            self.call_docs: dict[str, str] = {}
            self.return_docs: dict[str, str] = {}
            self.input_ranks: dict[str, dict[str, int]] = {}
            return
        paragraphs: list[str] = []
        sections: dict[str, list[str]] = {}
        current: list[str] | None = None
        for line in doc.splitlines():
            match = _SECTION.match(line)
            if match:
                current = sections.setdefault(match.group("name"), [])
                continue
            if current is not None:
                if line and not line.startswith(" "):
                    current = None  # a paragraph after the section
                    paragraphs.append(line)
                else:
                    current.append(line)
            else:
                paragraphs.append(line)
        text = "\n".join(paragraphs).strip()
        summary, _, description = text.partition("\n\n")
        self.out.data["summary"] = " ".join(summary.split())
        description = description.strip()
        if description.endswith(_MASK_NOTE):
            description = description[: -len(_MASK_NOTE)].strip()
        if description:
            self.out.data["description"] = description + "\n"
        self.docs = _items(sections.get("Args", sections.get("Arguments", [])))
        self.call_docs = _items(sections.get("Call arguments", []))
        self.return_docs = _items(sections.get("Returns", []))
        self.input_ranks = {}
        lines = [ln.strip() for ln in sections.get("Input shape", []) if ln.strip()]
        single = _RANK.match(lines[0]) if len(lines) == 1 else None
        if single and single.group("ndim"):
            self.input_ranks[""] = {"ndim": int(single.group("ndim"))}
        elif single and single.group("min"):
            self.input_ranks[""] = {"min_ndim": int(single.group("min"))}
        for name, text in _items(
            [
                line.replace("- `", "", 1).replace("`:", ":", 1)
                for line in sections.get("Input shape", [])
            ]
        ).items():
            match = _RANK.match(text)
            if match and match.group("ndim"):
                self.input_ranks[name] = {"ndim": int(match.group("ndim"))}
            elif match and match.group("min"):
                self.input_ranks[name] = {"min_ndim": int(match.group("min"))}
        refs = sections.get("Reference", sections.get("References", []))
        references = _references(refs)
        if references:
            self.out.data["references"] = references
        dropped = [
            s
            for s in sections
            if s not in ("Args", "Arguments", "Reference", "References")
            and s not in _GENERATED_SECTIONS
        ]
        for name in dropped:
            self.note(f"the docstring's `{name}:` section is kept in the description")
            body = textwrap.dedent("\n".join(sections[name])).strip()
            extra = f"{name}:\n\n{textwrap.indent(body, '    ')}"
            desc = self.out.data.get("description", "")
            self.out.data["description"] = (desc + "\n" if desc else "") + extra + "\n"

    # ---- __init__

    def _init(self) -> None:
        init = self.layer.methods.get("__init__")
        if init is None:
            return
        a = init.args
        if a.vararg is not None:
            self.refuse(
                init, "`__init__` takes `*args`; the spec's arguments are named"
            )
        if a.kwarg is None:
            self.refuse(
                init,
                "`__init__` takes no `**kwargs`, so `name` and `dtype` cannot pass",
            )
        if a.kwonlyargs:
            self.refuse(
                a.kwonlyargs[0],
                "keyword-only arguments (after `*`) are not in the spec",
            )
        params = [*a.posonlyargs, *a.args][1:]
        defaults = [None] * (len(params) - len(a.defaults)) + list(a.defaults)
        for param, default in zip(params, defaults, strict=True):
            self._arg(param, default)
        self._init_body(init)

    def _arg(self, param: ast.arg, default: ast.expr | None) -> None:
        name = param.arg
        entry: dict[str, Any] = {}
        value: Any = None
        if default is not None:
            ok, value = _literal(default)
            if not ok:
                self.refuse(
                    default,
                    f"argument `{name}`: the default `{ast.unparse(default)}` is not "
                    "a literal (a spec's defaults are data; a `layer` argument defaults "
                    "to None)",
                )
                return
            if isinstance(value, set) or (
                isinstance(value, dict) and not all(isinstance(k, str) for k in value)
            ):
                self.refuse(
                    default,
                    f"argument `{name}`: a set or a dict with non-string keys is not "
                    "JSON-like data (`dict` arguments)",
                )
                return
        entry["_node"] = param
        entry["_value"] = value
        entry["_has_default"] = default is not None
        entry["_annotation"] = param.annotation
        self.args[name] = entry

    def _init_body(self, init: Function) -> None:
        body = list(init.body)
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            body = body[1:]
        stored: dict[str, tuple[str, ast.AST]] = {}  # arg -> how it is stored
        self._stored = stored
        super_seen = False
        for stmt in body:
            if (
                isinstance(stmt, ast.If)
                and not stmt.orelse
                and _raises_value_error(stmt.body)
            ):
                if not self._validation(stmt):
                    self.refuse(
                        stmt,
                        f"the check `if {ast.unparse(stmt.test)}: raise ValueError` "
                        "is not one the spec can say (min, max, range, choices)",
                    )
                continue
            if isinstance(stmt, ast.Expr) and _is_super_call(stmt.value, "__init__"):
                call = stmt.value
                assert isinstance(call, ast.Call)
                self._super_init(stmt, call)
                super_seen = True
                continue
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                attr = self_attr(stmt.targets[0])
                if attr is not None and self._init_assign(attr, stmt, stored):
                    continue
            self.refuse(
                stmt,
                "the `__init__` statement `"
                + ast.unparse(stmt).splitlines()[0][:70]
                + "` is not one the spec can say",
            )
        if not super_seen:
            self.refuse(init, "`__init__` does not call `super().__init__(**kwargs)`")
        for name, entry in self.args.items():
            how = stored.get(name)
            if how is None:
                self.refuse(
                    entry["_node"],
                    f"argument `{name}` is not stored as `self.{name}`: the generated "
                    "layer stores each argument under its own name",
                )
                continue
            self._type(name, entry, how[0])

    def _init_assign(
        self, attr: str, stmt: ast.Assign, stored: dict[str, tuple[str, ast.AST]]
    ) -> bool:
        value = stmt.value
        # self.x = x / self.x = <module>.get(x) / self.x = tuple(x) [if x is not None ...]
        if isinstance(value, ast.Name) and value.id == attr and attr in self.args:
            stored[attr] = ("plain", stmt)
            return True
        if (
            isinstance(value, ast.Call)
            and len(value.args) == 1
            and isinstance(value.args[0], ast.Name)
            and value.args[0].id == attr
            and attr in self.args
        ):
            func = self.module.canonical(value.func) or ""
            parts = func.split(".")
            if parts[-1] == "get" and len(parts) >= 2 and parts[-2] in _GETTERS:
                stored[attr] = (_GETTERS[parts[-2]], stmt)
                return True
            if func == "tuple":
                stored[attr] = ("tuple", stmt)
                return True
        if (
            isinstance(value, ast.IfExp)
            and attr in self.args
            and isinstance(value.body, ast.Call)
            and ast.unparse(value.body) == f"tuple({attr})"
            and ast.unparse(value.test) == f"{attr} is not None"
            and isinstance(value.orelse, ast.Constant)
            and value.orelse.value is None
        ):
            stored[attr] = ("tuple?", stmt)
            return True
        if attr == "supports_masking":
            ok, flag = _literal(value)
            if ok and isinstance(flag, bool):
                self.supports_masking = flag
                return True
        if attr == "autocast":
            ok, flag = _literal(value)
            if ok and flag is False:
                self.autocast_off = True
                return True
        if attr == "input_spec" and isinstance(value, ast.Call):
            spec = self._input_spec_call(value, in_build=False)
            if spec is not None:
                self.input_spec = spec
                return True
        if isinstance(value, ast.Call) and (
            (self.module.canonical(value.func) or "").endswith("random.SeedGenerator")
        ):
            seed = value.args[0] if value.args else None
            if attr != "seed_generator":
                self.refuse(
                    stmt,
                    f"the seed generator is `self.{attr}`; the spec names it "
                    "`self.seed_generator`",
                )
                return True
            if isinstance(seed, ast.Name) and seed.id in self.args:
                self.seed_generator = seed.id
                return True
            self.refuse(
                stmt,
                "`SeedGenerator` is seeded by something else than an `int | None` "
                "argument",
            )
            return True
        if isinstance(value, ast.Constant) and value.value is None:
            self.placeholders = getattr(self, "placeholders", set()) | {attr}
            return True  # `self.w = None` before build; checked against the weights
        if isinstance(value, ast.Call) and _is_call_to(value, ("add_weight",)):
            return self._weight(attr, value, stmt, when=None, in_build=False)
        if isinstance(value, ast.Call):
            func = self.module.canonical(value.func) or ast.unparse(value.func)
            head = func.split(".")[-1]
            if func.startswith(("keras.layers.", "tf_keras.layers.")) or (
                head in self.module.layer_names or head[:1].isupper()
            ):
                self._sublayer(attr, value, stmt, func)
                return True
        return False

    def _super_init(self, stmt: ast.stmt, call: ast.Call) -> None:
        """`super().__init__(autocast=False, **kwargs)` -> `base_args`."""
        if call.args:
            self.refuse(
                stmt,
                f"`{ast.unparse(call)}` passes positional arguments; the spec's "
                "`base_args` are keywords",
            )
            return
        spread = [kw for kw in call.keywords if kw.arg is None]
        if len(spread) != 1 or ast.unparse(spread[0].value) != "kwargs":
            self.refuse(stmt, f"`{ast.unparse(call)}` does not pass `**kwargs` on")
            return
        for kw in call.keywords:
            if kw.arg is None:
                continue
            value = self._expression(
                kw.value, stmt, f"`super().__init__({kw.arg}=...)`"
            )
            if value is _MISSING:
                return
            self.base_args[kw.arg] = value

    def _expression(self, node: ast.expr, stmt: ast.stmt, what: str) -> Any:
        """A constructor argument as the spec writes it: a number, bool or None as is,
        anything else as the text of a Python expression over the layer's arguments
        (`self.<arg>` written `<arg>`); `_MISSING` (refused) when it reads names the
        generated `__init__` does not have."""
        ok, value = _literal(node)
        if ok and (value is None or isinstance(value, (bool, int, float))):
            return value
        if ok and isinstance(value, str):
            return json.dumps(value)
        stored = getattr(self, "_stored", {})
        plain = {n for n in self.args if stored.get(n, ("plain",))[0] == "plain"}
        tree = _SelfToArg(plain).visit(ast.parse(ast.unparse(node), mode="eval"))
        text = ast.unparse(tree)
        allowed = set(self.args) | {"self", "keras", "ops", *dir(builtins)}
        unknown = sorted(
            n
            for n in _names_loaded(text)
            if n not in allowed and self.module.aliases.get(n) not in ("keras",)
        )
        if unknown:
            self.refuse(
                stmt,
                f"{what} reads {', '.join(f'`{n}`' for n in unknown)}, which the "
                "generated `__init__` does not have (only the layer's arguments, "
                "`self` and `keras`)",
            )
            return _MISSING
        return text

    def _sublayer(self, attr: str, call: ast.Call, stmt: ast.stmt, func: str) -> None:
        """`self.x = keras.layers.Dense(units, activation="relu")` -> `layers.x`."""
        if attr in self.sublayers:
            self.refuse(stmt, f"`self.{attr}` is created twice")
            return
        parts = func.split(".")
        if func.startswith(("keras.layers.", "tf_keras.layers.")) and len(parts) == 3:
            cls = parts[-1]
        elif len(parts) < 2 and parts[-1] not in self.module.layer_names:
            self.refuse(
                stmt,
                f"`self.{attr} = {parts[-1]}(...)`: `{parts[-1]}` is not imported; the "
                "spec's sub-layers are `keras.layers` classes or classes of your package",
            )
            return
        elif parts[-1] in self.module.layer_names:
            self.refuse(
                stmt,
                f"`self.{attr} = {parts[-1]}(...)`: a sub-layer of a class of the same "
                "file; the spec's sub-layers are `keras.layers` classes or classes "
                "imported from your package",
            )
            return
        else:
            cls = func
        args: dict[str, Any] = {}
        names = _POSITIONAL.get(cls, ())
        if len(call.args) > len(names):
            self.refuse(
                stmt,
                f"`self.{attr} = {parts[-1]}(...)` passes positional arguments klgen "
                "cannot name without importing Keras; write them as keywords",
            )
            return
        keywords = [(n, v) for n, v in zip(names, call.args, strict=False)]
        for kw in call.keywords:
            if kw.arg is None:
                self.refuse(stmt, f"`self.{attr} = {parts[-1]}(**...)`")
                return
            keywords.append((kw.arg, kw.value))
        for key, node in keywords:
            if key == "dtype":
                if ast.unparse(node) not in ("self.dtype_policy", "self.dtype"):
                    self.refuse(
                        node,
                        f"sub-layer `{attr}`: `dtype={ast.unparse(node)}`; the spec's "
                        "sub-layers get `dtype=self.dtype_policy`",
                    )
                    return
                continue
            value = self._expression(node, stmt, f"sub-layer `{attr}`: `{key}=`")
            if value is _MISSING:
                return
            args[key] = value
        if not any(k == "dtype" for k, _ in keywords):
            self.note(
                f"sub-layer `{attr}` gets `dtype=self.dtype_policy` in the generated "
                "layer (it follows the layer's dtype policy)"
            )
        entry: dict[str, Any] = {"layer": cls}
        if args:
            entry["args"] = args
        entry["_line"] = stmt.lineno
        self.sublayers[attr] = entry

    def _validation(self, stmt: ast.If) -> bool:
        test = stmt.test
        guard = None
        if (
            isinstance(test, ast.BoolOp)
            and isinstance(test.op, ast.And)
            and len(test.values) == 2
            and isinstance(test.values[0], ast.Compare)
            and ast.unparse(test.values[0]).endswith(" is not None")
        ):
            guard = ast.unparse(test.values[0])[: -len(" is not None")]
            test = test.values[1]
        found = _bounds(test)
        if found is None:
            return False
        name, bounds = found
        if name not in self.args or (guard is not None and guard != name):
            return False
        entry = self.args[name]
        for key, value in bounds.items():
            if key == "_int":
                entry["_int"] = True
            elif key in entry:
                return False
            else:
                entry[key] = value
        return True

    def _type(self, name: str, entry: dict[str, Any], how: str) -> None:
        value, has_default = entry["_value"], entry["_has_default"]
        nullable = has_default and value is None
        base: str | None = None
        if how in _GETTERS.values():
            base = how
            nullable = nullable or (has_default and value is None)
        elif how in ("tuple", "tuple?"):
            items = list(value) if isinstance(value, (list, tuple)) else []
            base = "shape" if (how == "tuple?" or None in items) else "ints"
            nullable = how == "tuple?"
        else:
            base = _annotation_type(entry["_annotation"])
            if base is None and has_default and value is not None:
                base = {
                    bool: "bool",
                    int: "int",
                    float: "float",
                    str: "str",
                    dict: "dict",
                }.get(type(value))
            if base is None and entry.get("_int"):
                base = "int"
            if base is None and ("min" in entry or "max" in entry or "range" in entry):
                base = "float"
            if base is None and "choices" in entry:
                kinds = {type(c) for c in entry["choices"]}
                only = kinds.pop() if len(kinds) == 1 else None
                base = {str: "str", int: "int", float: "float"}.get(only)  # type: ignore[arg-type]
            if base is None and name == self.seed_generator:
                base = "int"
            if base is None and not (has_default and value is not None):
                base = self._type_from_use(name)
            if base == "int" and entry.get("_float_bounds"):
                base = "float"
        if base is None:
            self.refuse(
                entry["_node"],
                f"argument `{name}`: cannot tell its type (annotate it, e.g. "
                f"`{name}: int | None = None`)",
            )
            return
        if entry.get("_int") and base != "int":
            self.refuse(entry["_node"], f"argument `{name}`: checked as an int")
            return
        if (
            entry.get("_int")
            and "min" not in entry
            and "max" not in entry
            and ("range" not in entry)
        ):
            self.refuse(
                entry["_node"],
                f"argument `{name}`: an `isinstance` check without bounds is not one "
                "the spec can say",
            )
            return
        if base == "int" and isinstance(entry.get("range"), str):
            # `x <= 0` on an int is `min: 1`: the same values, in the spec's plainer words
            match = re.match(r"^\((-?\d+), inf\)$|^\(-inf, (-?\d+)\)$", entry["range"])
            if match and match.group(1) is not None and "min" not in entry:
                entry["min"] = int(match.group(1)) + 1
                del entry["range"]
            elif match and match.group(2) is not None and "max" not in entry:
                entry["max"] = int(match.group(2)) - 1
                del entry["range"]
        if (
            base == "int"
            and not entry.get("_int")
            and any(k in entry for k in ("min", "max", "range"))
        ):
            self.note(
                f"argument `{name}`: the generated check also requires an int "
                "(`isinstance`), as Keras's own layers do"
            )
        spec: dict[str, Any] = {"type": base + (" | None" if nullable else "")}
        if has_default:
            spec["default"] = _json_value(value)
        for key in ("min", "max", "range", "choices"):
            if key in entry:
                spec[key] = entry[key]
        doc = self.docs.get(name, "")
        doc = _DEFAULTS_SUFFIX.sub("", doc).strip() if "Defaults to" in doc else doc
        if doc == f"The `{name}` argument.":
            doc = ""
        if doc:
            spec["doc"] = doc
        entry["spec"] = spec

    def _type_from_use(self, name: str) -> str | None:
        """An unannotated argument's type from what it is given to: a sub-layer's
        argument of a known type (`units`, `num_heads`, `rate`, ...), or a dimension of a
        weight's shape (an int)."""
        kinds = {
            _SUBLAYER_ARG_TYPES[key]
            for entry in self.sublayers.values()
            for key, value in entry.get("args", {}).items()
            if value == name and key in _SUBLAYER_ARG_TYPES
        }
        build = self.layer.methods.get("build")
        for node in ast.walk(build) if build is not None else ():
            if _is_call_to(node, ("add_weight",)):
                assert isinstance(node, ast.Call)
                for kw in node.keywords:
                    if kw.arg == "shape" and isinstance(
                        kw.value, (ast.Tuple, ast.List)
                    ):
                        for dim in kw.value.elts:
                            if (
                                isinstance(dim, ast.Name) and dim.id == name
                            ) or self_attr(dim) == name:
                                kinds.add("int")
        return kinds.pop() if len(kinds) == 1 else None

    def _input_spec_call(
        self, call: ast.Call, *, in_build: bool
    ) -> dict[str, Any] | None:
        name = self.module.canonical(call.func) or ""
        if not name.endswith("InputSpec") or call.args:
            return None
        spec: dict[str, Any] = {}
        for kw in call.keywords:
            if kw.arg in ("ndim", "min_ndim", "max_ndim"):
                ok, value = _literal(kw.value)
                if not ok or not isinstance(value, int):
                    return None
                spec[kw.arg] = value
            elif kw.arg == "axes" and in_build:
                spec["axes"] = kw.value
            else:
                return None
        return spec

    # ---- weights

    def _weight(
        self,
        attr: str,
        call: ast.Call,
        stmt: ast.stmt,
        *,
        when: str | None,
        in_build: bool,
    ) -> bool:
        if call.args:
            self.refuse(
                call,
                f"`self.{attr} = self.add_weight(...)` passes positional arguments; "
                "write them as keywords (their order differs between Keras versions)",
            )
            return True
        if attr in self.weights:
            self.refuse(stmt, f"`self.{attr}` is created twice")
            return True
        weight: dict[str, Any] = {}
        args = set(self.args)
        for kw in call.keywords:
            key, value = kw.arg, kw.value
            if key is None:
                self.refuse(
                    call, "`add_weight(**...)`: the weight's fields are unknown"
                )
                return True
            if key == "name":
                ok, name = _literal(value)
                if not ok:
                    self.refuse(
                        value,
                        f"weight `self.{attr}`: a dynamic name `{ast.unparse(value)}`",
                    )
                    return True
                if name != attr:
                    if not isinstance(name, str) or not re.match(
                        r"^[a-z_][a-z0-9_]*$", name
                    ):
                        self.refuse(
                            value,
                            f"weight `self.{attr}` is named {name!r}: the spec's "
                            "weight `name` is snake_case",
                        )
                        return True
                    weight["name"] = name
            elif key == "shape":
                dims = self._shape(value, args)
                if dims is None:
                    return True
                weight["shape"] = dims
            elif key in ("initializer", "regularizer", "constraint"):
                ref = self._keras_object(value, args)
                if ref is None:
                    self.refuse(
                        value,
                        f"weight `{attr}`: the {key} `{ast.unparse(value)}` is neither "
                        "an identifier string nor an argument",
                    )
                    return True
                weight[key] = ref
            elif key in ("trainable", "autocast", "experimental_autocast"):
                ok, flag = _literal(value)
                if not ok or not isinstance(flag, bool):
                    self.refuse(value, f"weight `{attr}`: `{key}` is not True or False")
                    return True
                if key == "trainable" and flag:
                    continue  # the default
                weight["autocast" if key != "trainable" else key] = flag
            elif key == "dtype":
                if ast.unparse(value) == "self.variable_dtype":
                    continue  # the default: the layer's variable dtype
                ok, dtype = _literal(value)
                if not ok or dtype not in DTYPES:
                    self.refuse(value, f"weight `{attr}`: the dtype is not a constant")
                    return True
                weight["dtype"] = dtype
            elif key == "aggregation":
                text = ast.unparse(value)
                ok, agg = _literal(value)
                if not ok:
                    agg = text.rsplit(".", 1)[-1].lower()
                if agg not in ("none", "mean", "sum", "only_first_replica"):
                    self.refuse(value, f"weight `{attr}`: aggregation `{text}`")
                    return True
                weight["aggregation"] = agg
            else:
                self.refuse(kw, f"weight `{attr}`: `{key}=` is not a spec field")
                return True
        if "shape" not in weight:
            self.refuse(call, f"weight `{attr}` has no `shape=`")
            return True
        if not in_build and any(
            isinstance(d, str) and "input_shape" in d for d in weight["shape"]
        ):
            return False
        if "name" not in {kw.arg for kw in call.keywords}:
            self.note(f'weight `{attr}` is unnamed; the generated one is name="{attr}"')
        if when:
            weight["when"] = when
        weight["_line"] = stmt.lineno
        self.weights[attr] = weight
        if not in_build:
            self.note(
                f"weight `{attr}` was created in `__init__`; the generated layer "
                "creates it in `build`"
            )
        return True

    def _shape(self, node: ast.expr, args: set[str]) -> list[Any] | None:
        if not isinstance(node, (ast.Tuple, ast.List)):
            self.refuse(
                node,
                f"the weight shape `{ast.unparse(node)}` is not a tuple of dimensions",
            )
            return None
        dims: list[Any] = []
        for elt in node.elts:
            if isinstance(elt, ast.Starred):
                self.refuse(elt, "a starred weight dimension")
                return None
            if isinstance(elt, ast.Constant) and type(elt.value) is int:
                dims.append(elt.value)
                continue
            tree = _SelfToArg(args).visit(ast.parse(ast.unparse(elt), mode="eval"))
            dims.append(ast.unparse(tree))
        return dims

    def _keras_object(self, node: ast.expr, args: set[str]) -> str | None:
        attr = self_attr(node)
        if attr in args:
            return attr
        ok, value = _literal(node)
        if ok and isinstance(value, str):
            return value
        if isinstance(node, ast.Call) and not node.args and not node.keywords:
            name = self.module.canonical(node.func) or ""
            if name.split(".")[-2:-1] and name.split(".")[-2] in (
                "initializers",
                "regularizers",
                "constraints",
            ):
                return snake_case(name.split(".")[-1])
        return None

    # ---- build

    def _build(self) -> None:
        build = self.layer.methods.get("build")
        if build is None:
            self._placeholders_ok()
            return
        params = [a.arg for a in build.args.args]
        names = self._shape_names()
        if len(params) != len(names) + 1:
            self.refuse(
                build,
                f"`build` takes {len(params) - 1} shapes; `call` takes {len(names)} "
                "tensors",
            )
            return
        body = list(build.body)
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            body = body[1:]
        if params[1:] != names:
            wrong = [p for p, n in zip(params[1:], names, strict=True) if p != n]
            self.refuse(
                build,
                f"`build` names its argument `{wrong[0]}`, not "
                f"`{names[params[1:].index(wrong[0])]}` (as Keras passes it)",
            )
            return
        prelude: list[ast.stmt] = []
        seen_weight = False
        if (
            self.input_list
            and self.inputs
            and body
            and ast.unparse(body[0])
            == ", ".join(f"{n}_shape" for n in self.inputs) + " = input_shape"
        ):
            body = body[1:]  # the generated `build` unpacks the shapes itself
        for stmt in body:
            if self._build_statement(stmt):
                seen_weight = seen_weight or _creates_weight(stmt)
                continue
            if seen_weight:
                self.refuse(
                    stmt,
                    "a `build` statement after the weights (`"
                    + ast.unparse(stmt).splitlines()[0][:60]
                    + "`) is not one the spec can say",
                )
                continue
            prelude.append(stmt)
        if prelude:
            code = self.code(prelude)
            if any(_writes_self(s) for s in prelude):
                self.refuse(
                    prelude[0],
                    "the `build` statements before the weights set attributes of "
                    "`self`; the spec's `build` only validates and names dimensions",
                )
            else:
                self.build_code = code
        self._placeholders_ok()

    def _placeholders_ok(self) -> None:
        for attr in sorted(getattr(self, "placeholders", set())):
            if attr not in self.weights and attr not in self.sublayers:
                self.refuse(
                    self.layer.methods.get("__init__"),
                    f"`self.{attr} = None` in `__init__` is not a weight",
                )

    def _build_statement(self, stmt: ast.stmt) -> bool:
        if isinstance(stmt, ast.Expr) and _is_super_call(stmt.value, "build"):
            return True
        if (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Attribute)
            and stmt.value.func.attr == "build"
            and self_attr(stmt.value.func.value) in self.sublayers
            and not stmt.value.keywords
        ):
            attr = self_attr(stmt.value.func.value)
            assert attr is not None
            entry = self.sublayers[attr]
            if "build" in entry:
                self.refuse(stmt, f"sub-layer `{attr}` is built twice")
                return True
            args = ", ".join(self._text(a) for a in stmt.value.args)
            entry["build"] = args
            return True
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and self_attr(stmt.targets[0]) is not None
            and isinstance(stmt.value, ast.Call)
            and not _is_call_to(stmt.value, ("add_weight", "InputSpec"))
            and self_attr(stmt.targets[0]) != "input_spec"
        ):
            attr = self_attr(stmt.targets[0])
            func = self.module.canonical(stmt.value.func) or ast.unparse(
                stmt.value.func
            )
            head = func.split(".")[-1]
            if attr and (
                func.startswith(("keras.layers.", "tf_keras.layers."))
                or (head in self.module.layer_names or head[:1].isupper())
            ):
                before = len(self.out.refusals)
                self._sublayer(attr, stmt.value, stmt, func)
                if len(self.out.refusals) == before:
                    self.note(
                        f"sub-layer `{attr}` was created in `build`; the generated "
                        "layer creates it in `__init__` (its arguments do not depend on "
                        "the input shape)"
                    )
                return True
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            attr = self_attr(target)
            if attr == "built":
                return True
            if attr == "input_spec" and isinstance(stmt.value, ast.Call):
                spec = self._input_spec_call(stmt.value, in_build=True)
                if spec is not None:
                    self.build_input_spec = spec
                    return True
            if attr is not None and _is_call_to(stmt.value, ("add_weight",)):
                assert isinstance(stmt.value, ast.Call)
                return self._weight(attr, stmt.value, stmt, when=None, in_build=True)
            if (
                isinstance(target, ast.Name)
                and target.id == "input_shape"
                and ast.unparse(stmt.value) == "tf.TensorShape(input_shape)"
                and self.target == "tf-keras"
            ):
                return True
        if isinstance(stmt, ast.If):
            flag = self_attr(stmt.test)
            if flag in self.args and len(stmt.body) == 1:
                inner = stmt.body[0]
                if (
                    isinstance(inner, ast.Assign)
                    and len(inner.targets) == 1
                    and self_attr(inner.targets[0]) is not None
                    and _is_call_to(inner.value, ("add_weight",))
                ):
                    attr = self_attr(inner.targets[0])
                    assert attr is not None and isinstance(inner.value, ast.Call)
                    orelse_ok = not stmt.orelse or (
                        len(stmt.orelse) == 1
                        and isinstance(stmt.orelse[0], ast.Assign)
                        and self_attr(stmt.orelse[0].targets[0]) == attr
                        and isinstance(stmt.orelse[0].value, ast.Constant)
                        and stmt.orelse[0].value.value is None
                    )
                    if orelse_ok:
                        if not stmt.orelse and attr not in getattr(
                            self, "placeholders", set()
                        ):
                            self.note(
                                f"`self.{attr}` is None when `{flag}` is false in the "
                                "generated layer (it was not set at all)"
                            )
                        self.bool_flags = getattr(self, "bool_flags", set()) | {flag}
                        return self._weight(
                            attr, inner.value, inner, when=flag, in_build=True
                        )
        if _has_loop_weight(stmt):
            self.refuse(
                stmt,
                "weights created in a loop (dynamic `add_weight` names): the spec "
                "lists each weight by name",
            )
            return True
        return False

    # ---- call

    def _signature(self) -> None:
        """`call`'s parameters: the tensor inputs (several, or a list unpacked at the
        top of the body), their masks, `training`, and the other call arguments."""
        call = self.layer.methods.get("call")
        if call is None:
            return
        a = call.args
        params = [p.arg for p in a.args][1:]
        nodes = {p.arg: p for p in a.args}
        defaults = dict(
            zip(params[len(params) - len(a.defaults) :], a.defaults, strict=True)
        )
        if a.vararg or a.kwarg or a.kwonlyargs:
            self.refuse(call, "`call` takes `*args`, `**kwargs` or keyword-only ones")
            return
        if not params:
            self.refuse(call, "`call` takes no input")
            return
        tensors = [p for p in params if p not in defaults and p != "training"]
        if not tensors or tensors[0] != params[0]:
            self.refuse(call, "`call`'s first parameter has a default")
            return
        self.call_input = params[0]
        self.call_training = "training" in params
        self.call_mask = "mask" in params
        masks = {f"{t}_mask": t for t in tensors}
        for name in ("training", "mask"):
            if name in params:
                default = defaults.get(name)
                if not (isinstance(default, ast.Constant) and default.value is None):
                    self.refuse(
                        call,
                        f"`call` has `{name}` without the default None: the spec's "
                        f"`{name}` defaults to None, as Keras fills it in",
                    )
        if len(tensors) > 1:
            if self.call_mask:
                self.refuse(
                    call,
                    "`call` takes several tensors and `mask`: Keras fills in "
                    "`<input>_mask` for each of several tensor arguments, not `mask`",
                )
            self.inputs = {t: {} for t in tensors}
            self.call_input = None
        for name in params[1:]:
            if name in tensors or name in ("training", "mask"):
                continue
            if name in masks and len(tensors) > 1:
                default = defaults.get(name)
                if not (isinstance(default, ast.Constant) and default.value is None):
                    self.refuse(call, f"`call` has `{name}` without the default None")
                    continue
                assert self.inputs is not None
                self.inputs[masks[name]]["mask"] = True
                continue
            self._call_arg(name, nodes[name], defaults[name])
        if self.inputs is None:
            self._input_list(call)
        if self.inputs is None and params[0] != "inputs":
            if params[0] in self.call_docs:
                # a documented name is the layer's API: callers may pass it by keyword
                self.inputs = {params[0]: {}}
                self.call_input = None
            else:
                self.note(
                    f"`call`'s input `{params[0]}` is named `inputs` in the generated "
                    "layer"
                )

    def _shape_names(self) -> list[str]:
        """What `build` and `compute_output_shape` receive, as Keras passes them."""
        if self.inputs and len(self.inputs) > 1 and not self.input_list:
            return [f"{n}_shape" for n in self.inputs]
        return ["input_shape"]

    def _call_arg(self, name: str, param: ast.arg, default: ast.expr) -> None:
        ok, value = _literal(default)
        if not ok or isinstance(value, (dict, list, tuple, set)):
            self.refuse(
                default,
                f"call argument `{name}`: the default `{ast.unparse(default)}` is not "
                "a number, bool, string or None",
            )
            return
        kind = _annotation_type(param.annotation)
        if kind is None and param.annotation is not None:
            text = ast.unparse(param.annotation)
            if "Tensor" in text or "Array" in text:
                kind = "tensor"
        if kind is None and value is not None:
            kind = {bool: "bool", int: "int", float: "float", str: "str"}[type(value)]
        if kind is None:
            kind = "tensor"  # `attention_mask=None`: a tensor or nothing
        entry: dict[str, Any] = {"type": kind + (" | None" if value is None else "")}
        entry["default"] = value
        self.call_args[name] = entry

    def _input_list(self, call: Function) -> None:
        """`call(self, inputs)` whose body starts by unpacking `a, b = inputs`."""
        body = [
            s
            for s in call.body
            if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        ]
        if not body or not isinstance(body[0], ast.Assign):
            return
        stmt = body[0]
        target = stmt.targets[0]
        if (
            len(stmt.targets) == 1
            and isinstance(target, (ast.Tuple, ast.List))
            and len(target.elts) >= 2
            and all(isinstance(e, ast.Name) for e in target.elts)
            and isinstance(stmt.value, ast.Name)
            and stmt.value.id == self.call_input
        ):
            names = [e.id for e in target.elts]  # type: ignore[attr-defined]
            self.inputs = {n: ({"mask": True} if self.call_mask else {}) for n in names}
            self.input_list = True
            self.unpack_stmt = stmt

    def _call(self) -> None:
        call = self.layer.methods.get("call")
        if call is None or self.out.refused:
            return
        body = list(call.body)
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            body = body[1:]
        unpack = getattr(self, "unpack_stmt", None)
        if unpack is not None:
            body = [s for s in body if s is not unpack]
        if not body:
            self.refuse(call, "`call` has an empty body")
            return
        self.call_node = call
        self._call_body(call, body)

    def _call_body(self, call: Function, body: list[ast.stmt]) -> None:
        # float32_internal: the cast in, and the cast of the outputs back, as generated.
        if (
            self.target == "keras3"
            and self.autocast_off
            and _F32_CAST.match(ast.unparse(body[0]))
            and isinstance(body[-1], ast.Return)
            and body[-1].value is not None
            and ast.unparse(body[-1].value) == "ops.cast(outputs, self.compute_dtype)"
        ):
            self.float32_internal = True
            body = body[1:-1] + [ast.Return(ast.Name("outputs", ast.Load()))]
            ast.copy_location(body[-1], call.body[-1])
            body[-1].end_lineno = body[-1].lineno
        elif (
            self.target == "tf-keras"
            and len(body) >= 3
            and ast.unparse(body[0]) == "input_dtype = inputs.dtype"
            and ast.unparse(body[1]) == "if input_dtype in (tf.float16, tf.bfloat16):\n"
            "    inputs = tf.cast(inputs, tf.float32)"
            and isinstance(body[-1], ast.Return)
            and body[-1].value is not None
            and ast.unparse(body[-1].value) == "tf.cast(outputs, input_dtype)"
        ):
            self.float32_internal = True  # tf-keras's spelling of the same casts
            ret = ast.Return(ast.Name("outputs", ast.Load()))
            ast.copy_location(ret, body[-1])
            ret.end_lineno = ret.lineno
            body = body[2:-1] + [ret]
        elif self.autocast_off:
            self.refuse(
                call,
                "`self.autocast = False` without klgen's float32 casts in `call`: "
                "the spec's `float32_internal` writes both",
            )
            return
        split = self._training_split(body) if self.call_training else None
        if self.call_training and split is None:
            if not self.sublayers:
                self.refuse(
                    call,
                    "`call` takes `training` but does not branch on `if training:` (or "
                    "K.in_train_phase) at its top level, nor has sub-layers to pass it "
                    "to; the spec's `training` split needs one",
                )
                return
            self.forward_training = True
        if split is None:
            body = self._take_losses(body)
            if any(self._update(n) is not None for st in body for n in ast.walk(st)):
                kept = self._take_state(body, [])
                if kept is None:
                    return
                body = kept
                self.state_on = "every_call"
            code = self._tail_code(body)
            if code is not None:
                self.bodies = {"body": code}
            return
        before, train, infer, after = split
        train_code = self._branch(before, train, after, training=True)
        infer_code = self._branch(before, infer, after, training=False)
        if train_code is not None and infer_code is not None:
            self.bodies = {"training": train_code, "inference": infer_code}

    def _take_losses(self, body: list[ast.stmt]) -> list[ast.stmt]:
        """`self.add_loss(X)` statements of the body's top level -> `losses`."""
        kept = []
        for stmt in body:
            if (
                isinstance(stmt, ast.Expr)
                and isinstance(stmt.value, ast.Call)
                and isinstance(stmt.value.func, ast.Attribute)
                and self_attr(stmt.value.func) == "add_loss"
                and len(stmt.value.args) == 1
                and not stmt.value.keywords
            ):
                self.losses.append(self._text(stmt.value.args[0]))
                continue
            kept.append(stmt)
        return kept

    def _training_split(
        self, body: list[ast.stmt]
    ) -> tuple[list[ast.stmt], list[ast.stmt], list[ast.stmt], list[ast.stmt]] | None:
        for i, stmt in enumerate(body):
            if isinstance(stmt, ast.If) and ast.unparse(stmt.test) in (
                "training",
                "not training",
            ):
                before, after = body[:i], body[i + 1 :]
                yes, no = stmt.body, stmt.orelse
                if ast.unparse(stmt.test) == "not training":
                    yes, no = no, yes
                if not no:
                    no = []
                return before, yes, no, after
            if self.target == "tf-keras":
                found = self._in_train_phase(body, i, stmt)
                if found is not None:
                    return found
        return None

    def _in_train_phase(
        self, body: list[ast.stmt], i: int, stmt: ast.stmt
    ) -> tuple[list[ast.stmt], list[ast.stmt], list[ast.stmt], list[ast.stmt]] | None:
        """`outputs = K.in_train_phase(train_fn, infer_fn, training=training)` with the
        two functions defined just before it in `call`."""
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            target_name = "outputs"
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            if not isinstance(stmt.targets[0], ast.Name):
                return None
            target_name = stmt.targets[0].id
        else:
            return None
        if not (
            isinstance(stmt.value, ast.Call)
            and (self.module.canonical(stmt.value.func) or "").endswith(
                "in_train_phase"
            )
            and len(stmt.value.args) >= 2
        ):
            return None
        fns = {
            s.name: s
            for s in body[:i]
            if isinstance(s, ast.FunctionDef) and not s.args.args
        }
        picked = []
        for arg in stmt.value.args[:2]:
            if isinstance(arg, ast.Name) and arg.id in fns:
                picked.append(fns[arg.id].body)
            elif isinstance(arg, ast.Lambda):
                ret = ast.Return(arg.body)
                ast.copy_location(ret, arg.body)
                ret.end_lineno = arg.body.end_lineno
                picked.append([ret])
            else:
                return None
        before = [
            s
            for s in body[:i]
            if not (isinstance(s, ast.FunctionDef) and s.name in fns)
        ]
        after = body[i + 1 :]
        if target_name != "outputs":
            self.rename_outputs = target_name
        return before, picked[0], picked[1], after

    def _branch(
        self,
        before: list[ast.stmt],
        branch: list[ast.stmt],
        after: list[ast.stmt],
        *,
        training: bool,
    ) -> str | None:
        stmts = [*before, *branch]
        if training:
            kept = self._take_state(stmts, after)
            if kept is None:
                return None
            stmts = kept
        else:
            self._state_outside(stmts)
        ends = bool(stmts) and _always_returns(stmts[-1])
        if not ends:
            stmts = [*stmts, *after]
        elif after:
            pass  # the code after the branch is not reached on this path
        if not stmts:
            self.refuse(
                self.call_node,
                f"the {'training' if training else 'inference'} path of `call` is empty",
            )
            return None
        return self._tail_code(stmts)

    def _take_state(
        self, stmts: list[ast.stmt], after: list[ast.stmt]
    ) -> list[ast.stmt] | None:
        """The training statements without the state updates at their end (before the
        final return), recorded into `self.state`."""
        tail: list[ast.stmt] = []
        if stmts and isinstance(stmts[-1], ast.Return):
            tail = [stmts[-1]]
            stmts = stmts[:-1]
        updates: dict[str, str] = {}
        while stmts:
            update = self._update(stmts[-1])
            if update is None:
                break
            weight, expr = update
            updates = {weight: expr, **updates}
            stmts = stmts[:-1]
        for stmt in stmts:
            for node in ast.walk(stmt):
                if self._update(node) is not None:
                    self.refuse(
                        node,
                        "a state update before the end of the training path: the spec "
                        "assigns `state` after the training body, so later statements "
                        "would read another value",
                    )
                    return None
        if tail:
            ret = tail[0]
            assert isinstance(ret, ast.Return)
            reads = {self_attr(n) for n in ast.walk(ret)}
            if reads & set(updates):
                self.refuse(
                    ret,
                    "the training output reads a weight after its update; the spec "
                    "computes the output before the state",
                )
                return None
        self.state.update(updates)
        return [*stmts, *tail]

    def _update(self, node: ast.AST) -> tuple[str, str] | None:
        """`(weight, spec expression)` for a state update statement or call."""
        if isinstance(node, ast.Expr):
            node = node.value
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "add_update"
            and self_attr(func) == "add_update"
            and node.args
        ):
            from keraslayer_gen.spec.updates import updated_weight

            text = self._text(node.args[0])
            weight = updated_weight(text)
            if weight is None:
                return None
            return weight, " ".join(text.split())
        if isinstance(func, ast.Attribute) and func.attr in (
            "assign",
            "assign_add",
            "assign_sub",
        ):
            weight = self_attr(func.value)
            if weight is None or not node.args:
                return None
            value = self._text(node.args[0])
            if self.target == "tf-keras":
                return weight, self._text(node)
            if func.attr == "assign":
                return weight, value
            op = "+" if func.attr == "assign_add" else "-"
            return weight, f"self.{weight} {op} {_paren(value)}"
        return None

    def _text(self, node: ast.AST) -> str:
        segment = ast.get_source_segment("\n".join(self.lines), node)
        text = segment if segment is not None else ast.unparse(node)
        return (
            " ".join(line.strip() for line in text.splitlines())
            .replace("( ", "(")
            .replace(" )", ")")
        )

    def _state_outside(self, stmts: list[ast.stmt]) -> None:
        for stmt in stmts:
            for node in ast.walk(stmt):
                if self._update(node) is not None:
                    self.refuse(
                        node,
                        "a state update in the inference path of a `training` split: "
                        "the spec's `state` moves in training only, or on every call "
                        "with one body (`state_on: every_call`)",
                    )
                    return

    def _tail_code(self, stmts: list[ast.stmt], result: str = "outputs") -> str | None:
        """The statements as a spec body: each `return X` in tail position becomes
        `outputs = X`; a guard `if C: ... return X` before more code becomes `if C: ...
        else: <the rest>`."""
        allowed = _tail_returns(stmts)
        for stmt in stmts:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Return) and node not in allowed:
                    self.refuse(
                        node,
                        "an early `return` in `call` (not in tail position): the "
                        "spec's body assigns `outputs` and runs to its end",
                    )
                    return None
                if isinstance(node, (ast.Yield, ast.YieldFrom)):
                    self.refuse(node, "`call` is a generator")
                    return None
        if result == "outputs":
            several = self._several_outputs(allowed)
            if several is False:
                return None
            if isinstance(several, list):
                result = ", ".join(several)
        code = self._convert(stmts, result)
        if self.call_input is not None and self.call_input != "inputs":
            if "inputs" in _names_loaded(code):
                self.refuse(
                    self.call_node,
                    f"`call` names its input `{self.call_input}` and also uses "
                    "`inputs`",
                )
                return None
            code = _rename(code, self.call_input, "inputs")
        rename = getattr(self, "rename_outputs", None)
        if rename:
            code = _rename(code, rename, "outputs")
        if self.outputs and result != "output_mask":
            missing = [n for n in self.outputs if n not in _names_stored(code)]
            if missing:
                self.refuse(self.call_node, f"`{missing[0]}` is never assigned")
                return None
        elif result not in code:
            self.refuse(self.call_node, f"`{result}` is never assigned")
            return None
        return code

    def _several_outputs(self, returns: set[ast.Return]) -> list[str] | None | bool:
        """The output names when `call` returns a tuple (the names it returns, else
        `output_1`, ...); None for one output; False (refused) for returns that differ.
        """
        sizes = {
            len(r.value.elts) if isinstance(r.value, ast.Tuple) else 1 for r in returns
        }
        if sizes in (set(), {1}):
            return None
        if len(sizes) > 1:
            first = min(returns, key=lambda r: r.lineno)
            self.refuse(first, "`call` returns tuples of different lengths")
            return False
        if self.outputs:
            return self.outputs
        first = min(returns, key=lambda r: r.lineno)
        assert isinstance(first.value, ast.Tuple)
        taken = {
            *self.args,
            *(self.inputs or {}),
            *self.call_args,
            "inputs",
            "mask",
            "training",
            "self",
        }
        names = [e.id if isinstance(e, ast.Name) else "" for e in first.value.elts]
        if any(
            not n or n in taken or not re.match(r"^[a-z_][a-z0-9_]*$", n) for n in names
        ) or len(set(names)) != len(names):
            names = [f"output_{i}" for i in range(1, len(names) + 1)]
        self.outputs = names
        return names

    def _convert(self, stmts: list[ast.stmt], result: str) -> str:
        parts: list[str] = []
        for i, stmt in enumerate(stmts):
            if i and any(
                not line.strip()
                for line in self.lines[
                    (stmts[i - 1].end_lineno or stmts[i - 1].lineno) : stmt.lineno - 1
                ]
            ):
                parts.append("\n")  # a blank line between two statements stays
            if _is_guard(stmt) and i < len(stmts) - 1:
                parts.append(self._returns_to_outputs(stmt, result))
                rest = self._convert(stmts[i + 1 :], result)
                parts.append("else:\n" + textwrap.indent(rest, "    "))
                break
            if isinstance(stmt, ast.Return) or (
                isinstance(stmt, ast.If) and _always_returns(stmt)
            ):
                parts.append(self._returns_to_outputs(stmt, result))
            else:
                parts.append(self.code([stmt], self._leading(stmt)))
        return "".join(parts)

    def _leading(self, stmt: ast.stmt) -> int:
        """The first line of the comments and blank lines just above `stmt`."""
        line = stmt.lineno
        while line > 1 and (
            not self.lines[line - 2].strip()
            or self.lines[line - 2].strip().startswith("#")
        ):
            line -= 1
        return line

    def _returns_to_outputs(self, stmt: ast.stmt, result: str = "outputs") -> str:
        """The statement's source with each tail `return X` spelt `outputs = X` (and a
        bare `return outputs` dropped)."""
        lead = self.code([stmt], self._leading(stmt)).splitlines()
        lines = self.code([stmt]).splitlines()
        head = lead[: len(lead) - len(lines)]
        base = stmt.col_offset
        edits: list[tuple[ast.Return, str]] = []
        for node in ast.walk(stmt):
            if isinstance(node, ast.Return) and node.value is not None:
                edits.append((node, ast.unparse(node.value)))
        first = stmt.lineno
        for node, value in sorted(edits, key=lambda e: -e[0].lineno):
            start = node.lineno - first
            end = (node.end_lineno or node.lineno) - first
            indent = " " * (node.col_offset - base)
            if value == result or (", " in result and value == f"({result})"):
                replacement = [f"{indent}pass"] if _only_statement(stmt, node) else []
            else:
                seg = "\n".join(lines[start : end + 1])
                text = seg[len(indent) :]
                assert text.startswith("return")
                replacement = (
                    indent + f"{result} =" + text[len("return") :]
                ).splitlines()
            lines[start : end + 1] = replacement
        lines = [*head, *lines]
        return "\n".join(lines) + "\n" if lines else ""

    # ---- compute_mask, compute_output_shape, get_config

    def _compute_mask(self) -> None:
        method = self.layer.methods.get("compute_mask")
        call_mask = getattr(self, "call_mask", False) or any(
            i.get("mask") for i in (self.inputs or {}).values()
        )
        first_mask = (
            f"{next(iter(self.inputs))}_mask"
            if self.inputs and len(self.inputs) > 1 and not self.input_list
            else "mask"
        )
        if method is None:
            if self.outputs and self.supports_masking:
                # Keras's own `compute_mask` gives the first input's mask, which
                # masks the first output only
                self.output_masks = [first_mask] + [None] * (len(self.outputs) - 1)
            if call_mask and self.supports_masking:
                self.masking = "use"
                return
            if call_mask:
                self.masking = "consume"
                self.note(
                    "`call` takes the mask without `supports_masking`; the generated "
                    "layer consumes it (supports_masking with an output mask of None)"
                )
                return
            self.masking = "propagate" if self.supports_masking else "none"
            return
        params = [a.arg for a in method.args.args][1:]
        if params[:1] != ["inputs"] or params[1:] != ["mask"]:
            self.refuse(method, "`compute_mask` is not `(self, inputs, mask=None)`")
            return
        body = [
            s
            for s in method.body
            if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        ]
        if len(body) == 1 and isinstance(body[0], ast.Return):
            value = body[0].value
            if value is None or (
                isinstance(value, ast.Constant) and value.value is None
            ):
                self.masking = "consume"
                return
            if ast.unparse(value) == "mask":
                self.masking = "use" if call_mask else "propagate"
                return
            if (
                self.outputs
                and isinstance(value, ast.Tuple)
                and len(value.elts) == len(self.outputs)
                and self.supports_masking
            ):
                self.output_masks = [
                    (
                        None
                        if isinstance(e, ast.Constant) and e.value is None
                        else _rename(self._text(e), "mask", first_mask)
                    )
                    for e in value.elts
                ]
                self.masking = "use" if call_mask else "propagate"
                return
        if not call_mask:
            self.note(
                "`call` gets `mask=None` in the generated layer (masking: custom)"
            )
        self.masking = "custom"
        saved = self.call_input
        self.call_input = "inputs"
        code = self._tail_code(body, "output_mask")
        self.call_input = saved
        if code is not None:
            self.compute_mask_code = code

    def _output_shape(self) -> None:
        method = self.layer.methods.get("compute_output_shape")
        if method is None:
            self.output_shape = "same"
            self.note(
                "no `compute_output_shape`: `output_shape: same` is assumed (the proof "
                "checks it against the original's outputs)"
            )
            return
        body = [
            s
            for s in method.body
            if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        ]
        params = [a.arg for a in method.args.args][1:]
        if (
            len(body) != 1
            or not isinstance(body[0], ast.Return)
            or body[0].value is None
        ):
            self.refuse(method, "`compute_output_shape` is more than one `return`")
            return
        expr = body[0].value
        names = self._shape_names()
        if len(params) != len(names):
            self.refuse(
                method,
                f"`compute_output_shape` takes {len(params)} shapes; `call` takes "
                f"{len(names)} tensors",
            )
            return
        text = ast.unparse(expr)
        for old, new in zip(params, names, strict=True):
            if old != new:
                if new in _names_loaded(text):
                    self.refuse(method, f"`compute_output_shape` uses `{new}`")
                    return
                text = _rename(text, old, new)
        expr = ast.parse(text, mode="eval").body
        if self.outputs:
            if not isinstance(expr, (ast.Tuple, ast.List)) or len(expr.elts) != len(
                self.outputs
            ):
                self.refuse(
                    method,
                    f"`call` returns {len(self.outputs)} outputs but "
                    "`compute_output_shape` does not return a tuple of as many shapes",
                )
                return
            shapes = []
            for elt in expr.elts:
                one = ast.unparse(_Untuple().visit(elt))
                shapes.append("same" if one == names[0] else one)
            self.output_shapes = shapes
            self.output_shape = "same"
            return
        if self.input_list and self.inputs:
            expr = _ListShapes(list(self.inputs)).visit(expr)
        text = ast.unparse(_Untuple().visit(expr))
        if text == names[0] and names[0] != "input_shape":
            self.output_shape = "same"
            return
        if text in ("input_shape", "tf.TensorShape(input_shape)"):
            self.output_shape = "same"
            return
        if text.startswith("tf.TensorShape(") and self.target == "tf-keras":
            text = text[len("tf.TensorShape(") : -1]
        self.output_shape = text

    def _get_config(self) -> None:
        method = self.layer.methods.get("get_config")
        args = set(self.args)
        if method is None:
            if args:
                self.refuse(
                    self.layer.methods.get("__init__"),
                    "no `get_config`, so the layer does not save its arguments; the "
                    "generated one does, and the configs would differ",
                )
            return
        keys = returned_keys(method)
        if keys is None:
            self.refuse(method, "cannot read the keys `get_config` returns")
            return
        found = set(keys.keys) - BASE_KEYS
        extra, missing = found - args, args - found
        if extra:
            self.refuse(
                method,
                "`get_config` returns keys that are not `__init__` arguments: "
                + ", ".join(f"`{k}`" for k in sorted(extra)),
            )
        if missing:
            self.refuse(
                method,
                "`get_config` lacks "
                + ", ".join(f"`{k}`" for k in sorted(missing))
                + "; the generated config would have them (fix the original first)",
            )
        if not keys.has_base:
            self.refuse(method, "`get_config` does not merge `super().get_config()`")

    # ---- assemble the spec data

    @staticmethod
    def _doc(text: str) -> str:
        text = _DEFAULTS_SUFFIX.sub("", text).strip() if "Defaults to" in text else text
        return "" if text in _DEFAULT_DOCS else text

    def _assemble(self) -> None:
        data = self.out.data
        spec: dict[str, Any] = {"klgen": 1, "name": self.layer.name}
        module = Path(self.module.filename).stem
        if module != snake_case(self.layer.name):
            spec["module"] = module
        spec["summary"] = data.pop("summary")
        for key in ("description", "references", "package"):
            if key in data:
                spec[key] = data.pop(key)
        if self.target != "keras3":
            spec["target"] = self.target
        from keraslayer_gen.spec.names import KERAS_LAYER_NAMES

        if self.layer.name in KERAS_LAYER_NAMES:
            spec["allow_shadowing"] = True
        if self.base:
            spec["base"] = self.base.split(".")[-1]
        if self.base_args:
            spec["base_args"] = dict(self.base_args)
        if self.imports:
            spec["imports"] = sorted(set(self.imports))
        args = {
            name: entry["spec"] for name, entry in self.args.items() if "spec" in entry
        }
        if args:
            spec["args"] = args
        if self.seed_generator:
            spec["seed_generator"] = self.seed_generator
        if getattr(self, "masking", "none") != "none":
            spec["masking"] = self.masking
        if getattr(self, "call_training", False):
            spec["training"] = True
        if self.float32_internal:
            spec["float32_internal"] = True
        if self.input_spec:
            spec["input_spec"] = self.input_spec
        build = getattr(self, "build_code", None)
        if build:
            spec["build"] = build
        if self.weights:
            weights = {}
            for name, w in self.weights.items():
                w = {k: v for k, v in w.items() if not k.startswith("_")}
                if self.float32_internal and w.get("autocast") is False:
                    del w["autocast"]
                weights[name] = w
            spec["weights"] = weights
        if self.sublayers:
            has_build = "build" in self.layer.methods
            layers = {}
            for name, entry in self.sublayers.items():
                entry = {k: v for k, v in entry.items() if not k.startswith("_")}
                if "build" not in entry:
                    entry["build"] = False
                    if has_build:
                        self.note(
                            f"sub-layer `{name}` is not built in `build`: Keras builds "
                            "it on the first call (`build: false`)"
                        )
                elif entry["build"] == self._shape_names()[0]:
                    del entry["build"]  # the default: the (first) input's shape
                layers[name] = entry
            spec["layers"] = layers
        if self.inputs:
            inputs = {}
            for n, d in self.inputs.items():
                entry = dict(
                    self.input_ranks.get(n)
                    or (self.input_ranks.get("", {}) if len(self.inputs) == 1 else {})
                )
                entry.update(d)
                doc = self._doc(self.call_docs.get(n, ""))
                match = re.search(r"\s*Of dtype `([a-z0-9]+)`\.$", doc)
                if match and match.group(1) in DTYPES:
                    entry["dtype"] = match.group(1)
                    doc = doc[: match.start()]
                if doc:
                    entry["doc"] = doc
                inputs[n] = entry
            spec["inputs"] = inputs
        if self.input_list:
            spec["input_list"] = True
        if self.outputs:
            shapes = self.output_shapes or ["same"] * len(self.outputs)
            masks = getattr(self, "output_masks", None) or [None] * len(self.outputs)
            outputs: dict[str, Any] = {}
            for n, shape, mask in zip(self.outputs, shapes, masks, strict=True):
                entry = {"shape": shape} if shape != "same" else {}
                if mask is not None:
                    entry["mask"] = mask
                doc = self._doc(self.return_docs.get(n, ""))
                if doc:
                    entry["doc"] = doc
                outputs[n] = entry
            spec["outputs"] = outputs
        if self.call_args:
            call_args = {}
            for n, d in self.call_args.items():
                entry = dict(d)
                doc = self._doc(self.call_docs.get(n, ""))
                if doc:
                    entry["doc"] = doc
                call_args[n] = entry
            spec["call_args"] = call_args
        if self.helpers:
            spec["methods"] = {n: dict(d) for n, d in self.helpers.items()}
        if self.losses:
            spec["losses"] = list(self.losses)
        if self.forward_training:
            spec["training"] = "forward"
        if self.state:
            spec["state"] = dict(self.state)
            if self.state_on != "training":
                spec["state_on"] = self.state_on
        bodies = getattr(self, "bodies", None)
        if bodies:
            spec["call"] = bodies
        code = getattr(self, "compute_mask_code", None)
        if code:
            spec["compute_mask"] = code
        spec["output_shape"] = getattr(self, "output_shape", "same")
        self.out.data = spec


# --------------------------------------------------------------------------- ast utils


def _plain_from_config(item: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    body = [s for s in item.body if not isinstance(s, ast.Expr)]
    return len(body) == 1 and ast.unparse(body[0]) == "return cls(**config)"


def _is_super_call(node: ast.AST, method: str) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == method
        and isinstance(node.func.value, ast.Call)
        and isinstance(node.func.value.func, ast.Name)
        and node.func.value.func.id == "super"
    )


def _creates_weight(stmt: ast.stmt) -> bool:
    return any(_is_call_to(n, ("add_weight",)) for n in ast.walk(stmt))


def _has_loop_weight(stmt: ast.stmt) -> bool:
    for node in ast.walk(stmt):
        if isinstance(node, (ast.For, ast.While, ast.comprehension)):
            if any(_is_call_to(n, ("add_weight",)) for n in ast.walk(node)):
                return True
    return False


def _writes_self(stmt: ast.stmt) -> bool:
    for node in ast.walk(stmt):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if self_attr(t) is not None:
                    return True
    return False


def _always_returns(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Return):
        return True
    if isinstance(stmt, ast.If):
        return (
            bool(stmt.orelse)
            and _always_returns(stmt.body[-1])
            and _always_returns(stmt.orelse[-1])
        )
    return False


def _is_guard(stmt: ast.stmt) -> bool:
    """`if C: ... return X` without an `else`."""
    return (
        isinstance(stmt, ast.If)
        and not stmt.orelse
        and bool(stmt.body)
        and _always_returns(stmt.body[-1])
    )


def _tail_returns(stmts: list[ast.stmt]) -> set[ast.Return]:
    """The returns of `stmts` that end it, guards' returns included."""
    out: set[ast.Return] = set()
    for i, stmt in enumerate(stmts):
        if _is_guard(stmt) and i < len(stmts) - 1:
            assert isinstance(stmt, ast.If)
            out |= _tail_returns(stmt.body)
            out |= _tail_returns(stmts[i + 1 :])
            return out
    if stmts:
        last = stmts[-1]
        if isinstance(last, ast.Return):
            out.add(last)
        elif isinstance(last, ast.If) and _always_returns(last):
            out |= _tail_returns(last.body) | _tail_returns(last.orelse)
    return out


def _tail_return(stmts: list[ast.stmt], ret: ast.Return) -> bool:
    """Whether `ret` is a return in tail position of `stmts`."""

    def tail(block: list[ast.stmt]) -> bool:
        if not block:
            return False
        last = block[-1]
        if last is ret:
            return True
        if isinstance(last, ast.If) and _always_returns(last):
            return tail(last.body) or tail(last.orelse)
        return False

    return tail(stmts)


def _only_statement(stmt: ast.stmt, ret: ast.Return) -> bool:
    for node in ast.walk(stmt):
        for name in ("body", "orelse"):
            block = getattr(node, name, None)
            if isinstance(block, list) and block == [ret]:
                return True
    return False


def _paren(text: str) -> str:
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return f"({text})"
    if isinstance(
        node, (ast.Name, ast.Constant, ast.Attribute, ast.Call, ast.Subscript)
    ):
        return text
    return f"({text})"


def _annotation_type(node: ast.expr | None) -> str | None:
    if node is None:
        return None
    text = ast.unparse(node).replace("Optional[", "").rstrip("]")
    parts = [p.strip() for p in text.split("|") if p.strip() != "None"]
    if len(parts) != 1:
        return None
    return {"int": "int", "float": "float", "bool": "bool", "str": "str"}.get(parts[0])


def _number(node: ast.expr) -> float | int | None:
    ok, value = _literal(node)
    if ok and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None


def _fmt(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def _bounds(test: ast.expr) -> tuple[str, dict[str, Any]] | None:
    """The argument and the spec bounds of a `raise ValueError` condition, or None."""
    # not isinstance(x, int) or <bound>
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        values = test.values
        first = values[0]
        if (
            isinstance(first, ast.UnaryOp)
            and isinstance(first.op, ast.Not)
            and isinstance(first.operand, ast.Call)
            and ast.unparse(first.operand.func) == "isinstance"
            and len(first.operand.args) == 2
            and ast.unparse(first.operand.args[1]) == "int"
            and isinstance(first.operand.args[0], ast.Name)
        ):
            name = first.operand.args[0].id
            out: dict[str, Any] = {"_int": True}
            for value in values[1:]:
                found = _bounds(value)
                if found is None or found[0] != name:
                    return None
                out.update(found[1])
            return name, out
        return None
    # not lo <= x <= hi
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = test.operand
        if isinstance(inner, ast.Compare) and len(inner.ops) == 2:
            lo, hi = _number(inner.left), _number(inner.comparators[1])
            mid = inner.comparators[0]
            if lo is None or hi is None or not isinstance(mid, ast.Name):
                return None
            ops = [type(o) for o in inner.ops]
            if not all(o in (ast.Lt, ast.LtE) for o in ops):
                return None
            opening = "[" if ops[0] is ast.LtE else "("
            closing = "]" if ops[1] is ast.LtE else ")"
            return mid.id, {"range": f"{opening}{_fmt(lo)}, {_fmt(hi)}{closing}"}
        if isinstance(inner, ast.Compare) and len(inner.ops) == 1:
            # not x >= v  == x < v
            flipped = {
                ast.GtE: ast.Lt,
                ast.Gt: ast.LtE,
                ast.LtE: ast.Gt,
                ast.Lt: ast.GtE,
            }
            op = flipped.get(type(inner.ops[0]))  # type: ignore[call-overload]
            if op is None:
                return None
            return _bounds(ast.Compare(inner.left, [op()], inner.comparators))
        return None
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right, op = test.left, test.comparators[0], type(test.ops[0])
        if isinstance(left, ast.Name) and op in (ast.NotIn,):
            ok, values = _literal(right)
            if ok and isinstance(values, (tuple, list)):
                return left.id, {"choices": list(values)}
            return None
        if not isinstance(left, ast.Name):
            # v > x -> x < v
            if isinstance(right, ast.Name):
                mirrored = {
                    ast.Gt: ast.Lt,
                    ast.GtE: ast.LtE,
                    ast.Lt: ast.Gt,
                    ast.LtE: ast.GtE,
                }
                new = mirrored.get(op)  # type: ignore[call-overload]
                if new is None:
                    return None
                return _bounds(ast.Compare(right, [new()], [left]))
            return None
        bound = _number(right)
        if bound is None:
            return None
        name = left.id
        if op is ast.Lt:
            return name, {"min": bound}
        if op is ast.Gt:
            return name, {"max": bound}
        if op is ast.LtE:
            return name, {"range": f"({_fmt(bound)}, inf)"}
        if op is ast.GtE:
            return name, {"range": f"(-inf, {_fmt(bound)})"}
    return None


def _items(lines: list[str]) -> dict[str, str]:
    """`name: text` entries of a docstring section, continuation lines joined."""
    out: dict[str, str] = {}
    current: str | None = None
    text = textwrap.dedent("\n".join(lines))
    for line in text.splitlines():
        match = re.match(
            r"^(\*{0,2}[A-Za-z_][A-Za-z0-9_]*)(?:\s*\([^)]*\))?:\s*(.*)$", line
        )
        if match and not line.startswith(" "):
            current = match.group(1)
            out[current] = match.group(2).strip()
        elif current is not None and line.strip():
            out[current] = (out[current] + " " + line.strip()).strip()
    return out


def _references(lines: list[str]) -> list[str]:
    refs: list[str] = []
    for line in textwrap.dedent("\n".join(lines)).splitlines():
        stripped = line.strip()
        if stripped.startswith("- "):
            refs.append(stripped[2:].strip())
        elif stripped and refs:
            refs[-1] = refs[-1] + " " + stripped
        elif stripped:
            refs.append(stripped)
    return refs
