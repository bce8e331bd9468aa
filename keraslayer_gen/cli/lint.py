"""`klgen lint`: the static contract checks on every Keras layer class of some files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer


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
    from keraslayer_gen.workflows.lint import lint_paths

    run = lint_paths(paths)
    for line in run.lines:
        typer.echo(line)
    if run.problems:
        typer.echo(
            f"klgen lint: {run.problems} problem(s) in {len(run.files)} file(s)",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"klgen lint: {len(run.files)} file(s) clean", err=True)


def register(app: typer.Typer, handle_errors: Any) -> None:
    app.command("lint")(handle_errors(lint))
