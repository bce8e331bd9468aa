"""The static contract lint: docs/contract.md §1-3 on every Keras `Layer` subclass in a file.

Pure `ast`, no Keras import. `lint_source(text, filename)` and `lint_file(path)` return
`LintIssue`s, each printed as `file:line:col: check-id: message` where the message names the
fix. A trailing `# klgen: ignore[check-id]` (or a bare `# klgen: ignore`) on the reported
line silences it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from keraslayer_gen.errors import KlgenError

STRUCTURE, CONFIG_COMPLETE, STATE_HYGIENE = (
    "structure",
    "config-complete",
    "state-hygiene",
)
CHECKS = (STRUCTURE, CONFIG_COMPLETE, STATE_HYGIENE)

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
_IGNORE = re.compile(r"#\s*klgen:\s*ignore(?:\[(?P<ids>[\w\s,-]+)\])?")


@dataclass(frozen=True)
class LintIssue:
    """One violation of the static contract, located in a file."""

    check: str  # structure | config-complete | state-hygiene
    filename: str
    line: int
    col: int  # 1-based, like the line
    class_name: str
    message: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.col}: {self.check}: {self.message}"


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


class Checker:
    """Collects the issues of one layer class; the check modules subclass it."""

    def __init__(self, layer: LayerClass, module: Module) -> None:
        self.layer, self.module = layer, module
        self.issues: list[LintIssue] = []

    def report(self, check: str, node: ast.AST, message: str) -> None:
        line, col = position(node)
        self.issues.append(
            LintIssue(
                check, self.module.filename, line, col + 1, self.layer.name, message
            )
        )


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


def lint_source(text: str, filename: str) -> list[LintIssue]:
    """The static-contract issues of every Keras layer class in `text`, in file order.

    Raises `LintError` (a `KlgenError`) when `text` is not valid Python.
    """
    from keraslayer_gen.lint.checks.state_hygiene import StateChecker
    from keraslayer_gen.lint.checks.structure import StructureChecker

    module = parse_module(text, filename)
    issues: list[LintIssue] = []
    for layer in layer_classes(module):
        for checker in (StructureChecker(layer, module), StateChecker(layer, module)):
            checker.run()
            issues.extend(checker.issues)
    lines = text.splitlines()
    kept = {i for i in issues if not _silenced(i, lines)}
    return sorted(kept, key=lambda i: (i.line, i.col, i.check, i.message))


def lint_file(path: str | Path) -> list[LintIssue]:
    """`lint_source` of a file; raises `LintError` when it cannot be read or parsed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LintError(f"{path}: cannot read: {exc}") from None
    return lint_source(text, str(path))


def _silenced(issue: LintIssue, lines: list[str]) -> bool:
    if not 0 < issue.line <= len(lines):
        return False
    match = _IGNORE.search(lines[issue.line - 1])
    if match is None:
        return False
    ids = match.group("ids")
    return ids is None or issue.check in {i.strip() for i in ids.split(",")}
