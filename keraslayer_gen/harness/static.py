"""Checks 1-3 (structure, config-complete, state-hygiene): the lint's registered checks.

They read the layer's source with `ast` in the parent process; no backend is imported.
"""

from __future__ import annotations

import time
from pathlib import Path

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.harness.report import FAIL, PASS, SKIP, CheckResult
from keraslayer_gen.lint.driver import CHECKS as STATIC_CHECKS
from keraslayer_gen.lint.driver import lint_source


def run_static_checks(
    checks: list[str], source: Path | None, class_name: str
) -> list[CheckResult]:
    """One result per selected static check, for the class `class_name` in `source`."""
    wanted = [c for c in STATIC_CHECKS if c in checks]
    if not wanted:
        return []
    if source is None or not source.is_file():
        return [
            CheckResult(
                c,
                None,
                SKIP,
                message="the layer's source file was not found, "
                "so it cannot be linted",
            )
            for c in wanted
        ]
    start = time.perf_counter()
    text = source.read_text(encoding="utf-8", errors="replace")
    try:
        found = lint_source(text, str(source))
    except KlgenError as exc:  # not valid Python
        return [
            (
                CheckResult(c, None, FAIL, message=exc.message)
                if c == wanted[0]
                else CheckResult(c, None, SKIP, message="the source does not parse")
            )
            for c in wanted
        ]
    if not _defines(text, class_name):
        # A re-export (`from .impl import Layer` in a package's `__init__.py`): nothing of
        # the class is in this file, so no static check can pass here.
        why = (
            f"{source.name} does not define `{class_name}` (it imports it from "
            "elsewhere); give the file that defines it, `path/to/module.py:"
            f"{class_name}`, for the static checks"
        )
        return [CheckResult(c, None, SKIP, message=why) for c in wanted]
    issues = [i for i in found if i.class_name == class_name]
    seconds = time.perf_counter() - start
    results = []
    for check in wanted:
        mine = sorted((i for i in issues if i.check == check), key=lambda i: i.line)
        if not mine:
            results.append(CheckResult(check, None, PASS, seconds))
            continue
        lines = [f"{source.name}:{i.line}: {i.message}" for i in mine]
        message = lines[0] + (f" (and {len(lines) - 1} more)" if len(lines) > 1 else "")
        results.append(
            CheckResult(check, None, FAIL, seconds, message, notes=lines[1:])
        )
    return results


def _defines(text: str, class_name: str) -> bool:
    """Whether the module source defines `class_name` itself (at any nesting level)."""
    import ast

    try:
        tree = ast.parse(text)
    except SyntaxError:
        return True  # the lint has reported it
    return any(
        isinstance(node, ast.ClassDef) and node.name == class_name
        for node in ast.walk(tree)
    )
