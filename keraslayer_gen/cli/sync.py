"""`klgen sync`: regenerate every spec'd layer, keeping the code in user regions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from keraslayer_gen.cli.options import Diff, DryRun, Templates, use_templates
from keraslayer_gen.cli.output import print_inferred, print_plan
from keraslayer_gen.errors import KlgenError


def sync(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Specs, generated files or folders (default: the repository's specs, "
            "layers and tests folders).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Overwrite files edited outside their user regions."
        ),
    ] = False,
    dry_run: DryRun = False,
    templates: Templates = None,
    diff: Diff = False,
) -> None:
    """Regenerate every spec'd layer and its test after a spec, klgen or template change.

    Spec-owned code follows the spec; code inside user regions is carried over verbatim.
    A file edited outside its regions is a `conflict` and is left alone (exit 2) unless
    `--force`.

    Examples:

    * `klgen sync` (the whole repository)
    * `klgen sync src/my_project/layers/scale.klgen.yaml --diff --dry-run`
    """
    from keraslayer_gen.files.layout import load_layout
    from keraslayer_gen.files.plan import Plan
    from keraslayer_gen.workflows.sync import plan_sync, write_sync

    layout = use_templates(load_layout(Path.cwd()), templates)
    planned = plan_sync(layout, paths or None, force=force)
    print_inferred(layout)  # after the paths were found: a typo's error comes alone
    errors = [line for layer in planned.layers for line in layer.error]
    for line in errors:
        typer.echo(line, err=True)
    for layer in planned.layers:
        for stray in layer.stray:
            planned.notes.append(
                f"{stray.path}: generated from {layer.label}, which now generates a "
                "different module; delete it if nothing uses it"
            )
    shown = Plan(root=layout.root, changes=planned.changes(), notes=planned.notes)
    print_plan(shown, diff=diff, dry_run=dry_run)
    if not planned.layers and not errors:
        typer.echo("klgen sync: no klgen specs found; nothing to do", err=True)
    if not dry_run:
        write_sync(planned)
    conflicts = len(shown.conflicts)
    if conflicts or errors:
        parts = []
        if conflicts:
            parts.append(f"{conflicts} conflict(s) left alone")
        if errors:
            failed = sum(1 for layer in planned.layers if layer.error)
            parts.append(f"{failed} spec(s) could not be synced")
        done = sum(1 for layer in planned.layers if layer.plan and not layer.conflicted)
        others = f"; the {done} other(s) were {'checked' if dry_run else 'synced'}"
        raise KlgenError(f"klgen sync: {' and '.join(parts)}{others if done else ''}")


def register(app: typer.Typer, handle_errors: Any) -> None:
    app.command("sync")(handle_errors(sync))
