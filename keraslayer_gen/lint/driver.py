"""The lint driver: files -> modules -> every registered checker -> findings.

The static contract lint (docs/contract.md §1-3) on every Keras `Layer` subclass in a file,
pure `ast`, no Keras import. `lint_source(text, filename)` and `lint_file(path)` return
`LintIssue`s, each printed as `file:line:col: check-id: message` where the message names the
fix. A trailing `# klgen: ignore[check-id]` (or a bare `# klgen: ignore`) on the reported
line silences it.

The checks are the modules of `keraslayer_gen.lint.checks`, found the way pylint finds its
checkers: each module's `register(registry)` adds its `Checker` classes, so a new check is
one new module there. `REGISTRY` holds them, `CHECKS` their ids in contract order.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

from keraslayer_gen.lint import checks
from keraslayer_gen.lint.base import LintIssue, Registry
from keraslayer_gen.lint.module import LintError, layer_classes, parse_module

_IGNORE = re.compile(r"#\s*klgen:\s*ignore(?:\[(?P<ids>[\w\s,-]+)\])?")


def discover() -> Registry:
    """A registry of every check: `register(registry)` of each `lint/checks/` module."""
    registry = Registry()
    for found in pkgutil.iter_modules(checks.__path__):
        module = importlib.import_module(f"{checks.__name__}.{found.name}")
        register = getattr(module, "register", None)
        if register is None:
            raise TypeError(f"{module.__name__} has no register(registry)")
        register(registry)
    return registry


REGISTRY = discover()
CHECKS = REGISTRY.ids


def lint_source(text: str, filename: str) -> list[LintIssue]:
    """The static-contract issues of every Keras layer class in `text`, in file order.

    Raises `LintError` (a `KlgenError`) when `text` is not valid Python.
    """
    module = parse_module(text, filename)
    issues: list[LintIssue] = []
    for layer in layer_classes(module):
        for checker_class in REGISTRY:
            checker = checker_class(layer, module)
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
