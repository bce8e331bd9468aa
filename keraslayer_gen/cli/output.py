"""What the commands print besides their reports: a plan (one status line per file,
diffs on request), what the layout inferred, the warnings of a templates overlay."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import typer

from keraslayer_gen.files.plan import CONFLICT, CREATE, UPDATE, Plan

if TYPE_CHECKING:
    from keraslayer_gen.files.layout import Layout
    from keraslayer_gen.generate.overlay import Overlay

_WIDTH = 9


def print_plan(
    plan: Plan, *, diff: bool = False, dry_run: bool = False, all_or_none: bool = False
) -> None:
    """One line per file. With `all_or_none` (a run that writes all its files or none),
    a conflict blocks the others: they are shown as `skipped`, not as written."""
    blocked = all_or_none and bool(plan.conflicts) and not dry_run
    for change in plan.changes:
        status = change.status
        if blocked and status in (CREATE, UPDATE):
            status = "skipped"
        line = f"{status:<{_WIDTH}} {plan.display(change)}"
        if change.status == CONFLICT and change.reason:
            line += f"  ({change.reason})"
        elif status == "skipped":
            line += f"  (would {change.status}; not written because of the conflict)"
        typer.echo(line, err=change.status == CONFLICT)
        if diff and change.status in ("update", "create", "conflict"):
            typer.echo(change.diff(plan.root), nl=False)
    for note in plan.notes:
        typer.echo(f"note: {note}", err=True)
    if dry_run:
        typer.echo("dry run: nothing was written", err=True)


def err(line: str) -> None:
    """One line on stderr."""
    typer.echo(line, err=True)


def print_inferred(layout: Layout) -> None:
    """Say what klgen guessed because `[tool.klgen]` does not say it."""
    for line in layout.inferred:
        err(
            f"klgen: no [tool.klgen] {line.split(' = ')[0]} in pyproject.toml; "
            f"inferred {line}"
        )


def print_overlay_warnings(overlay: Overlay) -> None:
    for warning in overlay.warnings():
        err(f"warning: {warning}")


def print_report(report: Any, as_json: bool, color: bool) -> None:
    """A `klgen verify` report: as JSON, or as text (coloured on a terminal)."""
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        typer.echo(report.render(color=color and sys.stdout.isatty()), nl=False)


def progress_listener(
    resolved: list[tuple[Any, Any]], backends: list[str], color: bool
) -> Any:
    """The progress of `klgen verify` on stderr: a live line per backend on a terminal,
    one line per finished check elsewhere."""
    from keraslayer_gen.harness.progress import LiveProgress, PlainProgress

    names = {
        (b, i): t.class_name for i, (t, _) in enumerate(resolved) for b in backends
    }
    if sys.stderr.isatty():
        return LiveProgress(backends, names, sys.stderr, color)
    return PlainProgress(backends, names, sys.stderr)
