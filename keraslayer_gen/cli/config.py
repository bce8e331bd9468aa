"""`klgen config`: the effective configuration, and where each value came from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer


def config(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON: key -> {value, origin}.")
    ] = False,
) -> None:
    """Show the effective `[tool.klgen]` configuration of this repository, each value
    with its origin: configured in pyproject.toml, inferred from the project, or the
    default.

    Example: `klgen config`, then `klgen init` to write the inferred values down.
    """
    from keraslayer_gen.workflows.config import effective_config

    root, settings = effective_config(Path.cwd())
    if as_json:
        data = {s.key: {"value": s.value, "origin": s.origin} for s in settings}
        typer.echo(json.dumps({"root": str(root), "settings": data}, indent=2))
        return
    typer.echo(f"repository root: {root}")
    # TOML-like lines: `key = value  # origin`, values as they would be written.
    shown = [
        (s.key, "(not set)" if s.value is None else json.dumps(s.value), s.origin)
        for s in settings
    ]
    key_width = max(len(key) for key, _, _ in shown)
    value_width = max(len(value) for _, value, _ in shown)
    for key, value, origin in shown:
        typer.echo(f"{key:<{key_width}} = {value:<{value_width}}  # {origin}")


def register(app: typer.Typer, handle_errors: Any) -> None:
    app.command("config")(handle_errors(config))
