"""Command-line flags <-> spec: two spellings of one model.

`--arg 'rate:float=0.5;range=(0, 1];doc=Fraction of the units to drop.'`
`--weight 'kernel:[input_shape[-1], units];initializer=kernel_initializer'`
`--state 'iterations=self.iterations + 1'`
`--layer 'ffn:Dense;units=hidden_dim;activation="relu"'`
`--input 'query:ndim=3;mask=true'`, `--output 'trend:same;mask=mask'`
`--call-arg 'start_index:int=0'`, `--method 'rotate_half:x'` (+ `--method-body`)
`--example-input '4,10,8;init={rate: 0.5};mask=true'`,
`--example-input 'query=2,5,8;value=2,7,8;call_args={start_index: 2}'`
`--set 'path.to.field=YAML value'` reaches every field the others do not.

`spec_to_flags` is the inverse, so that a test can prove the parity for every spec.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from keraslayer_gen.errors import Diagnostic, SpecError
from keraslayer_gen.spec.model import Example, LayerSpec, default_example
from keraslayer_gen.spec.names import did_you_mean, dotted
from keraslayer_gen.spec.registry import BODY_FLAGS, CODE_FILE_FLAGS

_SPLIT = re.compile(r"(?<!\\);")
Path_ = tuple[str | int, ...]
#: Keys whose value is taken as written (not YAML) in `--arg`, `--weight`, `--input`,
#: `--call-arg` and `--example-input`.
STRING_KEYS = {
    "doc",
    "range",
    "type",
    "initializer",
    "regularizer",
    "constraint",
    "dtype",
    "aggregation",
    "when",
    "name",
}
#: The keys of `--output` taken as written: all of them are code or text.
OUTPUT_STRING_KEYS = {"shape", "mask", "dtype", "doc"}
#: The keys of `--method` taken as written.
METHOD_STRING_KEYS = {"args", "body", "doc"}
#: The keys of `--layer` that are `SubLayer` fields, not constructor arguments.
LAYER_KEYS = ("build", "doc")


@dataclass
class Flags:
    """Every flag of `klgen new` that describes the layer (not where to write it)."""

    name: str
    args: list[str] = field(default_factory=list)
    weights: list[str] = field(default_factory=list)
    state: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)
    summary: str | None = None
    description: str | None = None
    references: list[str] = field(default_factory=list)
    module: str | None = None
    package: str | None = None
    target: str | None = None
    masking: str | None = None
    #: True/False (`--training/--no-training`) or "forward" (`--training-forward`)
    training: bool | str | None = None
    seed_generator: str | None = None
    output_shape: str | None = None
    output_dtype: str | None = None
    float32_internal: bool | None = None
    allow_shadowing: bool | None = None
    bodies: dict[str, str] = field(default_factory=dict)  # body/training/... -> code
    #: body/training/... -> the file it was read from, to locate problems in the code
    body_files: dict[str, str] = field(default_factory=dict)
    base: str | None = None
    base_args: list[str] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)
    layers: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    input_list: bool | None = None
    outputs: list[str] = field(default_factory=list)
    call_args: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    #: method name -> the code of `--method-body NAME=FILE`, and the file
    method_bodies: dict[str, str] = field(default_factory=dict)
    method_body_files: dict[str, str] = field(default_factory=dict)
    losses: list[str] = field(default_factory=list)
    state_on: str | None = None
    random_inference: bool | None = None


class FlagData(dict[str, Any]):
    """Spec data made from flags; `origins` maps a field path to the flag that gave
    it, so that `load.load_spec_data` reports a problem against the flag to fix."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.origins: dict[Path_, str] = {}


def _unescape(text: str) -> str:
    return text.replace("\\;", ";")


#: Flag values that mean null, so that `--arg 'seed:int|None=None'` reads as Python.
_NULL_WORDS = ("None", "none", "null", "~")


def _value(text: str) -> Any:
    """A flag value: YAML (`[1, 2]`, `{a: 1}`, `true`, `0.5`); `None` is null."""
    text = text.strip()
    if text in _NULL_WORDS:
        return None
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError, MemoryError):
        return text


def _expression(text: str) -> Any:
    """A value of a sub-layer's or the base's constructor: as in a spec file, numbers,
    `true`/`false`, `null`, lists and mappings are literals; anything else is a Python
    expression taken as written (`"relu"` is the string, `units` the argument)."""
    text = text.strip()
    if text in _NULL_WORDS:
        return None
    try:
        value = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError, MemoryError):
        return text
    if isinstance(value, bool):
        return value if text.lower() in ("true", "false") else text
    if isinstance(value, (int, float, list, dict)):
        return value
    return text


def _problem(flag: str, message: str, path: str = "") -> Diagnostic:
    return Diagnostic(flag, 0, 0, path, message)


def _pairs(
    parts: list[str],
    flag: str,
    problems: list[Diagnostic],
    strings: set[str] | frozenset[str] = frozenset(STRING_KEYS),
    parse: Callable[[str], Any] = _value,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in parts:
        if "=" not in part:
            problems.append(
                _problem(
                    flag,
                    f"`{part}` is not KEY=VALUE (write a `;` inside a value as `\\;`)",
                )
            )
            continue
        key, value = part.split("=", 1)
        key = key.strip()
        if key in out:
            problems.append(_problem(flag, f"`{key}` is given twice"))
        value = _unescape(value)
        out[key] = value.strip() if key in strings else parse(value)
    return out


def _typed(
    text: str, problems: list[Diagnostic], flag_name: str, example: str
) -> tuple[str, dict[str, Any]]:
    """`NAME:TYPE[=DEFAULT][;KEY=VALUE...]`, of `--arg` and `--call-arg`."""
    flag = f"{flag_name} {text!r}"
    head, *rest = _SPLIT.split(text)
    match = re.match(r"^\s*([^:=\s]+)\s*(?::\s*([^=]+?))?\s*(?:=(.*))?$", head)
    if not match or not match.group(2):
        problems.append(_problem(flag, f"expected NAME:TYPE[=DEFAULT], e.g. {example}"))
        return "", {}
    name, type_, default = match.groups()
    data: dict[str, Any] = {"type": " | ".join(t.strip() for t in type_.split("|"))}
    if default is not None:
        base = data["type"].split(" | ")[0]
        default = _unescape(default)
        value = _value(default)
        if (
            base == "str"
            and isinstance(value, (int, float, bool))
            and default.strip() not in ("None", "null")
        ):
            value = default.strip()
        if isinstance(value, tuple):
            value = list(value)
        data["default"] = value
    data.update(_pairs(rest, flag, problems))
    return name, data


def _arg(text: str, problems: list[Diagnostic]) -> tuple[str, dict[str, Any]]:
    return _typed(text, problems, "--arg", "`rate:float=0.5` or `seed:int|None=None`")


def _call_arg(text: str, problems: list[Diagnostic]) -> tuple[str, dict[str, Any]]:
    return _typed(
        text,
        problems,
        "--call-arg",
        "`start_index:int=0` or `attention_mask:tensor|None=None`",
    )


def _shape(text: str) -> list[int | str]:
    tree = ast.parse(text.strip() or "[]", mode="eval").body
    items = tree.elts if isinstance(tree, (ast.List, ast.Tuple)) else [tree]
    return [
        (
            e.value
            if isinstance(e, ast.Constant) and isinstance(e.value, int)
            else ast.unparse(e)
        )
        for e in items
    ]


def _weight(text: str, problems: list[Diagnostic]) -> tuple[str, dict[str, Any]]:
    flag = f"--weight {text!r}"
    head, *rest = _SPLIT.split(text)
    name, colon, shape = head.partition(":")
    if not colon or not name.strip():
        problems.append(
            _problem(
                flag,
                "expected NAME:[SHAPE][;KEY=VALUE...], "
                "e.g. `kernel:[input_shape[-1], units]` or `count:[]`",
            )
        )
        return name.strip(), {}
    try:
        data: dict[str, Any] = {"shape": _shape(_unescape(shape))}
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        problems.append(
            _problem(
                flag, f"`{shape}` is not a shape such as `[input_shape[-1], units]`"
            )
        )
        return name.strip(), {}
    data.update(_pairs(rest, flag, problems))
    return name.strip(), data


def _sub_layer(text: str, problems: list[Diagnostic]) -> tuple[str, dict[str, Any]]:
    """`--layer 'NAME:CLASS[;ARG=VALUE...][;build=SHAPES][;doc=TEXT]'`."""
    flag = f"--layer {text!r}"
    head, *rest = _SPLIT.split(text)
    name, colon, cls = head.partition(":")
    if not colon or not name.strip() or not cls.strip():
        problems.append(
            _problem(
                flag,
                "expected NAME:CLASS[;ARG=VALUE...][;build=SHAPES][;doc=TEXT], e.g. "
                '`ffn:Dense;units=hidden_dim;activation="relu"`',
            )
        )
        return name.strip(), {}
    data: dict[str, Any] = {"layer": _unescape(cls).strip()}
    pairs = _pairs(rest, flag, problems, strings=set(LAYER_KEYS), parse=_expression)
    args = {k: v for k, v in pairs.items() if k not in LAYER_KEYS}
    if args:
        data["args"] = args
    if "build" in pairs:
        data["build"] = _build_value(pairs["build"])
    if "doc" in pairs:
        data["doc"] = pairs["doc"]
    return name.strip(), data


_BOOL_WORDS = {"true": True, "false": False, "True": True, "False": False}


def _build_value(text: str) -> Any:
    """`build=false` is the bool (not built), `null` the default; anything else is the
    expression list as written (`query_shape, value_shape`)."""
    if text in _BOOL_WORDS:
        return _BOOL_WORDS[text]
    return None if text in _NULL_WORDS else text


def _input(text: str, problems: list[Diagnostic]) -> tuple[str, dict[str, Any]]:
    """`--input 'NAME[:KEY=VALUE][;KEY=VALUE...]'`."""
    flag = f"--input {text!r}"
    head, *rest = _SPLIT.split(text)
    name, colon, first = head.partition(":")
    if not name.strip():
        problems.append(
            _problem(
                flag,
                "expected NAME[:KEY=VALUE][;KEY=VALUE...], e.g. `query:ndim=3;mask=true`",
            )
        )
        return "", {}
    parts = [first, *rest] if colon else rest
    return name.strip(), _pairs(parts, flag, problems)


def _output(text: str, problems: list[Diagnostic]) -> tuple[str, dict[str, Any]]:
    """`--output 'NAME[:SHAPE][;mask=EXPRESSION][;dtype=..][;doc=..]'`."""
    flag = f"--output {text!r}"
    head, *rest = _SPLIT.split(text)
    name, colon, shape = head.partition(":")
    if not name.strip():
        problems.append(
            _problem(
                flag,
                "expected NAME[:SHAPE][;KEY=VALUE...], e.g. `trend:same;mask=mask`",
            )
        )
        return "", {}
    data: dict[str, Any] = {}
    if colon:
        data["shape"] = _unescape(shape).strip()
    pairs = _pairs(rest, flag, problems, strings=OUTPUT_STRING_KEYS)
    if "shape" in pairs and colon:
        problems.append(_problem(flag, "`shape` is given twice"))
    data.update(pairs)
    return name.strip(), data


def _method(text: str, problems: list[Diagnostic]) -> tuple[str, dict[str, Any]]:
    """`--method 'NAME[:PARAMETERS][;doc=TEXT][;body=CODE]'`."""
    flag = f"--method {text!r}"
    head, *rest = _SPLIT.split(text)
    name, colon, params = head.partition(":")
    if not name.strip():
        problems.append(
            _problem(
                flag,
                "expected NAME[:PARAMETERS][;doc=TEXT], e.g. `rotate_half:x`, with its "
                "body from `--method-body NAME=FILE`",
            )
        )
        return "", {}
    data: dict[str, Any] = {}
    if colon:
        data["args"] = _unescape(params).strip()
    pairs = _pairs(rest, flag, problems, strings=METHOD_STRING_KEYS)
    if "args" in pairs and colon:
        problems.append(_problem(flag, "`args` is given twice"))
    data.update(pairs)
    return name.strip(), data


_SHAPE_TEXT = re.compile(r"^[\s\d,()\[\]]*\d[\s\d,()\[\]]*$")
_EXAMPLE_KEYS = tuple(Example.model_fields)


def _tensor(text: str) -> Any:
    """An input of `--example-input`: `2,5,8`, `[2, 5, 8]`, or a YAML mapping
    `{shape: [2, 6], dtype: int32, min: 1, max: 99, padding: 0}`; None if neither."""
    text = text.strip()
    if _SHAPE_TEXT.match(text):
        return [int(d) for d in re.split(r"[\s,()\[\]]+", text) if d]
    value = _value(text)
    return value if isinstance(value, (dict, list)) else None


def _example(
    text: str, problems: list[Diagnostic], input_names: list[str] | None = None
) -> dict[str, Any]:
    """`SHAPE[;KEY=VALUE...]` (one input) or `INPUT=SHAPE;...[;KEY=VALUE...]`."""
    flag = f"--example-input {text!r}"
    head, *rest = _SPLIT.split(text)
    data: dict[str, Any] = {}
    if "=" in head:
        rest = [head, *rest]
    else:
        try:
            data["input_shape"] = [
                int(d)
                for d in head.replace("(", "").replace(")", "").split(",")
                if d.strip()
            ]
        except ValueError:
            problems.append(_problem(flag, f"`{head}` is not a shape such as `4,10,8`"))
            data["input_shape"] = []
    fields = [p for p in rest if p.split("=", 1)[0].strip() in _EXAMPLE_KEYS]
    tensors = [p for p in rest if p not in fields]
    if input_names is None and "input_shape" in data:
        # a one-input layer: another key is a misspelt field, which the model reports
        fields, tensors = rest, []
    data.update(_pairs(fields, flag, problems))
    if isinstance(data.get("input_shape"), str):  # `input_shape=2,5,8`
        data["input_shape"] = _tensor(data["input_shape"])
    inputs: dict[str, Any] = {}
    for part in tensors:
        if "=" not in part:
            data.update(_pairs([part], flag, problems))  # the KEY=VALUE problem
            continue
        key, value = (s.strip() for s in _unescape(part).split("=", 1))
        tensor = _tensor(value)
        declared = input_names is not None and key in input_names
        if tensor is None and declared:
            problems.append(
                _problem(
                    flag,
                    f"`{value}` is not a shape such as `2,5,8` or a mapping such as "
                    "`{shape: [2, 6], dtype: int32, min: 1, max: 99}`",
                )
            )
            continue
        if tensor is None or not (declared or input_names is None):
            hint = did_you_mean(key, [*_EXAMPLE_KEYS, *(input_names or [])])
            problems.append(
                _problem(
                    flag, f"`{key}` is neither an example field nor an input{hint}"
                )
            )
            continue
        given = data.get("inputs")
        if key in inputs or (isinstance(given, dict) and key in given):
            problems.append(_problem(flag, f"input `{key}` is given twice"))
            continue
        inputs[key] = tensor
    if inputs:
        given = data.get("inputs")
        data["inputs"] = {**given, **inputs} if isinstance(given, dict) else inputs
    return data


def _set(data: dict[str, Any], text: str, problems: list[Diagnostic]) -> None:
    path, eq, value = text.partition("=")
    flag = f"--set {text!r}"
    if not eq or not path.strip():
        problems.append(
            _problem(flag, "expected PATH=VALUE, e.g. `input_spec.min_ndim=2`")
        )
        return
    keys: list[str | int] = [k.strip() for k in path.strip().split(".")]
    if not all(keys):
        problems.append(
            _problem(
                flag,
                f"`{path.strip()}` is not a field path such as `input_spec.min_ndim`",
            )
        )
        return
    node: Any = data
    for i, key in enumerate(keys):
        if isinstance(node, list):  # `examples.0.mask`: an index into a list
            if not (isinstance(key, str) and key.isdigit() and int(key) < len(node)):
                problems.append(
                    _problem(
                        flag,
                        f"`{key}` is not an index of this list of {len(node)}",
                        dotted(keys[:i]),
                    )
                )
                return
            keys[i] = key = int(key)
        if i == len(keys) - 1:
            break
        node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
        if not isinstance(node, (dict, list)):
            problems.append(
                _problem(
                    flag,
                    f"is not a mapping, so it has no field `{keys[i + 1]}`",
                    dotted(keys[: i + 1]),
                )
            )
            return
    node[keys[-1]] = _value(value)
    if isinstance(data, FlagData):
        data.origins[tuple(keys)] = flag


def _named(
    kind: str,
    items: list[tuple[str, str]],
    parse: Any,
    data: FlagData,
    problems: list[Diagnostic],
) -> None:
    """`--arg`/`--weight`/... values -> `data[kind]` by name; no name twice."""
    out: dict[str, Any] = {}
    for flag, text in items:
        name, value = parse(text, problems)
        if not name:
            continue
        if name in out:
            problems.append(
                _problem(
                    f"{flag} {text!r}",
                    f"`{name}` is given by two {flag} flags",
                    f"{kind}.{name}",
                )
            )
            continue
        out[name] = value
        data.origins[(kind, name)] = f"{flag} {text!r}"
    data[kind] = out


def _flag(key: str, value: Any) -> str:
    """How a one-value flag was spelled: `--masking 'propgate'`, `--training`."""
    if key == "training" and value == "forward":
        return "--training-forward"
    name = f"--{key.replace('_', '-')}"
    if isinstance(value, bool):
        return name if value else f"--no-{name[2:]}"
    text = str(value)
    return f"{name} {text!r}" if "\n" not in text and len(text) <= 60 else name


def _body_origin(flags: Flags, key: str) -> str:
    """`--body scale.py`, and a problem in it is `--body scale.py:L:C: ...`."""
    path = flags.body_files.get(key)
    return f"{BODY_FLAGS[key]} {path}" if path else BODY_FLAGS[key]


def _keyed(
    kind: str,
    flag_name: str,
    items: list[str],
    data: FlagData,
    problems: list[Diagnostic],
    parse: Callable[[str], Any],
    example: str,
) -> None:
    """`--base-arg 'KEY=VALUE'` (one pair a flag) -> `data[kind][KEY]`."""
    out: dict[str, Any] = {}
    for item in items:
        flag = f"{flag_name} {item!r}"
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            problems.append(_problem(flag, f"expected KEY=VALUE, e.g. `{example}`"))
            continue
        key = key.strip()
        if key in out:
            problems.append(
                _problem(
                    flag, f"`{key}` is given by two {flag_name} flags", f"{kind}.{key}"
                )
            )
            continue
        out[key] = parse(value)
        data.origins[(kind, key)] = flag
    data[kind] = out


def flags_to_data(flags: Flags) -> dict[str, Any]:
    """The spec data that `flags` describe, in spec field order; bad flags raise.

    The result is a `FlagData`, which remembers the flag behind each field.
    """
    problems: list[Diagnostic] = []
    data = FlagData({"klgen": 1, "name": flags.name})
    data.origins[("name",)] = f"NAME {flags.name!r}"
    for key in ("module", "summary", "description"):
        if getattr(flags, key) is not None:
            data[key] = getattr(flags, key)
            data.origins[(key,)] = _flag(key, data[key])
    data.setdefault("summary", f"The `{flags.name}` layer.")
    if flags.references:
        data["references"] = list(flags.references)
        data.origins[("references",)] = "--reference"
    for key in ("package", "target", "allow_shadowing", "base"):
        if getattr(flags, key) is not None:
            data[key] = getattr(flags, key)
            data.origins[(key,)] = _flag(key, data[key])
    if flags.base_args:
        _keyed(
            "base_args",
            "--base-arg",
            flags.base_args,
            data,
            problems,
            _expression,
            "autocast=false",
        )
    for kind, flag_name, items in (
        ("imports", "--import", flags.imports),
        ("losses", "--loss", flags.losses),
    ):
        if items:
            data[kind] = [item.strip() for item in items]
            for i, item in enumerate(items):
                data.origins[(kind, i)] = f"{flag_name} {item!r}"
    if flags.args:
        _named("args", [("--arg", a) for a in flags.args], _arg, data, problems)
    if "build" in flags.bodies:
        data["build"] = flags.bodies["build"]
        data.origins[("build",)] = _body_origin(flags, "build")
    if flags.weights:
        _named(
            "weights", [("--weight", w) for w in flags.weights], _weight, data, problems
        )
    for kind, flag_name, items, parse in (
        ("layers", "--layer", flags.layers, _sub_layer),
        ("inputs", "--input", flags.inputs, _input),
        ("outputs", "--output", flags.outputs, _output),
        ("call_args", "--call-arg", flags.call_args, _call_arg),
        ("methods", "--method", flags.methods, _method),
    ):
        if items:
            _named(kind, [(flag_name, i) for i in items], parse, data, problems)
    _method_bodies(flags, data, problems)
    for key in (
        "input_list",
        "seed_generator",
        "masking",
        "training",
        "random_inference",
        "state_on",
    ):
        if getattr(flags, key) is not None:
            data[key] = getattr(flags, key)
            data.origins[(key,)] = _flag(key, data[key])
    if flags.state:
        state: dict[str, str] = {}
        for item in flags.state:
            name, eq, expr = item.partition("=")
            flag = f"--state {item!r}"
            if not eq or not name.strip():
                problems.append(
                    _problem(
                        flag,
                        "expected WEIGHT=EXPRESSION, "
                        "e.g. `iterations=self.iterations + 1`",
                    )
                )
                continue
            if name.strip() in state:
                problems.append(
                    _problem(
                        flag,
                        f"`{name.strip()}` is given by two --state flags",
                        f"state.{name.strip()}",
                    )
                )
                continue
            state[name.strip()] = expr.strip()
            data.origins[("state", name.strip())] = flag
        data["state"] = state
    call = {
        k: v for k, v in flags.bodies.items() if k in ("body", "training", "inference")
    }
    if call:
        data["call"] = call
        for key in call:
            data.origins[("call", key)] = _body_origin(flags, key)
    if "compute_mask" in flags.bodies:
        data["compute_mask"] = flags.bodies["compute_mask"]
        data.origins[("compute_mask",)] = _body_origin(flags, "compute_mask")
    if flags.output_shape is not None:
        data["output_shape"] = flags.output_shape
        data.origins[("output_shape",)] = _flag("output_shape", flags.output_shape)
    if flags.output_dtype is not None:
        data["output_dtype"] = flags.output_dtype
        data.origins[("output_dtype",)] = _flag("output_dtype", flags.output_dtype)
    if flags.float32_internal is not None:
        data["float32_internal"] = flags.float32_internal
        data.origins[("float32_internal",)] = _flag(
            "float32_internal", flags.float32_internal
        )
    declared = data.get("inputs")
    names = list(declared) if isinstance(declared, dict) and flags.inputs else None
    data["examples"] = [_example(e, problems, names) for e in flags.examples] or [
        default_example(declared if flags.inputs else None)
    ]
    for i, text in enumerate(flags.examples):
        data.origins[("examples", i)] = f"--example-input {text!r}"
    for text in flags.sets:
        _set(data, text, problems)
    if problems:
        raise SpecError(problems)
    return data


def _method_bodies(flags: Flags, data: FlagData, problems: list[Diagnostic]) -> None:
    """`--method-body NAME=FILE` fills the body of `--method NAME`."""
    methods = data.get("methods", {})
    for name, code in flags.method_bodies.items():
        path = flags.method_body_files.get(name)
        origin = f"--method-body {name}={path}" if path else "--method-body"
        if name not in methods:
            declared = list(methods)
            hint = did_you_mean(name, declared)
            problems.append(
                _problem(
                    origin,
                    f"no --method declares `{name}`{hint}; add "
                    f"--method '{name}:PARAMETERS'",
                    f"methods.{name}",
                )
            )
            continue
        if "body" in methods[name]:
            problems.append(
                _problem(
                    origin,
                    "the body is given twice (`body=` of --method and --method-body)",
                    f"methods.{name}.body",
                )
            )
            continue
        methods[name]["body"] = code
        data.origins[("methods", name, "body")] = origin


def origin_of(origins: dict[Path_, str], path: Path_, default: str) -> str:
    """The flag that gave the value at `path` (its longest prefix that has one)."""
    probe = path
    while probe:
        if probe in origins:
            return origins[probe]
        probe = probe[:-1]
    return origins.get((), default)


def reads_code_file(origin: str) -> bool:
    """Whether `origin` is a flag that read code from a file (`--body scale.py`)."""
    return origin.startswith(tuple(f"{flag} " for flag in CODE_FILE_FLAGS))


# -- spec -> flags ----------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    """Equal as spec data: types count (`1` is not `1.0` nor `true`), order too."""
    return json.dumps(a, sort_keys=False) == json.dumps(b, sort_keys=False)


def _decodes(
    parse: Callable[[str, list[Diagnostic]], tuple[str, Any]],
    text: str,
    name: str,
    value: Any,
) -> bool:
    problems: list[Diagnostic] = []
    try:
        got = parse(text, problems)
    except Exception:  # noqa: BLE001 - a text that does not decode is not used
        return False
    return not problems and got[0] == name and _same(_ordered(got[1]), _ordered(value))


def _ordered(value: Any) -> Any:
    """Mappings with sorted keys at the top level only: the order of a flag's keys is
    free, the order inside a value (args, inputs) is not."""
    return dict(sorted(value.items())) if isinstance(value, dict) else value


def _pair(key: str, value: Any, strings: set[str] | frozenset[str]) -> str:
    if key in strings and isinstance(value, str):
        return f"{key}={_esc(value)}"
    return f"{key}={_flow(value)}"


class _Writer:
    """The command line of a spec, piece by piece; a piece that the flags cannot spell
    exactly (it would not read back the same) is written with `--set` instead."""

    def __init__(self) -> None:
        self.argv: list[str] = []
        self.sets: list[str] = []

    def named(
        self,
        kind: str,
        flag: str,
        name: str,
        value: Any,
        text: str,
        parse: Callable[[str, list[Diagnostic]], tuple[str, Any]],
        placeholder: str,
    ) -> None:
        if _decodes(parse, text, name, value):
            self.argv += [flag, text]
        else:  # keep the entry's place with a placeholder, then replace it whole
            self.argv += [flag, placeholder]
            self.set(f"{kind}.{name}", value)

    def text(self, key: str, value: Any) -> None:
        """A one-value flag (`--masking propagate`); a value that is not a string
        (an explicit null) is `--set`."""
        if isinstance(value, str):
            self.argv += [f"--{key.replace('_', '-')}", value]
        else:
            self.set(key, value)

    def set(self, path: str, value: Any) -> None:
        self.sets += ["--set", f"{path}={_flow(value, escape=False)}"]


_NAMED_KINDS = (
    "args",
    "weights",
    "layers",
    "inputs",
    "outputs",
    "call_args",
    "methods",
)


def example_flag(
    example: dict[str, Any], input_names: list[str] | None = None
) -> str | None:
    """The `--example-input` text of one example (spec data), or None if the flag cannot
    spell it exactly; `input_names` are the inputs `--input` flags declare."""
    parts: list[str] = []
    if "input_shape" in example:
        shape = example["input_shape"]
        if not isinstance(shape, list) or not shape:
            return None
        parts.append(",".join(str(d) for d in shape))
    inputs = example.get("inputs")
    if isinstance(inputs, dict) and inputs and not set(inputs) & set(_EXAMPLE_KEYS):
        for name, tensor in inputs.items():
            if isinstance(tensor, list) and all(
                isinstance(d, int) and not isinstance(d, bool) for d in tensor
            ):
                parts.append(f"{name}={','.join(str(d) for d in tensor)}")
            else:
                parts.append(f"{name}={_flow(tensor)}")
    elif "inputs" in example:
        parts.append(f"inputs={_flow(inputs)}")
    parts += [
        _pair(k, v, STRING_KEYS)
        for k, v in example.items()
        if k not in ("input_shape", "inputs")
    ]
    text = ";".join(parts)
    problems: list[Diagnostic] = []
    try:
        got = _example(text, problems, input_names)
    except Exception:  # noqa: BLE001 - a text that does not decode is not used
        return None
    if problems or not _same(_ordered(got), _ordered(example)):
        return None
    return text


def spec_to_flags(spec: LayerSpec) -> tuple[list[str], dict[str, str]]:
    """The command line (after `klgen new`) that describes `spec` exactly, and the body
    files it names (file name -> code)."""
    from keraslayer_gen.spec.dump import spec_data

    data = spec_data(spec)
    out = _Writer()
    out.argv.append(spec.name)
    files: dict[str, str] = {}
    done = {"klgen", "name"}
    call = data.get("call")
    if (
        isinstance(call, dict)
        and call
        and all(isinstance(v, str) for v in call.values())
    ):
        bodies = dict(call)
    elif "call" in data:
        bodies = {}
        out.set("call", call)
    else:
        bodies = {}
    for key in ("build", "compute_mask"):
        if isinstance(data.get(key), str):
            bodies[key] = data[key]
        elif key in data:
            out.set(key, data[key])
    for key, code in bodies.items():
        files[f"{key}.py"] = code
        out.argv += [BODY_FLAGS[key], f"{key}.py"]
    done |= {"call", "build", "compute_mask"}
    for key in ("module", "summary", "description", "package", "target", "base"):
        if key in data:
            out.text(key, data[key])
            done.add(key)
    for ref in data.get("references", []):
        out.argv += ["--reference", ref]
    if data.get("references") == []:
        out.set("references", [])
    done.add("references")
    for key in (
        "allow_shadowing",
        "input_list",
        "random_inference",
        "float32_internal",
    ):
        if key in data:
            if isinstance(data[key], bool):
                out.argv.append(_flag(key, data[key]))
            else:
                out.set(key, data[key])
    done |= {"allow_shadowing", "input_list", "random_inference", "float32_internal"}
    _keyed_flags(out, data, "base_args", "--base-arg")
    done.add("base_args")
    for kind, flag in (("imports", "--import"), ("losses", "--loss")):
        if kind in data:
            items = data[kind]
            if items and all(isinstance(i, str) and i == i.strip() for i in items):
                for item in items:
                    out.argv += [flag, item]
            else:
                out.set(kind, items)
            done.add(kind)
    # The named entries, each by its flag; an explicit `{}` or `null` is `--set`.
    entries: dict[str, dict[str, Any]] = {}
    for kind in _NAMED_KINDS:
        value = data.get(kind)
        entries[kind] = value if isinstance(value, dict) and value else {}
        if kind in data and not entries[kind]:
            out.set(kind, value)
        done.add(kind)
    for name, arg in entries["args"].items():
        head = f"{name}:{arg['type']}"
        if "default" in arg:
            head += "=" + _flow(arg["default"])
        extras = [
            _pair(k, v, STRING_KEYS)
            for k, v in arg.items()
            if k not in ("type", "default")
        ]
        text = ";".join([head, *extras])
        out.named("args", "--arg", name, arg, text, _arg, f"{name}:int")
    for name, weight in entries["weights"].items():
        shape = "[" + ", ".join(str(d) for d in weight["shape"]) + "]"
        extras = [_pair(k, v, STRING_KEYS) for k, v in weight.items() if k != "shape"]
        text = ";".join([f"{name}:{shape}", *extras])
        out.named("weights", "--weight", name, weight, text, _weight, f"{name}:[]")
    for name, layer in entries["layers"].items():
        out.named(
            "layers",
            "--layer",
            name,
            layer,
            _layer_text(name, layer),
            _sub_layer,
            f"{name}:Layer",
        )
    for name, decl in entries["inputs"].items():
        extras = [_pair(k, v, STRING_KEYS) for k, v in decl.items()]
        text = f"{name}:{';'.join(extras)}" if extras else name
        out.named("inputs", "--input", name, decl, text, _input, name)
    for name, decl in entries["outputs"].items():
        head = f"{name}:{_esc(decl['shape'])}" if "shape" in decl else name
        extras = [
            _pair(k, v, OUTPUT_STRING_KEYS) for k, v in decl.items() if k != "shape"
        ]
        text = ";".join([head, *extras])
        out.named("outputs", "--output", name, decl, text, _output, name)
    for name, call_arg in entries["call_args"].items():
        head = f"{name}:{call_arg['type']}"
        if "default" in call_arg:
            head += "=" + _flow(call_arg["default"])
        extras = [
            _pair(k, v, STRING_KEYS)
            for k, v in call_arg.items()
            if k not in ("type", "default")
        ]
        text = ";".join([head, *extras])
        out.named(
            "call_args", "--call-arg", name, call_arg, text, _call_arg, f"{name}:int"
        )
    for name, method in entries["methods"].items():
        head = f"{name}:{_esc(method['args'])}" if "args" in method else name
        extras = [
            _pair(k, v, METHOD_STRING_KEYS)
            for k, v in method.items()
            if k not in ("args", "body")
        ]
        text = ";".join([head, *extras])
        shown = {k: v for k, v in method.items() if k != "body"}
        if "body" in method and _decodes(_method, text, name, shown):
            files[f"method_{name}.py"] = method["body"]
            out.argv += ["--method", text, "--method-body", f"{name}=method_{name}.py"]
        else:
            out.argv += ["--method", name]
            out.set(f"methods.{name}", method)
    for key in ("seed_generator", "masking", "state_on"):
        if key in data:
            out.text(key, data[key])
            done.add(key)
    if "training" in data:
        value = data["training"]
        if value is True or value is False or value == "forward":
            out.argv.append(_flag("training", value))
        else:
            out.set("training", value)
        done.add("training")
    for name, expr in data.get("state", {}).items():
        if isinstance(expr, str) and expr == expr.strip() and "\n" not in expr:
            out.argv += ["--state", f"{name}={expr}"]
        else:
            out.argv += ["--state", f"{name}=None"]
            out.set(f"state.{name}", expr)
    if data.get("state") == {}:
        out.set("state", {})
    done.add("state")
    for key in ("output_shape", "output_dtype"):
        if key in data:
            out.text(key, data[key])
            done.add(key)
    declared = list(entries["inputs"]) or None
    spelt = [example_flag(e, declared) for e in data["examples"]]
    if all(t is not None for t in spelt) and spelt:
        for item in spelt:
            out.argv += ["--example-input", str(item)]
    else:
        out.set("examples", data["examples"])
    done.add("examples")
    for key, value in data.items():  # `input_spec`, `targets`: only `--set` has them
        if key not in done:
            out.set(key, value)
    return [*out.argv, *out.sets], files


def _keyed_flags(out: _Writer, data: dict[str, Any], kind: str, flag: str) -> None:
    if kind not in data:
        return
    items = data[kind]
    if not items:
        out.set(kind, items)
        return
    for key, value in items.items():
        text = _expression_text(value)
        if text is not None:
            out.argv += [flag, f"{key}={text}"]
        else:
            out.argv += [flag, f"{key}=null"]
            out.set(f"{kind}.{key}", value)


def _expression_text(value: Any) -> str | None:
    """How `_expression` reads back `value`, or None if it cannot."""
    text = value if isinstance(value, str) else _flow(value, escape=False)
    if "\n" in text or not _same(_expression(text), value):
        return None
    return text


def _layer_text(name: str, layer: dict[str, Any]) -> str:
    parts = [f"{name}:{_esc(str(layer.get('layer', '')))}"]
    for key, value in layer.get("args", {}).items():
        text = _expression_text(value)
        if text is None or key in LAYER_KEYS:
            return ""  # not spelt by the flag: `--set` it
        parts.append(f"{key}={_esc(text)}")
    if "build" in layer:
        build = layer["build"]
        text = build if isinstance(build, str) else _flow(build)
        if not _same(_build_value(text), build) or text != text.strip():
            return ""
        parts.append(f"build={_esc(text)}")
    if "doc" in layer:
        parts.append(f"doc={_esc(layer['doc'])}")
    return ";".join(parts)


def _esc(text: str) -> str:
    return text.replace(";", "\\;")


def _flow(value: Any, *, escape: bool = True) -> str:
    """A value as one line of YAML flow syntax, keys in their order; `;` escaped for the
    `;`-separated flags."""
    text = yaml.safe_dump(
        value, default_flow_style=True, sort_keys=False, width=10**9
    ).strip()
    if text.endswith("\n...") or text.endswith("..."):
        text = text[:-3].strip()
    if text in _NULL_WORDS and value is not None:  # the string "None", not null
        text = f"'{text}'"
    return _esc(text) if escape else text
