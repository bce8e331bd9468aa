"""Command-line flags <-> spec: two spellings of one model.

`--arg 'rate:float=0.5;range=(0, 1];doc=Fraction of the units to drop.'`
`--weight 'kernel:[input_shape[-1], units];initializer=kernel_initializer'`
`--state 'iterations=self.iterations + 1'`
`--example-input '4,10,8;init={rate: 0.5};mask=true'`
`--set 'path.to.field=YAML value'` reaches every field the others do not.

`spec_to_flags` is the inverse, so that a test can prove the parity for every spec.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .diagnostics import Diagnostic, SpecError
from .spec import LayerSpec

_SPLIT = re.compile(r"(?<!\\);")
Path_ = tuple[str | int, ...]
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
}


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
    training: bool | None = None
    seed_generator: str | None = None
    output_shape: str | None = None
    output_dtype: str | None = None
    float32_internal: bool | None = None
    allow_shadowing: bool | None = None
    bodies: dict[str, str] = field(default_factory=dict)  # body/training/... -> code
    #: body/training/... -> the file it was read from, to locate problems in the code
    body_files: dict[str, str] = field(default_factory=dict)


class FlagData(dict[str, Any]):
    """Spec data made from flags; `origins` maps a field path to the flag that gave
    it, so    that `loader.load_spec_data` reports a problem against the flag to fix."""

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


def _pairs(parts: list[str], flag: str, problems: list[Diagnostic]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in parts:
        if "=" not in part:
            problems.append(
                Diagnostic(
                    flag,
                    0,
                    0,
                    "",
                    f"`{part}` is not KEY=VALUE (write "
                    "a `;` inside a value as `\\;`)",
                )
            )
            continue
        key, value = part.split("=", 1)
        key = key.strip()
        if key in out:
            problems.append(Diagnostic(flag, 0, 0, "", f"`{key}` is given twice"))
        value = _unescape(value)
        out[key] = value.strip() if key in STRING_KEYS else _value(value)
    return out


def _arg(text: str, problems: list[Diagnostic]) -> tuple[str, dict[str, Any]]:
    flag = f"--arg {text!r}"
    head, *rest = _SPLIT.split(text)
    match = re.match(r"^\s*([^:=\s]+)\s*(?::\s*([^=]+?))?\s*(?:=(.*))?$", head)
    if not match or not match.group(2):
        problems.append(
            Diagnostic(
                flag,
                0,
                0,
                "",
                "expected NAME:TYPE[=DEFAULT], e.g. "
                "`rate:float=0.5` or `seed:int|None=None`",
            )
        )
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
            Diagnostic(
                flag,
                0,
                0,
                "",
                "expected NAME:[SHAPE][;KEY=VALUE...], "
                "e.g. `kernel:[input_shape[-1], units]` or `count:[]`",
            )
        )
        return name.strip(), {}
    try:
        data: dict[str, Any] = {"shape": _shape(_unescape(shape))}
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        problems.append(
            Diagnostic(
                flag,
                0,
                0,
                "",
                f"`{shape}` is not a shape such as `[input_shape[-1], units]`",
            )
        )
        return name.strip(), {}
    data.update(_pairs(rest, flag, problems))
    return name.strip(), data


def _example(text: str, problems: list[Diagnostic]) -> dict[str, Any]:
    head, *rest = _SPLIT.split(text)
    try:
        shape = [
            int(d)
            for d in head.replace("(", "").replace(")", "").split(",")
            if d.strip()
        ]
    except ValueError:
        problems.append(
            Diagnostic(
                f"--example-input {text!r}",
                0,
                0,
                "",
                f"`{head}` is not a shape such as `4,10,8`",
            )
        )
        shape = []
    data: dict[str, Any] = {"input_shape": shape}
    data.update(_pairs(rest, f"--example-input {text!r}", problems))
    return data


def _set(data: dict[str, Any], text: str, problems: list[Diagnostic]) -> None:
    path, eq, value = text.partition("=")
    if not eq or not path.strip():
        problems.append(
            Diagnostic(
                f"--set {text!r}",
                0,
                0,
                "",
                "expected PATH=VALUE, e.g. `input_spec.min_ndim=2`",
            )
        )
        return
    keys = [k.strip() for k in path.strip().split(".")]
    if not all(keys):
        problems.append(
            Diagnostic(
                f"--set {text!r}",
                0,
                0,
                "",
                f"`{path.strip()}` is not "
                "a field path such as `input_spec.min_ndim`",
            )
        )
        return
    node = data
    for i, key in enumerate(keys[:-1]):
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            problems.append(
                Diagnostic(
                    f"--set {text!r}",
                    0,
                    0,
                    ".".join(keys[: i + 1]),
                    f"is not a mapping, so it has no field `{keys[i + 1]}`",
                )
            )
            return
    node[keys[-1]] = _value(value)
    if isinstance(data, FlagData):
        data.origins[tuple(keys)] = f"--set {text!r}"


def _named(
    kind: str,
    items: list[tuple[str, str]],
    parse: Any,
    data: FlagData,
    problems: list[Diagnostic],
) -> None:
    """`--arg`/`--weight` values -> `data[kind]` by name; no name twice."""
    out: dict[str, Any] = {}
    for flag, text in items:
        name, value = parse(text, problems)
        if not name:
            continue
        if name in out:
            problems.append(
                Diagnostic(
                    f"{flag} {text!r}",
                    0,
                    0,
                    f"{kind}.{name}",
                    f"`{name}` is given by two {flag} flags",
                )
            )
            continue
        out[name] = value
        data.origins[(kind, name)] = f"{flag} {text!r}"
    data[kind] = out


def _flag(key: str, value: Any) -> str:
    """How a one-value flag was spelled: `--masking 'propgate'`, `--training`."""
    name = f"--{key.replace('_', '-')}"
    if isinstance(value, bool):
        return name if value else f"--no-{name[2:]}"
    text = str(value)
    return f"{name} {text!r}" if "\n" not in text and len(text) <= 60 else name


def _body_origin(flags: Flags, key: str) -> str:
    """`--body scale.py`, and a problem in it is `--body scale.py:L:C: ...`."""
    path = flags.body_files.get(key)
    return f"{BODY_FLAGS[key]} {path}" if path else BODY_FLAGS[key]


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
    for key in ("package", "target", "allow_shadowing"):
        if getattr(flags, key) is not None:
            data[key] = getattr(flags, key)
            data.origins[(key,)] = _flag(key, data[key])
    if flags.args:
        _named("args", [("--arg", a) for a in flags.args], _arg, data, problems)
    if "build" in flags.bodies:
        data["build"] = flags.bodies["build"]
        data.origins[("build",)] = _body_origin(flags, "build")
    if flags.weights:
        _named(
            "weights", [("--weight", w) for w in flags.weights], _weight, data, problems
        )
    for key in ("seed_generator", "masking", "training"):
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
                    Diagnostic(
                        flag,
                        0,
                        0,
                        "",
                        "expected WEIGHT=EXPRESSION, "
                        "e.g. `iterations=self.iterations + 1`",
                    )
                )
                continue
            if name.strip() in state:
                problems.append(
                    Diagnostic(
                        flag,
                        0,
                        0,
                        f"state.{name.strip()}",
                        f"`{name.strip()}` is given by two --state flags",
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
    data["examples"] = [_example(e, problems) for e in flags.examples] or [
        {"input_shape": [2, 5, 8]}
    ]
    for i, text in enumerate(flags.examples):
        data.origins[("examples", i)] = f"--example-input {text!r}"
    for text in flags.sets:
        _set(data, text, problems)
    if problems:
        raise SpecError(problems)
    return data


BODY_FLAGS = {
    "build": "--build-body",
    "body": "--body",
    "training": "--training-body",
    "inference": "--inference-body",
    "compute_mask": "--compute-mask-body",
}


def spec_to_flags(spec: LayerSpec) -> tuple[list[str], dict[str, str]]:
    """The command line (after `klgen new`) that describes `spec` exactly, and the body
    files it names (file name -> code)."""
    from .spec_yaml import spec_data

    data = spec_data(spec)
    out = [spec.name]
    files: dict[str, str] = {}
    bodies = {
        **data.get("call", {}),
        **{k: data[k] for k in ("build", "compute_mask") if k in data},
    }
    for key, code in bodies.items():
        files[f"{key}.py"] = code
        out += [BODY_FLAGS[key], f"{key}.py"]
    for key in ("module", "summary", "description", "package", "target"):
        if key in data:
            out += [f"--{key.replace('_', '-')}", str(data[key])]
    for ref in data.get("references", []):
        out += ["--reference", ref]
    if data.get("allow_shadowing"):
        out.append("--allow-shadowing")
    for name, arg in data.get("args", {}).items():
        head = f"{name}:{arg['type']}"
        if "default" in arg:
            head += "=" + _flow(arg["default"])
        extras = [
            f"{k}={_flow(v) if k not in STRING_KEYS else _esc(v)}"
            for k, v in arg.items()
            if k not in ("type", "default")
        ]
        out += ["--arg", ";".join([head, *extras])]
    for name, weight in data.get("weights", {}).items():
        shape = "[" + ", ".join(str(d) for d in weight["shape"]) + "]"
        extras = [
            f"{k}={_flow(v) if k not in STRING_KEYS else _esc(str(v))}"
            for k, v in weight.items()
            if k != "shape"
        ]
        out += ["--weight", ";".join([f"{name}:{shape}", *extras])]
    for key in ("seed_generator", "masking"):
        if key in data:
            out += [f"--{key.replace('_', '-')}", str(data[key])]
    if "training" in data:
        out.append("--training" if data["training"] else "--no-training")
    for name, expr in data.get("state", {}).items():
        out += ["--state", f"{name}={expr}"]
    if "output_shape" in data:
        out += ["--output-shape", data["output_shape"]]
    if "output_dtype" in data:
        out += ["--output-dtype", data["output_dtype"]]
    if "float32_internal" in data:
        out.append(
            "--float32-internal"
            if data["float32_internal"]
            else "--no-float32-internal"
        )
    for example in data["examples"]:
        extras = [f"{k}={_flow(v)}" for k, v in example.items() if k != "input_shape"]
        shape = ",".join(str(d) for d in example["input_shape"])
        out += ["--example-input", ";".join([shape, *extras])]
    for key in ("input_spec", "targets"):
        if key in data:
            out += ["--set", f"{key}={_flow(data[key], escape=False)}"]
    return out, files


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
