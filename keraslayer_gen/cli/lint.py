"""`klgen lint`: the static contract checks on every Keras layer class of some files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer


def _display(path: Path) -> str:
    """The path as the user would type it: relative to the current folder when inside."""
    relative = os.path.relpath(path.absolute(), Path.cwd())
    return str(path) if relative.startswith("..") else Path(relative).as_posix()


def lint(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Python files or folders (default: the repository's layers folder).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Lint Keras layers, generated or hand-written, against the static contract:
    `structure`, `config-complete` and `state-hygiene` (docs/contract.md §1-3).

    Prints `file:line:col: check: message`, each message naming the fix; exit 1 when
    anything is found. A `# klgen: ignore[check]` comment silences that line.

    Example: `klgen lint src/my_project/layers`
    """
    from keraslayer_gen.errors import KlgenError
    from keraslayer_gen.files.inventory import SKIP_DIRS
    from keraslayer_gen.files.layout import load_layout
    from keraslayer_gen.lint.driver import lint_source

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
    files = list(dict.fromkeys(files))
    problems = 0
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            issues = lint_source(text, _display(path))
        except (OSError, UnicodeDecodeError) as exc:
            typer.echo(f"{_display(path)}: cannot read: {exc}")
            problems += 1
            continue
        except KlgenError as exc:
            for line in exc.lines():
                typer.echo(line)
            problems += 1
            continue
        for issue in issues:
            typer.echo(str(issue))
        problems += len(issues)
    if problems:
        typer.echo(
            f"klgen lint: {problems} problem(s) in {len(files)} file(s)", err=True
        )
        raise typer.Exit(1)
    typer.echo(f"klgen lint: {len(files)} file(s) clean", err=True)


def register(app: typer.Typer, handle_errors: Any) -> None:
    app.command("lint")(handle_errors(lint))
