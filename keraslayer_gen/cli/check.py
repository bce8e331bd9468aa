"""`klgen check`: read-only, for pre-commit and CI; exit 1 when anything is stale or broken."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from keraslayer_gen.cli.options import Templates, use_templates


def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Specs, generated files, layer files or folders (default: the "
            "repository's specs, layers and tests folders).",
            show_default=False,
        ),
    ] = None,
    templates: Templates = None,
    diff: Annotated[
        bool, typer.Option("--diff", help="Show what `klgen sync` would change.")
    ] = False,
) -> None:
    """Check that every spec is valid, every generated file is what `klgen sync` writes,
    nothing is edited outside user regions, and every layer passes the static lint.

    Writes nothing and never imports Keras. Exit 0 when all is well, 1 with one line per
    problem (and its fix) otherwise.

    Example: `klgen check --diff`
    """
    from keraslayer_gen.files.layout import load_layout
    from keraslayer_gen.workflows.check import check_repository

    layout = use_templates(load_layout(Path.cwd()), templates)
    report = check_repository(layout, paths or None)
    for problem in report.problems:
        typer.echo(problem)
    if diff:
        for text in report.diffs:
            typer.echo(text, nl=False)
    for note in report.notes:
        typer.echo(f"note: {note}", err=True)
    if report.problems:
        typer.echo(
            f"klgen check: {len(report.problems)} problem(s); fix them as each line says",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(
        f"klgen check: {report.specs} spec(s) in sync, {report.linted} file(s) lint-clean",
        err=True,
    )


def register(app: typer.Typer, handle_errors: Any) -> None:
    app.command("check")(handle_errors(check))
