"""The static pre-flight of `klgen verify`: before any backend starts, the layer's file must
parse and define the class, and the class must be a Layer as far as its source shows.

Reads the source with `ast` only (no import, no Keras), so a typo costs a second, not a
worker start-up. Only what the source proves is refused: a base class imported from another
module is taken on trust and left to the worker to check.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

from keraslayer_gen.harness.target import LayerTarget
from keraslayer_gen.spec.names import did_you_mean

#: Modules whose classes are Keras layers (or models, which are layers).
_KERAS_ROOTS = (
    "keras",
    "tf_keras",
    "tensorflow",
    "tf",
    "keras_hub",
    "keras_rs",
    "keras_nlp",
    "keras_cv",
)
#: Modules whose classes are not layers.
_NOT_LAYER_ROOTS = (
    "abc",
    "typing",
    "typing_extensions",
    "dataclasses",
    "enum",
    "collections",
    "numbers",
)


def _label(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def preflight(target: LayerTarget) -> str | None:
    """Why `target` cannot be verified, as one located sentence, or None."""
    source = target.source
    if source is None or not source.is_file():
        return None  # found at import time by the worker
    label = _label(source)
    code = source.read_text(encoding="utf-8", errors="replace")
    try:
        tree = ast.parse(code, filename=str(source))
    except SyntaxError as exc:
        where = f"{label}:{exc.lineno or 0}:{exc.offset or 0}" if exc.lineno else label
        return (
            f"{where}: not valid Python ({exc.msg}); fix the file before verifying it"
        )
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    imported = _imported(tree)
    name = target.class_name
    head = name.split(".")[0]
    if head not in classes:
        if head in imported or head in _assigned(tree):
            return None  # defined elsewhere: the worker imports it
        known = sorted(classes)
        return f"{label}: no class `{name}`{did_you_mean(name, known)}; " + (
            f"the classes here are {', '.join(known)}"
            if known
            else "the file defines no class"
        )
    if "." in name:
        return None
    node = classes[name]
    if _is_layer(node, classes, imported, set()) is False:
        bases = ", ".join(ast.unparse(b) for b in node.bases) or "no base class"
        return (
            f"{label}:{node.lineno}: class {name} is not a keras.layers.Layer subclass "
            f"({bases}); derive it from keras.layers.Layer"
        )
    return None


def _imported(tree: ast.Module) -> dict[str, str]:
    """Top-level imported names -> the module they come from (`import a.b` binds `a`)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                names[bound] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                names[alias.asname or alias.name] = "." * node.level + (
                    node.module or ""
                )
    return names


def _assigned(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
    return names


def _is_layer(
    node: ast.ClassDef,
    classes: dict[str, ast.ClassDef],
    imported: dict[str, str],
    seen: set[str],
) -> bool | None:
    """True (a Layer), False (provably not), None (cannot tell from this file)."""
    if node.name in seen:
        return None
    seen = seen | {node.name}
    verdicts = [_base_is_layer(base, classes, imported, seen) for base in node.bases]
    if any(v is True for v in verdicts):
        return True
    if any(v is None for v in verdicts):
        return None
    return False


def _base_is_layer(
    base: ast.expr,
    classes: dict[str, ast.ClassDef],
    imported: dict[str, str],
    seen: set[str],
) -> bool | None:
    if isinstance(base, ast.Subscript):  # Generic[T], Base[...]
        base = base.value
    parts: list[str] = []
    node: ast.expr = base
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None  # a call or another expression: cannot tell
    root = node.id
    last = parts[-1] if parts else root
    if last in ("Layer", "Model", "Sequential"):
        return True
    if not parts and root in classes:
        return _is_layer(classes[root], classes, imported, seen)
    origin = imported.get(root)
    if origin is not None:
        top = origin.lstrip(".").split(".")[0]
        if top in _KERAS_ROOTS and not origin.startswith("."):
            return True  # keras.layers.Dense, layers.Dense, ...
        if top in _NOT_LAYER_ROOTS:
            return False
        return None
    if not parts and hasattr(builtins, root):
        return False  # object, Exception, dict, ...
    return None
