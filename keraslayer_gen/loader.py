"""YAML text -> `LayerSpec`, with every problem located at `file:line:col: path: message`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .diagnostics import Diagnostic, SpecError
from .naming import did_you_mean
from .spec import FORMAT_VERSION, LayerSpec

#: A spec is a page of YAML; these bound what hostile input can cost.
MAX_SPEC_BYTES = 1_000_000
MAX_NODES = 50_000

Path_ = tuple[str | int, ...]


@dataclass
class Located:
    """Where each value of a YAML document stands, by its path of keys and indices."""

    source: str
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    #: For scalars: the line of their first character of content (block scalars start on
    #: the line after their `|` indicator), so a body's line N maps to the spec's line.
    content_lines: dict[Path_, int] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def at(self, path: Iterable[str | int], message: str, *, line_offset: int = 0,
           col: int | None = None) -> Diagnostic:
        """A diagnostic at `path`, or at its nearest located ancestor."""
        path = tuple(path)
        if not self.positions:  # flags: no file, no lines
            return Diagnostic(self.source, 0, 0, _dotted(path), message)
        probe = path
        while probe and probe not in self.positions:
            probe = probe[:-1]
        line, column = self.positions.get(probe, (1, 1))
        if line_offset or col is not None:
            line = self.content_lines.get(probe, line) + line_offset
            column = col if col is not None else column
        return Diagnostic(self.source, line, column, _dotted(path), message)


def _dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_spec_text(text: str | bytes, source: str = "<spec>") -> LayerSpec:
    """Parse and validate one spec; raise `SpecError` with every problem found."""
    located = Located(source)
    data = _parse_yaml(text, located)
    spec = _validate_structure(data, located)
    from .rules import check_spec

    problems = check_spec(spec, located)
    if problems:
        raise SpecError(problems)
    return spec


def load_spec_data(data: dict[str, Any], source: str = "command line") -> LayerSpec:
    """Validate spec data that did not come from a file (flags, the Python API)."""
    located = Located(source)
    spec = _validate_structure(data, located)
    from .rules import check_spec

    problems = check_spec(spec, located)
    if problems:
        raise SpecError(problems)
    return spec


def load_spec_file(path: Path, display: str | None = None) -> LayerSpec:
    source = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise SpecError([Diagnostic(source, 1, 1, "", f"the spec is {size:,} bytes; a "
                                        f"spec may be at most {MAX_SPEC_BYTES:,} bytes")])
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError([Diagnostic(source, 0, 0, "", f"cannot read the spec: {exc.strerror}")])
    return load_spec_text(raw, source)


def _parse_yaml(text: str | bytes, located: Located) -> Any:
    source = located.source
    if isinstance(text, bytes):
        if len(text) > MAX_SPEC_BYTES:
            raise SpecError([Diagnostic(source, 1, 1, "", f"the spec is {len(text):,} bytes; "
                                        f"a spec may be at most {MAX_SPEC_BYTES:,} bytes")])
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = text[: exc.start].count(b"\n") + 1
            raise SpecError([Diagnostic(source, line, 1, "", "the spec is not UTF-8 text "
                                        f"(byte 0x{text[exc.start]:02x} at offset {exc.start})")])
    text = text.lstrip("\ufeff")
    located.lines = text.splitlines()
    if not text.strip():
        raise SpecError([Diagnostic(source, 1, 1, "", "the spec is empty; start from "
                                    "`klgen new --example dense --save-spec FILE`")])
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or str(exc)
        raise SpecError([Diagnostic(source, line, col, "", f"YAML syntax error: {what}")])
    except yaml.YAMLError as exc:
        raise SpecError([Diagnostic(source, 1, 1, "", f"YAML error: {exc}")])
    if node is None:
        raise SpecError([Diagnostic(source, 1, 1, "", "the spec is empty")])
    problems: list[Diagnostic] = []
    data = _construct(node, (), located, problems, [0])
    if problems:
        raise SpecError(problems)
    if not isinstance(data, dict):
        raise SpecError([located.at((), "the spec must be a mapping of fields "
                                    f"(`klgen: {FORMAT_VERSION}`, `name`, ...), not a "
                                    f"{type(data).__name__}")])
    version = data.get("klgen")
    if "klgen" not in data:
        raise SpecError([located.at((), f"missing `klgen: {FORMAT_VERSION}`, the spec "
                                    "format version")])
    if version != FORMAT_VERSION:
        raise SpecError([located.at(("klgen",), f"unknown spec format {version!r}; this "
                                    f"klgen reads format {FORMAT_VERSION}")])
    return data


def _construct(node: yaml.Node, path: Path_, located: Located, problems: list[Diagnostic],
               count: list[int]) -> Any:
    """Build plain data from a node, recording positions; aliases are walked, bounded."""
    count[0] += 1
    if count[0] > MAX_NODES:
        if count[0] == MAX_NODES + 1:
            problems.append(Diagnostic(located.source, node.start_mark.line + 1,
                                       node.start_mark.column + 1, _dotted(path),
                                       f"the spec expands to more than {MAX_NODES:,} values "
                                       "(YAML aliases?); a spec is a page, not a data set"))
        return None
    located.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(located.at(path, "YAML merge keys (`<<`) are not supported "
                                           "in a spec; write the fields out"))
                continue
            key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                problems.append(Diagnostic(located.source, key_node.start_mark.line + 1,
                                           key_node.start_mark.column + 1, _dotted(path),
                                           "keys must be plain names"))
                continue
            if key in seen:
                problems.append(Diagnostic(located.source, key_node.start_mark.line + 1,
                                           key_node.start_mark.column + 1,
                                           _dotted((*path, key)),
                                           f"duplicate key `{key}` (first at line {seen[key]})"))
                continue
            seen[key] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, (*path, key), located, problems, count)
            located.positions.setdefault((*path, key), (key_node.start_mark.line + 1,
                                                        key_node.start_mark.column + 1))
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), located, problems, count)
                for i, item in enumerate(node.value)]
    first = node.start_mark.line + 1
    if node.style in ("|", ">"):
        first += 1
    located.content_lines[path] = first
    return _scalar(node)


def _scalar(node: yaml.ScalarNode) -> Any:
    """The value of a scalar node, by the tag the composer resolved (safe tags only)."""
    try:
        return yaml.SafeLoader("").construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        raise yaml.MarkedYAMLError(problem=str(exc.problem), problem_mark=node.start_mark)


def _validate_structure(data: dict[str, Any], located: Located) -> LayerSpec:
    try:
        return LayerSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError([_translate(err, located) for err in exc.errors()]) from None


def _translate(err: Any, located: Located) -> Diagnostic:
    """A pydantic error, in words for people."""
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        key = loc[-1]
        fields = _fields_at(loc[:-1])
        hint = did_you_mean(str(key), fields) if fields else ""
        known = f"; known fields: {', '.join(fields)}" if fields and not hint else ""
        return located.at(loc, f"unknown field `{key}`{hint}{known}")
    if kind == "missing":
        return located.at(loc[:-1], f"missing required field `{loc[-1]}`")
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        value = err.get("input")
        hint = did_you_mean(str(value), [e.strip(" '") for e in expected.replace(" or ", ",").split(",")])
        return located.at(loc, f"{value!r} is not one of {expected}{hint}")
    if kind == "too_short" and loc and loc[-1] == "examples":
        return located.at(loc, "give at least one example input, e.g. "
                          "`examples: [{input_shape: [2, 8]}]`")
    message = err["msg"]
    value = err.get("input")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        message = f"{message[:1].lower()}{message[1:]}, got {value!r}"
    return located.at(loc, message)


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model that stands at `loc` in a spec."""
    model: Any = LayerSpec
    skip_key = False
    for part in loc:
        if skip_key:
            skip_key = False
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        info = model.model_fields.get(str(part))
        if info is None:
            return []
        model, skip_key = _inner_model(info.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _inner_model(annotation: Any) -> tuple[Any, bool]:
    """(model inside `annotation`, whether a dict key or list index comes first)."""
    import typing

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (dict, list):
        inner, _ = _inner_model(args[-1])
        return inner, True
    if args:
        for arg in args:
            inner, keyed = _inner_model(arg)
            if inner is not None:
                return inner, keyed
        return None, False
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False
