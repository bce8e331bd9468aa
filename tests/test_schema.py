"""`klgen schema`: a Draft 2020-12 JSON Schema that accepts every spec klgen accepts (the
catalogue, a spec of tricky values), rejects what klgen rejects for structure, and
documents every field for editors."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from keraslayer_gen import api, rules, spec
from keraslayer_gen.cli import app
from keraslayer_gen.diagnostics import SpecError
from keraslayer_gen.loader import load_spec_text
from tests.test_flags_parity import TRICKY


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema)


def test_the_schema_is_a_valid_draft_2020_12_schema(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["title"] == "klgen layer spec, format 1"
    assert schema["properties"]["klgen"]["const"] == spec.FORMAT_VERSION


@pytest.mark.parametrize("example", api.example_names())
def test_every_catalogue_spec_validates(
    validator: jsonschema.Draft202012Validator, example: str
) -> None:
    data = yaml.safe_load(api.example_text(example))
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)
    ]
    assert errors == []


def test_a_spec_of_every_field_validates(
    validator: jsonschema.Draft202012Validator,
) -> None:
    load_spec_text(TRICKY)  # klgen accepts it...
    errors = [e.message for e in validator.iter_errors(yaml.safe_load(TRICKY))]
    assert errors == []  # ...so the schema must too


BASE = {
    "klgen": 1,
    "name": "Scale",
    "summary": "Scales.",
    "args": {"factor": {"type": "float", "default": 2.0, "range": "(0, inf)"}},
    "examples": [{"input_shape": [2, 3]}],
}


def _with(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(BASE))
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


_DELETE = object()

#: (id, path, value, the schema keyword that rejects it)
INVALID = [
    ("unknown-top-level-key", ("colour",), "red", "additionalProperties"),
    ("unknown-arg-key", ("args", "factor", "rnage"), "(0, 1]", "additionalProperties"),
    ("wrong-type", ("training",), "yes", "type"),
    ("wrong-type-of-shape", ("examples", 0, "input_shape"), "2, 3", "type"),
    ("missing-summary", ("summary",), _DELETE, "required"),
    ("no-examples", ("examples",), [], "minItems"),
    ("unknown-format", ("klgen",), 2, "const"),
    ("unknown-masking", ("masking",), "propgate", "enum"),
    ("class-name-not-pascal", ("name",), "scale_layer", "pattern"),
    ("unknown-arg-type", ("args", "factor", "type"), "flaot", "pattern"),
    ("bad-range", ("args", "factor", "range"), "0..1", "pattern"),
    ("arg-name-not-snake", ("args", "Factor"), {"type": "float"}, "pattern"),
    ("unknown-dtype", ("examples", 0, "dtype"), "float33", "enum"),
]


@pytest.mark.parametrize(
    ("path", "value", "keyword"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_the_schema_rejects_what_klgen_rejects(
    validator: jsonschema.Draft202012Validator,
    path: tuple[Any, ...],
    value: Any,
    keyword: str,
) -> None:
    data = _with(path, value)
    errors = list(validator.iter_errors(data))
    assert errors, "the schema accepted it"
    assert keyword in {e.validator for e in errors} | {
        c.validator for e in errors for c in e.context or []
    }
    with pytest.raises(SpecError):
        load_spec_text(yaml.safe_dump(data, sort_keys=False))


def test_the_base_of_the_invalid_cases_is_valid(
    validator: jsonschema.Draft202012Validator,
) -> None:
    assert list(validator.iter_errors(BASE)) == []
    load_spec_text(yaml.safe_dump(BASE, sort_keys=False))


def _properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = [(f"LayerSpec.{k}", v) for k, v in schema["properties"].items()]
    for model, definition in schema["$defs"].items():
        out += [
            (f"{model}.{k}", v) for k, v in definition.get("properties", {}).items()
        ]
    return out


def test_every_field_is_described(schema: dict[str, Any]) -> None:
    undocumented = [
        name for name, prop in _properties(schema) if not prop.get("description")
    ]
    assert undocumented == []
    for name, definition in schema["$defs"].items():
        assert definition.get("description"), f"model {name} has no description"


@pytest.mark.parametrize(
    "text",
    [
        "int",
        "float | None",
        "None | shape",
        "ints|None",
        " activation ",
        "flaot",
        "None",
        "int | float",
        "int | None | None",
        "str|",
        "Int",
    ],
)
def test_the_type_pattern_matches_what_klgen_parses(text: str) -> None:
    try:
        spec.parse_arg_type(text)
        parsed = True
    except ValueError:
        parsed = False
    assert bool(re.match(spec.ARG_TYPE_PATTERN, text)) == parsed


@pytest.mark.parametrize(
    "text",
    [
        "(0, 1]",
        "[1, inf)",
        "(-inf, 0)",
        "[0,1]",
        " ( 0 , 1 ] ",
        "0..1",
        "(0; 1]",
        "[0, 1",
        "(0, 1, 2)",
    ],
)
def test_the_range_pattern_accepts_every_range_klgen_parses(text: str) -> None:
    if rules.parse_range(text) is not None:
        assert re.match(spec.RANGE_PATTERN, text)
    else:
        # the schema may be looser than klgen (it cannot check the bounds are numbers),
        # but the syntax errors of these cases are caught by both
        assert not re.match(spec.RANGE_PATTERN, text)


def test_the_schema_dtypes_are_the_rules_dtypes() -> None:
    assert tuple(spec.DTYPES) == tuple(rules.DTYPES)


def test_schema_indent_option() -> None:
    result = CliRunner().invoke(app, ["schema", "--indent", "0"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["title"] == "klgen layer spec, format 1"
    assert "\n  " not in result.stdout
