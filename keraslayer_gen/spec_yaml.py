"""A spec model -> spec YAML, in field order, readable: bodies as `|` blocks."""

from __future__ import annotations

from typing import Any

import yaml

from .schema_file import MODELINE
from .spec import LayerSpec

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


_Dumper.add_representer(str, _str)
_Dumper.add_representer(dict, _dict)


def spec_data(spec: LayerSpec) -> dict[str, Any]:
    """The spec as plain data, with only the fields that were given."""
    return spec.model_dump(mode="json", exclude_unset=True)


def dump_spec_yaml(spec: LayerSpec) -> str:
    body = yaml.dump(
        spec_data(spec),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=88,
        default_flow_style=False,
    )
    return HEADER + body
