"""A spec model -> spec YAML, in field order, readable: bodies as `|` blocks."""

from __future__ import annotations

from typing import Any

import yaml

from keraslayer_gen.spec.model import LayerSpec, parse_arg_type
from keraslayer_gen.spec.schema import MODELINE

#: The first line of every spec klgen saves: the schema file klgen writes beside it.
HEADER = f"# yaml-language-server: {MODELINE}\n"


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        text = value if value.endswith("\n") else value + "\n"
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _dict(dumper: yaml.SafeDumper, value: dict[Any, Any]) -> yaml.Node:
    flat = all(
        not isinstance(v, dict)
        and not (isinstance(v, str) and "\n" in v)
        and not (isinstance(v, list) and any(isinstance(i, (dict, list)) for i in v))
        for v in value.values()
    )
    short = len(repr(value)) < 100
    return dumper.represent_mapping(
        "tag:yaml.org,2002:map",
        value.items(),
        flow_style=bool(value) and flat and short,
    )


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    """A short list of plain values on one line (`shape: [2, 5, 8]`), else a block."""
    flat = all(
        not isinstance(v, (dict, list)) and not (isinstance(v, str) and "\n" in v)
        for v in value
    )
    return dumper.represent_sequence(
        "tag:yaml.org,2002:seq",
        value,
        flow_style=bool(value) and flat and len(repr(value)) < 80,
    )


_Dumper.add_representer(str, _str)
_Dumper.add_representer(dict, _dict)
_Dumper.add_representer(list, _list)


def spec_data(spec: LayerSpec) -> dict[str, Any]:
    """The spec as plain data, with only the fields that were given."""
    return spec.model_dump(mode="json", exclude_unset=True)


def _whole(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _is_int(type_: str) -> bool:
    try:
        return parse_arg_type(type_)[0] == "int"
    except ValueError:
        return False


def _tidy(data: dict[str, Any]) -> dict[str, Any]:
    """Numbers as a person writes them: the model holds every bound and value range as
    a float, but an int argument's `min: 1` and token ids' `max: 19` are ints (they read
    back as the same floats)."""
    for arg in (data.get("args") or {}).values():
        if _is_int(arg.get("type", "")):
            for key in ("min", "max"):
                if key in arg:
                    arg[key] = _whole(arg[key])
    for example in data.get("examples") or []:
        tensors = list((example.get("inputs") or {}).values())
        for node in [example, *tensors]:
            if isinstance(node, dict):
                for key in ("min", "max", "padding"):
                    if key in node:
                        node[key] = _whole(node[key])
    return data


def dump_spec_yaml(spec: LayerSpec) -> str:
    body = yaml.dump(
        _tidy(spec_data(spec)),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=88,
        default_flow_style=False,
    )
    return HEADER + body
