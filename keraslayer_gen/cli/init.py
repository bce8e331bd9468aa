"""`klgen init`: adopt klgen in a repository (`[tool.klgen]` and the pre-commit hooks)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from keraslayer_gen.cli.options import Diff, DryRun, Package, Target
from keraslayer_gen.cli.output import print_plan
from keraslayer_gen.errors import KlgenError


def init(
    package: Package = None,
    layers_dir: Annotated[
        str | None, typer.Option("--layers-dir", help="Where generated layers go.")
    ] = None,
    tests_dir: Annotated[
        str | None, typer.Option("--tests-dir", help="Where their tests go.")
    ] = None,
    specs: Annotated[
        str | None,
        typer.Option("--specs", help="Where specs go (default: beside the layers)."),
    ] = None,
    target: Target = None,
    pre_commit: Annotated[
        bool,
        typer.Option(
            "--pre-commit/--no-pre-commit",
            help="Add klgen's hooks to .pre-commit-config.yaml.",
        ),
    ] = True,
    dry_run: DryRun = False,
    diff: Diff = False,
) -> None:
    """Write `[tool.klgen]` into pyproject.toml (comments and formatting kept) and add the
    `klgen-check` and `klgen-verify` hooks to .pre-commit-config.yaml. Running it again
    changes nothing; flags override what is configured, which overrides what is inferred.

    Example: `klgen init --layers-dir src/my_project/layers --tests-dir tests/layers`
    """
    from keraslayer_gen.files.layout import load_layout
    from keraslayer_gen.files.plan import write_all
    from keraslayer_gen.workflows.init import plan_init

    overrides = {
        key: value
        for key, value in (
            ("package", package),
            ("layers_dir", layers_dir),
            ("tests_dir", tests_dir),
            ("specs", specs),
            ("target", target),
        )
        if value is not None
    }
    layout = load_layout(Path.cwd(), overrides)
    for line in layout.inferred:
        typer.echo(f"klgen: inferred {line}", err=True)
    plan = plan_init(layout, pre_commit=pre_commit)
    print_plan(plan, diff=diff, dry_run=dry_run, all_or_none=True)
    if plan.conflicts:
        raise KlgenError(f"{len(plan.conflicts)} conflict(s); nothing was written")
    if not dry_run:
        write_all(plan)


def register(app: typer.Typer, handle_errors: Any) -> None:
    app.command("init")(handle_errors(init))
