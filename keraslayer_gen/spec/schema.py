"""The JSON Schema of the spec format, the file that every saved spec's modeline points at
(writing that file is `files.schema_file`'s).

A spec klgen saves starts with `# yaml-language-server: $schema=klgen-spec.schema.json`,
a path relative to the spec. klgen writes that file beside the specs (`klgen init`, and
`new`/`sync` when it is missing or stale) and `klgen check` reports it missing or stale,
so an editor with the YAML language server completes and checks specs as they are typed.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from keraslayer_gen.spec.registry import import_pattern as registry_import_pattern
from keraslayer_gen.spec.registry import optional_type_pattern

SCHEMA_NAME = "klgen-spec.schema.json"
SCHEMA_ID = "https://klgen.dev/schema/klgen-spec-1.json"
MODELINE = f"$schema={SCHEMA_NAME}"


def import_pattern() -> str:
    """What an entry of `imports` may be: an allowed module, optionally `as NAME`."""
    from keraslayer_gen.spec.model import ALLOWED_IMPORTS

    return registry_import_pattern(ALLOWED_IMPORTS)


def call_arg_type_pattern() -> str:
    """What a call argument's `type` may be: one type, optionally `| None`."""
    from keraslayer_gen.spec.model import CALL_ARG_TYPES

    return optional_type_pattern(CALL_ARG_TYPES)


def spec_schema() -> dict[str, Any]:
    """The JSON Schema of spec format 1."""
    from keraslayer_gen.spec.model import LayerSpec

    schema = LayerSpec.model_json_schema()
    # Patterns the model leaves to the rules, so that an editor flags them as typed.
    schema["properties"]["imports"]["items"]["pattern"] = import_pattern()
    call_arg = schema["$defs"]["CallArg"]["properties"]["type"]
    call_arg["pattern"] = call_arg_type_pattern()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "klgen layer spec, format 1",
        **schema,
    }


@cache
def schema_text() -> str:
    """The schema file's text: the same bytes for the same klgen."""
    return json.dumps(spec_schema(), indent=2) + "\n"
