"""`klgen templates`: list klgen's templates, eject one into an overlay, check an overlay."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keraslayer_gen.cli.options import DryRun, Templates
from keraslayer_gen.cli.output import print_overlay_warnings
from keraslayer_gen.errors import KlgenError

if TYPE_CHECKING:
    from keraslayer_gen.files.layout import Layout
    from keraslayer_gen.generate.overlay import Overlay


def _overlay(templates: Path | None) -> Overlay | None:
    """The overlay of `--templates`, else of `[tool.klgen].templates`, else None."""
    from keraslayer_gen.files.layout import configured_templates
    from keraslayer_gen.generate.overlay import load_overlay

    folder = templates if templates is not None else configured_templates(Path.cwd())
    return load_overlay(folder) if folder is not None else None


def list_templates(templates: Templates = None) -> None:
    """List klgen's built-in templates, marking those the overlay replaces.

    Example: `klgen templates list --templates my_templates`
    """
    from keraslayer_gen.generate.context import TEMPLATE_API
    from keraslayer_gen.generate.overlay import builtin_names, unreachable

    overlay = _overlay(templates)
    names = builtin_names()
    if overlay is None:
        typer.echo(f"klgen's templates (template API {TEMPLATE_API}); no overlay:")
    else:
        declared = overlay.template_api or "not declared"
        typer.echo(
            f"klgen's templates (template API {TEMPLATE_API}); overlay "
            f"{overlay.display()} (template_api: {declared}, digest {overlay.digest}):"
        )
    width = max(len(n) for n in names) + 2
    replaced = set(overlay.overrides()) if overlay else set()
    for name in names:
        mark = ""
        if overlay is not None and name in replaced:
            mark = f"overridden by {overlay.display(name)}"
        typer.echo(f"  {name:<{width}}{mark}".rstrip())
    if overlay is not None:
        extra = [n for n in overlay.files if n.endswith(".jinja") and n not in names]
        lost = set(unreachable(overlay))
        for name in extra:
            note = "not used by any template" if name in lost else "used by the overlay"
            typer.echo(f"  {name:<{width}}overlay only ({note})")
        print_overlay_warnings(overlay)


def eject(
    names: Annotated[
        list[str],
        typer.Argument(
            help="Built-in templates, e.g. `keras3/layer.py.jinja`.", show_default=False
        ),
    ],
    to: Annotated[
        Path | None,
        typer.Option(
            "--to",
            metavar="DIR",
            help="The overlay folder (default: `[tool.klgen].templates`).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a file of the same name.")
    ] = False,
    dry_run: DryRun = False,
) -> None:
    """Copy built-in templates into an overlay folder, to change them there. The first
    eject also writes `klgen-templates.toml`, declaring the template API they follow.

    Example: `klgen templates eject macros/header.jinja --to my_templates`
    """
    from keraslayer_gen.cli.output import print_plan
    from keraslayer_gen.files.layout import configured_templates
    from keraslayer_gen.files.plan import write_all
    from keraslayer_gen.generate.overlay import plan_eject

    folder = to if to is not None else configured_templates(Path.cwd())
    if folder is None:
        raise KlgenError(
            "give the overlay folder with --to DIR, or set `templates` "
            "under [tool.klgen] in pyproject.toml"
        )
    plan = plan_eject(names, folder, force=force)
    print_plan(plan, dry_run=dry_run)
    if plan.conflicts:
        raise KlgenError(f"{len(plan.conflicts)} conflict(s); nothing was written")
    if not dry_run:
        write_all(plan)
    if to is not None and configured_templates(Path.cwd()) is None:
        typer.echo(
            f"next: use it with `--templates {folder}`, or set `templates = "
            f'"{folder.as_posix()}"` under [tool.klgen] in pyproject.toml',
            err=True,
        )


def check(
    folder: Annotated[
        Path | None,
        typer.Argument(
            help="The overlay folder (default: --templates, else "
            "`[tool.klgen].templates`).",
            show_default=False,
        ),
    ] = None,
    templates: Templates = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Also run `klgen verify` on every "
            "generated layer, on one backend (needs Keras).",
        ),
    ] = False,
    backend: Annotated[
        str | None,
        typer.Option(
            "--backend",
            help="The backend of --verify (default: "
            "the first of [tool.klgen].backends, else the first installed).",
        ),
    ] = None,
    example: Annotated[
        list[str] | None,
        typer.Option(
            "--example",
            help="Render only this catalogue example (repeatable); "
            "the repository's specs are then left out.",
        ),
    ] = None,
) -> None:
    """Render every catalogue example and every spec of the repository through the
    overlay, for each target the spec supports: each file must parse, be a black and ruff
    fixed point and pass the static lint (and `klgen verify`, with --verify).

    Exit 0 when all pass; 1 with `TEMPLATE:LINE: problem [spec, target]` lines otherwise.

    Example: `klgen templates check my_templates --verify --backend jax`
    """
    from keraslayer_gen.files.layout import load_layout
    from keraslayer_gen.generate.overlay import load_overlay
    from keraslayer_gen.workflows.templates import check_templates

    if folder is not None and templates is not None and folder != templates:
        raise KlgenError(
            f"two overlays given ({folder} and --templates {templates}); give one"
        )
    layout = load_layout(Path.cwd())
    chosen = folder or templates or layout.templates
    overlay = load_overlay(chosen) if chosen is not None else None
    if overlay is not None:
        print_overlay_warnings(overlay)
    else:
        typer.echo(
            "note: no overlay given or configured; checking klgen's built-in "
            "templates",
            err=True,
        )
    chosen_backend = _backend(backend, layout) if verify else None
    progress = (
        (lambda line: typer.echo(line, err=True)) if sys.stderr.isatty() else None
    )
    report = check_templates(
        overlay,
        layout,
        examples=example,
        verify_backend=chosen_backend,
        progress=progress,
    )
    lines = report.lines()
    for line in lines:
        typer.echo(line)
    for note in report.notes:
        typer.echo(f"note: {note}", err=True)
    name = overlay.display() if overlay is not None else "klgen's templates"
    if report.problems:
        # Count what was printed: one problem seen in six renderings is one problem.
        seen = len({problem.case for problem in report.problems})
        typer.echo(
            f"klgen templates check: {len(lines)} problem(s) in {name}, seen in "
            f"{seen} of {report.cases} spec/target rendering(s)",
            err=True,
        )
        raise typer.Exit(1)
    verified = (
        f"; {report.verified} layer(s) verified on {chosen_backend}"
        if chosen_backend
        else ""
    )
    typer.echo(
        f"klgen templates check: {name}: {report.cases} spec/target rendering(s), "
        f"{report.files} file(s) parse and are black, ruff and lint clean{verified}",
        err=True,
    )


def _backend(requested: str | None, layout: Layout) -> str:
    from keraslayer_gen.harness import resolve_backends

    return resolve_backends([requested] if requested else None, layout.backends)[0]


def register(app: typer.Typer, handle_errors: Any) -> None:
    sub = typer.Typer(
        help="Custom templates: list klgen's, eject one into an overlay folder, check "
        "an overlay against the catalogue and the repository's specs.",
        no_args_is_help=True,
        rich_markup_mode="markdown",
    )
    sub.command("list")(handle_errors(list_templates))
    sub.command("eject")(handle_errors(eject))
    sub.command("check")(handle_errors(check))
    app.add_typer(sub, name="templates")
