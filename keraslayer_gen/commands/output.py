"""Printing a plan: one status line per file, diffs on request."""

from __future__ import annotations

import typer

from ..writer import CONFLICT, Plan

_WIDTH = 9


def print_plan(plan: Plan, *, diff: bool = False, dry_run: bool = False) -> None:
    for change in plan.changes:
        line = f"{change.status:<{_WIDTH}} {plan.display(change)}"
        if change.status == CONFLICT and change.reason:
            line += f"  ({change.reason})"
        typer.echo(line, err=change.status == CONFLICT)
        if diff and change.status in ("update", "create", "conflict"):
            typer.echo(change.diff(plan.root), nl=False)
    for note in plan.notes:
        typer.echo(f"note: {note}", err=True)
    if dry_run:
        typer.echo("dry run: nothing was written", err=True)
