"""The module model of the lint: a parsed file, its import aliases, its Keras layer classes.

`parse_module(text, filename)` reads a file with `ast` (no Keras import) into a `Module`;
`layer_classes(module)` finds its layer classes. The helpers below (`scope_walk`,
`self_attr`, `lineage`, ...) are how the checks read that model.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from keraslayer_gen.errors import KlgenError

# Base classes, after `_canonical`, that make a class a Keras layer.
LAYER_BASES = frozenset(
    {
        "keras.layers.Layer",
        "keras.Layer",
        "keras.layers.layer.Layer",
        "keras.engine.base_layer.Layer",
        "keras.engine.base_layer_v1.Layer",
    }
)
# What a name means when the file never imports it (snippets, notebooks pasted into files).
_DEFAULT_ALIASES = {
    "keras": "keras",
    "tf": "tensorflow",
    "tf_keras": "tf_keras",
    "layers": "keras.layers",
    "jax": "jax",
    "torch": "torch",
}
_CANONICAL_PREFIXES = (
    ("tensorflow.python.keras", "keras"),
    ("tensorflow.keras", "keras"),
    ("tf_keras", "keras"),
    ("keras._tf_keras.keras", "keras"),
    ("keras.src", "keras"),
    ("keras.api", "keras"),
    ("keras_core", "keras"),
)
Function = ast.FunctionDef | ast.AsyncFunctionDef


class LintError(KlgenError):
    """A file the lint cannot read or parse."""


@dataclass
class LayerClass:
    """A Keras layer class of the file, with its methods and its in-file parents."""

    node: ast.ClassDef
    keras_base: bool  # derives directly from a Keras Layer class
    parents: list[LayerClass]  # layer classes of the same file it derives from
    unknown_bases: bool  # other bases (mixins, Keras layers other than Layer)
    methods: dict[str, Function] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.node.name

    def method(self, name: str) -> Function | None:
        """The method as the class sees it: its own, else an in-file parent's."""
        if name in self.methods:
            return self.methods[name]
        for parent in self.parents:
            found = parent.method(name)
            if found is not None:
                return found
        return None


@dataclass
class Module:
    """The file being linted: its import aliases and what they make of dotted names."""

    tree: ast.Module
    filename: str
    aliases: dict[str, str]
    tf_keras: bool  # a tf.keras / tf_keras file: backend code is its idiom, not a bug
    package: str | None = None  # the top-level package the file belongs to, if any
    layer_names: set[str] = field(default_factory=set)  # the file's layer classes

    def dotted(self, node: ast.AST) -> str | None:
        """`keras.layers.Layer` for that expression, resolved through the imports."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        head = self.aliases.get(node.id, _DEFAULT_ALIASES.get(node.id, node.id))
        return ".".join([head, *reversed(parts)])

    def canonical(self, node: ast.AST) -> str | None:
        name = self.dotted(node)
        return _canonical(name) if name else None


def scope_walk(node: ast.AST) -> Iterator[ast.AST]:
    """`ast.walk` that does not enter nested functions, lambdas or classes."""
    todo = list(ast.iter_child_nodes(node))
    while todo:
        child = todo.pop()
        yield child
        if not isinstance(
            child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
        ):
            todo.extend(ast.iter_child_nodes(child))


def is_self(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def self_attr(node: ast.AST) -> str | None:
    """`x` for `self.x`, else None."""
    if isinstance(node, ast.Attribute) and is_self(node.value):
        return node.attr
    return None


def position(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.col_offset  # type: ignore[attr-defined]


def lineage(layer: LayerClass) -> list[LayerClass]:
    """The class and its in-file layer ancestors."""
    out = [layer]
    for parent in layer.parents:
        out.extend(lineage(parent))
    return out


def _canonical(name: str) -> str:
    for prefix, replacement in _CANONICAL_PREFIXES:
        if name == prefix or name.startswith(prefix + "."):
            name = replacement + name[len(prefix) :]
    return name


def _aliases(tree: ast.Module) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    aliases[head] = head
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{module}.{alias.name}".lstrip(
                    "."
                )
    return aliases


def _is_tf_keras(module: Module) -> bool:
    for full in module.aliases.values():
        if full.split(".")[0] == "tf_keras" or full.startswith(
            ("tensorflow.keras", "tensorflow.python.keras")
        ):
            return True
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Attribute) and node.attr == "keras":
            if module.dotted(node.value) == "tensorflow":
                return True
    return False


def layer_classes(module: Module) -> list[LayerClass]:
    """Every class of the file that derives from a Keras `Layer`, directly or through
    another layer class of the same file."""
    found: dict[str, LayerClass] = {}
    classes = [n for n in ast.walk(module.tree) if isinstance(n, ast.ClassDef)]
    classes.sort(key=lambda n: (n.lineno, n.col_offset))
    for node in classes:
        keras_base, parents, unknown = False, [], False
        for base in node.bases:
            name = module.canonical(base)
            if name in LAYER_BASES:
                keras_base = True
            elif isinstance(base, ast.Name) and base.id in found:
                parents.append(found[base.id])
            else:
                unknown = True
        if not keras_base and not parents:
            continue
        layer = LayerClass(node, keras_base, parents, unknown)
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                layer.methods[item.name] = item
        found[node.name] = layer
    return list(found.values())


def parse_module(text: str, filename: str) -> Module:
    try:
        tree = ast.parse(text, filename=filename)
    except SyntaxError as exc:
        raise LintError(
            f"{filename}:{exc.lineno or 0}:{exc.offset or 0}: cannot parse: "
            f"{exc.msg}; fix the syntax error first"
        ) from None
    module = Module(tree, filename, _aliases(tree), False, _top_package(filename))
    module.tf_keras = _is_tf_keras(module)
    module.layer_names = {layer.name for layer in layer_classes(module)}
    return module


def _top_package(filename: str) -> str | None:
    """The outermost package of the file on disk (its folders with an `__init__.py`):
    `keras_hub` for `.../site-packages/keras_hub/src/layers/x.py`."""
    try:
        folder = Path(filename).resolve().parent
        if not Path(filename).is_file():
            return None
    except (OSError, ValueError):
        return None
    for parent in (folder, *folder.parents):
        if parent.parent.name in ("site-packages", "dist-packages"):
            return parent.name  # an installed package, namespace folders included
    top = None
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        top = folder.name
        folder = folder.parent
    return top


def is_abstract(layer: LayerClass, module: Module) -> bool:
    """An abstract base is never instantiated, so it need not be registered, and its
    subclasses fill in some of its arguments (Keras's `BaseConv(rank, ...)`): a `Base`
    or `Abstract` name, a `base_*.py` module, abstract methods, or a method that only
    raises NotImplementedError."""
    if layer.name.lstrip("_").startswith(("Base", "Abstract")):
        return True
    # A `base_*.py` module holds the base that the real classes subclass (Keras's
    # base_conv.py, keras-rs's base_distributed_embedding.py).
    if Path(module.filename).stem.startswith("base_"):
        return True
    for function in layer.methods.values():
        for decorator in function.decorator_list:
            if (module.dotted(decorator) or "").endswith("abstractmethod"):
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
