"""Exports of generated layers from their package's `__init__.py`: added once, never
duplicated, the user's comments and formatting kept.

`ast` finds what is there and where; the edit inserts text at those positions and leaves
every other byte alone (libcst would do the same, but costs `klgen new` 0.2 s to import).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from keraslayer_gen.files.plan import CREATE, UPDATE, FileChange, read_text


@dataclass(frozen=True)
class Export:
    """One class to export: `from .<module> import <name>` in `<layers_dir>/__init__.py`."""

    layers_dir: Path
    import_root: str  # dotted path of layers_dir; its depth is the number of packages
    module: str
    name: str


def plan_exports(exports: list[Export]) -> tuple[list[FileChange], list[str]]:
    """The `__init__.py` files to create or update so that every class is exported.

    Returns the changes and notes about `__init__.py` files that klgen cannot edit.
    """
    changes: dict[Path, FileChange] = {}
    notes: list[str] = []
    for export in exports:
        if not export.import_root:
            continue
        for folder in _package_folders(export):
            init = folder / "__init__.py"
            if init not in changes and read_text(init) is None:
                changes[init] = FileChange(init, "", None, CREATE)
        init = export.layers_dir / "__init__.py"
        current = changes.get(init)
        old = read_text(init)
        text = current.text if current is not None else (old or "")
        try:
            new = add_export(text, export.module, export.name)
        except SyntaxError as exc:
            notes.append(
                f"{init}:{exc.lineno}: does not parse, so `{export.name}` was not exported "
                f"from it; add `from .{export.module} import {export.name}` yourself"
            )
            continue
        if new != text:
            status = CREATE if old is None else UPDATE
            changes[init] = FileChange(init, new, old, status)
    return [c for c in changes.values()], notes


def _package_folders(export: Export) -> list[Path]:
    """layers_dir and each parent folder up to the top package of `import_root`."""
    depth = len(export.import_root.split("."))
    folder = export.layers_dir
    folders = []
    for _ in range(depth):
        folders.append(folder)
        folder = folder.parent
    return folders


def is_exported(text: str, name: str) -> bool:
    """`name` is bound at the top level of the module (imported, assigned or defined)."""
    tree = ast.parse(text)
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((a.asname or a.name.split(".")[0]) == name for a in node.names):
                return True
        elif isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name == name:
            return True
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
    return False


def _literal_all(tree: ast.Module) -> list[str] | None:
    """The names of a literal `__all__ = [...]` (or tuple), else None."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            value = node.value
            if isinstance(value, (ast.List, ast.Tuple)) and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str)
                for e in value.elts
            ):
                return [e.value for e in value.elts]  # type: ignore[attr-defined]
            return None
    return None


def add_export(text: str, module: str, name: str) -> str:
    """`text` with `from .<module> import <name>` added (and `name` appended to a literal
    `__all__`); `text` itself when both are there. Raises SyntaxError on bad Python."""
    tree = ast.parse(text)
    names = _literal_all(tree)
    need_import = not is_exported(text, name)
    need_all = names is not None and name not in names
    if not text.strip():
        return f"from .{module} import {name}\n\n__all__ = [{name!r}]\n".replace(
            "'", '"'
        )
    if not need_import and not need_all:
        return text
    return _edit(text, module, name, need_import, need_all)


def _edit(text: str, module: str, name: str, need_import: bool, need_all: bool) -> str:
    """Insert the import and the `__all__` entry as text at positions `ast` gives, so that
    every other byte of the file (comments, blank lines, quotes) stays as it was."""
    if not text.endswith("\n"):
        text += "\n"
    tree = ast.parse(text)
    edits: list[tuple[int, int, str]] = []  # (line index, byte column, text to insert)
    if need_import:
        edits.append(_import_edit(tree, module, name))
    if need_all:
        edits.extend(_all_edits(tree, text.splitlines(keepends=True), name))
    lines = text.splitlines(keepends=True)
    for index, column, insert in sorted(edits, reverse=True):
        if index == len(lines):
            lines.append("")
        raw = lines[index].encode("utf-8")
        lines[index] = (raw[:column] + insert.encode("utf-8") + raw[column:]).decode(
            "utf-8"
        )
    return "".join(lines)


def _import_edit(tree: ast.Module, module: str, name: str) -> tuple[int, int, str]:
    """In order among the relative imports when they are sorted (else after them), else
    after the last import, else after the docstring."""
    line = f"from .{module} import {name}\n"
    body = tree.body
    relative = [
        i for i, s in enumerate(body) if isinstance(s, ast.ImportFrom) and s.level
    ]
    if relative:
        run = [relative[-1]]
        while run[0] - 1 in relative:
            run.insert(0, run[0] - 1)
        names = [_module_name(body[i]) for i in run]
        if names == sorted(names):
            for i, other in zip(run, names, strict=True):
                if other > f".{module}".lower():
                    return body[i].lineno - 1, 0, line
        return _end(body[run[-1]]), 0, line
    imports = [s for s in body if isinstance(s, (ast.Import, ast.ImportFrom))]
    if imports:
        return _end(imports[-1]), 0, line
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return _end(first), 0, "\n" + line
    return 0, 0, line


def _module_name(node: ast.stmt) -> str:
    assert isinstance(node, ast.ImportFrom)
    return ("." * node.level + (node.module or "")).lower()


def _end(node: ast.stmt) -> int:
    return node.end_lineno or node.lineno


def _all_edits(
    tree: ast.Module, lines: list[str], name: str
) -> list[tuple[int, int, str]]:
    """`"name"` added to the literal `__all__` in its own style: sorted when the names
    are, one a line when they are, with or without a trailing comma."""
    value = next(
        (
            n.value
            for n in tree.body
            if isinstance(n, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)
        ),
        None,
    )
    if not isinstance(value, (ast.List, ast.Tuple)):
        return []
    quoted = f'"{name}"'
    elts = value.elts
    close = (value.end_lineno or value.lineno) - 1, (value.end_col_offset or 0) - 1
    if not elts:  # `[]` or `()`: the name goes before the closing bracket
        return [
            (close[0], close[1], quoted + ("," if isinstance(value, ast.Tuple) else ""))
        ]
    names = [str(e.value) for e in elts if isinstance(e, ast.Constant)]
    one_a_line = (
        len({e.lineno for e in elts}) == len(elts) and elts[0].lineno != value.lineno
    )
    if names == sorted(names):
        for element, other in zip(elts, names, strict=True):
            if other > name:
                if one_a_line:
                    indent = _indent(lines[element.lineno - 1])
                    return [(element.lineno - 1, 0, f"{indent}{quoted},\n")]
                return [(element.lineno - 1, element.col_offset, f"{quoted}, ")]
    last = elts[-1]
    end_line, end_col = (last.end_lineno or last.lineno) - 1, last.end_col_offset or 0
    if not one_a_line:
        return [(end_line, end_col, f", {quoted}")]
    indent = _indent(lines[last.lineno - 1])
    after = lines[end_line].encode("utf-8")[end_col:].decode("utf-8").lstrip()
    if after.startswith(","):
        return [(end_line + 1, 0, f"{indent}{quoted},\n")]
    return [(end_line, end_col, ","), (end_line + 1, 0, f"{indent}{quoted}\n")]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]
