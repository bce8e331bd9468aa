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

from keraslayer_gen import api
from keraslayer_gen.cli import app
from keraslayer_gen.errors import SpecError
from keraslayer_gen.spec import model as spec
from keraslayer_gen.spec import schema as schema_file
from keraslayer_gen.spec import values
from keraslayer_gen.spec.load import load_spec_text
from tests.test_flags_parity import EVERY_NEW_FIELD, ONE_INPUT_EXAMPLES, TRICKY


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


@pytest.mark.parametrize(
    "text", [EVERY_NEW_FIELD, ONE_INPUT_EXAMPLES], ids=["every-new-field", "one-input"]
)
def test_a_spec_of_every_new_field_validates(
    validator: jsonschema.Draft202012Validator, text: str
) -> None:
    load_spec_text(text)  # klgen accepts it...
    errors = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(yaml.safe_load(text))
    ]
    assert errors == []  # ...so the schema must too


def test_every_new_field_is_in_the_schema(schema: dict[str, Any]) -> None:
    fields = set(schema["properties"])
    assert {
        "base",
        "base_args",
        "imports",
        "layers",
        "inputs",
        "input_list",
        "outputs",
        "call_args",
        "methods",
        "losses",
        "random_inference",
        "state_on",
    } <= fields
    defs = schema["$defs"]
    assert set(defs["SubLayer"]["properties"]) == {"layer", "args", "build", "doc"}
    assert set(defs["InputDecl"]["properties"]) == {
        "ndim",
        "min_ndim",
        "max_ndim",
        "dtype",
        "mask",
        "optional",
        "doc",
    }
    assert set(defs["OutputDecl"]["properties"]) == {"shape", "mask", "dtype", "doc"}
    assert set(defs["CallArg"]["properties"]) == {"type", "default", "doc"}
    assert set(defs["Method"]["properties"]) == {"args", "body", "doc"}
    assert {"inputs", "call_args", "min", "max", "padding"} <= set(
        defs["Example"]["properties"]
    )
    assert "required" not in defs["Example"]  # `input_shape` or `inputs`
    assert set(defs["TensorExample"]["properties"]) == {
        "shape",
        "dtype",
        "min",
        "max",
        "padding",
        "mask",
    }
    assert {"methods", "losses"} <= set(defs["TargetBodies"]["properties"])
    assert "name" in defs["Weight"]["properties"]
    assert "forward" in json.dumps(schema["properties"]["training"])
    assert "use" in schema["properties"]["masking"]["enum"]
    arg_type = defs["Arg"]["properties"]["type"]["pattern"]
    assert re.match(arg_type, "layer | None") and re.match(arg_type, "dict")


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

AP = "additionalProperties"

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
    # the fields of issue 11
    ("unknown-sub-layer-key", ("layers",), {"ffn": {"layer": "Dense", "unit": 3}}, AP),
    ("sub-layer-without-class", ("layers",), {"ffn": {"args": {}}}, "required"),
    (
        "sub-layer-class-not-a-name",
        ("layers",),
        {"ffn": {"layer": "Dense()"}},
        "pattern",
    ),
    ("sub-layer-name-not-snake", ("layers",), {"FFN": {"layer": "Dense"}}, "pattern"),
    (
        "sub-layer-build-a-number",
        ("layers",),
        {"f": {"layer": "Dense", "build": 3}},
        "type",
    ),
    ("base-not-a-class", ("base",), "keras.layers.Dense()", "pattern"),
    ("base-arg-name-not-snake", ("base_args",), {"AutoCast": False}, "pattern"),
    ("import-outside-the-allow-list", ("imports",), ["os"], "pattern"),
    ("import-alias-not-a-name", ("imports",), ["numpy as 1np"], "pattern"),
    ("input-name-not-snake", ("inputs",), {"Query": {}}, "pattern"),
    ("input-ndim-not-an-int", ("inputs",), {"query": {"ndim": "3"}}, "type"),
    ("input-unknown-dtype", ("inputs",), {"ids": {"dtype": "int33"}}, "enum"),
    ("input-list-not-a-bool", ("input_list",), "yes", "type"),
    ("output-unknown-key", ("outputs",), {"a": {"shap": "same"}}, AP),
    (
        "call-arg-unknown-type",
        ("call_args",),
        {"start": {"type": "integer"}},
        "pattern",
    ),
    ("call-arg-without-type", ("call_args",), {"start": {"default": 0}}, "required"),
    ("method-without-body", ("methods",), {"helper": {"args": "x"}}, "required"),
    ("loss-not-a-string", ("losses",), [1], "type"),
    ("unknown-training-mode", ("training",), "forwards", "const"),
    ("unknown-state-on", ("state_on",), "always", "enum"),
    ("random-inference-not-a-bool", ("random_inference",), "yes", "type"),
    (
        "weight-name-not-snake",
        ("weights",),
        {"k": {"shape": [], "name": "K"}},
        "pattern",
    ),
    ("example-min-not-a-number", ("examples", 0, "min"), "low", "type"),
    ("example-call-args-name", ("examples", 0, "call_args"), {"Start": 1}, "pattern"),
    (
        "example-tensor-empty-shape",
        ("examples", 0),
        {"inputs": {"x": {"shape": []}}},
        "minItems",
    ),
    (
        "example-tensor-unknown-key",
        ("examples", 0),
        {"inputs": {"x": {"shape": [2, 3], "padd": 0}}},
        AP,
    ),
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
    assert keyword in _keywords(errors)
    with pytest.raises(SpecError):
        load_spec_text(yaml.safe_dump(data, sort_keys=False))


def _keywords(errors: list[Any]) -> set[str]:
    """The keywords that failed, also inside `anyOf` branches (at any depth)."""
    out: set[str] = set()
    for error in errors:
        out.add(str(error.validator))
        out |= _keywords(list(error.context or []))
    return out


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
    if values.parse_range(text) is not None:
        assert re.match(spec.RANGE_PATTERN, text)
    else:
        # the schema may be looser than klgen (it cannot check the bounds are numbers),
        # but the syntax errors of these cases are caught by both
        assert not re.match(spec.RANGE_PATTERN, text)


def test_the_schema_dtypes_are_the_rules_dtypes() -> None:
    # Every dtype field of the JSON Schema offers exactly the dtypes the rules accept.
    schema = schema_file.spec_schema()
    fields = [
        schema["$defs"][name]["properties"]["dtype"] for name in ("Example", "Weight")
    ]
    fields.append(schema["properties"]["output_dtype"])
    for field in fields:
        assert [d for d in field["enum"] if d is not None] == list(values.DTYPES)


def test_schema_indent_option() -> None:
    result = CliRunner().invoke(app, ["schema", "--indent", "0"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["title"] == "klgen layer spec, format 1"
    assert "\n  " not in result.stdout


@pytest.mark.parametrize(
    "text",
    [
        "math",
        "numpy as np",
        "  numpy   as   np  ",
        "collections",
        "warnings as w",
        "os",
        "numpy as",
        "numpy np",
        "numpy as 1np",
        "numpy.linalg",
        "Numpy",
        "",
    ],
)
def test_the_import_pattern_matches_what_klgen_accepts(text: str) -> None:
    data = {**BASE, "imports": [text]}
    try:
        load_spec_text(yaml.safe_dump(data, sort_keys=False))
        accepted = True
    except SpecError:
        accepted = False
    assert bool(re.match(schema_file.import_pattern(), text)) == accepted


@pytest.mark.parametrize(
    "text",
    [
        "int",
        "tensor | None",
        "None | float",
        "bool|None",
        " str ",
        "integer",
        "None",
        "int | float",
        "tensor | None | None",
        "Tensor",
    ],
)
def test_the_call_arg_type_pattern_matches_what_klgen_parses(text: str) -> None:
    parsed = values.call_arg_type(text) is not None
    assert bool(re.match(schema_file.call_arg_type_pattern(), text)) == parsed
