"""`klgen examples` and `klgen schema`: what klgen knows, for people and editors."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer


def examples() -> None:
    """List the bundled examples, one line each.

    Example: `klgen new --example group-normalization --out layers/`
    """
    from .. import api

    names = api.example_names()
    width = max(len(n) for n in names)
    for name in names:
        spec = api.load_example(name).spec
        typer.echo(f"{name:<{width}}  {spec.summary}")


def spec_schema() -> dict[str, Any]:
    """The JSON Schema of spec format 1."""
    from ..spec import LayerSpec

    schema = LayerSpec.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://klgen.dev/schema/klgen-spec-1.json",
        "title": "klgen layer spec, format 1",
        **schema,
    }


def schema(
    indent: Annotated[int, typer.Option("--indent", help="JSON indentation.")] = 2,
) -> None:
    """Print the JSON Schema of the spec, for editors.

    Example: `klgen schema > klgen-spec.schema.json`, then start a spec with
    `# yaml-language-server: $schema=klgen-spec.schema.json`.
    """
    typer.echo(json.dumps(spec_schema(), indent=indent))


def register(app: typer.Typer, handle_errors: Any) -> None:
    app.command("examples")(handle_errors(examples))
    app.command("schema")(handle_errors(schema))
