"""`klgen lint` as a library call: the Python files of some paths (or of the repository's
layers and specs folders), each linted against the static contract."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.files.inventory import SKIP_DIRS
from keraslayer_gen.files.layout import load_layout
from keraslayer_gen.lint.driver import lint_source


@dataclass
class LintRun:
    """What `klgen lint` found: one line per finding or unreadable file, in file order."""

    files: list[Path] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    problems: int = 0


def display(path: Path) -> str:
    """The path as the user would type it: relative to the current folder when inside."""
    relative = os.path.relpath(path.absolute(), Path.cwd())
    return str(path) if relative.startswith("..") else Path(relative).as_posix()


def lint_files(paths: list[Path] | None) -> list[Path]:
    """The Python files of `paths` (folders searched, hidden and tool folders skipped),
    each once; with no paths, those of the repository's specs and layers folders."""
    if not paths:
        layout = load_layout(Path.cwd())
        paths = [p for p in (layout.spec_dir(), layout.layers_dir) if p.is_dir()]
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*.py"))
                if not any(
                    part in SKIP_DIRS or part.startswith(".")
                    for part in p.relative_to(path).parts[:-1]
                )
            )
        elif path.is_file():
            files.append(path)
        else:
            raise KlgenError(f"{path}: no such file or folder")
    return list(dict.fromkeys(files))


def lint_paths(paths: list[Path] | None) -> LintRun:
    """Lint every file of `paths`; a file that cannot be read or parsed is one problem."""
    run = LintRun(files=lint_files(paths))
    for path in run.files:
        try:
            text = path.read_text(encoding="utf-8")
            issues = lint_source(text, display(path))
        except (OSError, UnicodeDecodeError) as exc:
            run.lines.append(f"{display(path)}: cannot read: {exc}")
            run.problems += 1
            continue
        except KlgenError as exc:
            run.lines.extend(exc.lines())
            run.problems += 1
            continue
        run.lines.extend(str(issue) for issue in issues)
        run.problems += len(issues)
    return run
