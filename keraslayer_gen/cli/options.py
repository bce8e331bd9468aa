"""The options several `klgen` commands share, each declared once as an `Annotated` alias.

A command that shows an option in a help panel of its own takes it with `in_panel`.
"""

from __future__ import annotations

from copy import copy
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_args

import typer

from keraslayer_gen.errors import KlgenError

if TYPE_CHECKING:
    from keraslayer_gen.files.layout import Layout

Templates = Annotated[
    Path | None,
    typer.Option(
        "--templates",
        metavar="DIR",
        help="A templates overlay: a folder whose files replace klgen's templates of "
        "the same name (default: `[tool.klgen].templates`).",
        show_default=False,
    ),
]
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Print what would happen; write nothing.")
]
Diff = Annotated[
    bool, typer.Option("--diff", help="Show unified diffs against the disk.")
]
#: The spec's `target` field (`klgen new`) and the repository's (`klgen init`).
Target = Annotated[
    str | None, typer.Option("--target", help="keras3 (default) or tf-keras.")
]
Package = Annotated[
    str | None,
    typer.Option("--package", help="Package of register_keras_serializable."),
]


def in_panel(alias: Any, panel: str) -> Any:
    """`alias` shown in the help panel `panel` of a command's `--help`."""
    base, info = get_args(alias)
    info = copy(info)
    info.rich_help_panel = panel
    return Annotated[base, info]


def check_target(target: str | None) -> None:
    """`--target` names one of the spec's targets."""
    from keraslayer_gen.spec.registry import TARGETS

    if target is not None and target not in TARGETS:
        raise KlgenError(f"--target {target}: expected {' or '.join(TARGETS)}")


def use_templates(layout: Layout, templates: Path | None) -> Layout:
    """`--templates DIR` over `[tool.klgen].templates`; the overlay's warnings on stderr."""
    from keraslayer_gen.cli.output import print_overlay_warnings
    from keraslayer_gen.generate.overlay import load_overlay

    if templates is not None:
        layout = replace(layout, templates=templates)
    if layout.templates is not None:
        print_overlay_warnings(load_overlay(layout.templates))
    return layout
