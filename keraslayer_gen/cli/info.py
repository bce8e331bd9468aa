"""`klgen examples` and `klgen schema`: what klgen knows, for people and editors."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer


def examples() -> None:
    """List the bundled examples, one line each.

    Example: `klgen new --example group-normalization --out layers/`
    """
    from keraslayer_gen.spec.catalogue import example_names, load_example

    names = example_names()
    width = max(len(n) for n in names)
    for name in names:
        spec = load_example(name).spec
        typer.echo(f"{name:<{width}}  {spec.summary}")


def schema(
    indent: Annotated[int, typer.Option("--indent", help="JSON indentation.")] = 2,
) -> None:
    """Print the JSON Schema of the spec, for editors.

    klgen writes it beside the specs as `klgen-spec.schema.json` (`klgen init`, `new`,
    `sync`), where the first line of every saved spec,
    `# yaml-language-server: $schema=klgen-spec.schema.json`, points.
    """
    from keraslayer_gen.spec.schema import spec_schema

    typer.echo(json.dumps(spec_schema(), indent=indent))


def register(app: typer.Typer, handle_errors: Any) -> None:
    app.command("examples")(handle_errors(examples))
    app.command("schema")(handle_errors(schema))
