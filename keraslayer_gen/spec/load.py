"""YAML text -> `LayerSpec`, every problem located: `file:line:col: path: message`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from keraslayer_gen.errors import Diagnostic, SpecError
from keraslayer_gen.spec.model import FORMAT_VERSION, LayerSpec
from keraslayer_gen.spec.names import did_you_mean

#: A spec is a page of YAML; these bound what hostile input can cost.
MAX_SPEC_BYTES = 1_000_000
MAX_NODES = 50_000

Path_ = tuple[str | int, ...]


@dataclass
class Located:
    """Where each value of a YAML document stands, by its path of keys and indices."""

    source: str
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    #: Where the key of each mapping entry stands: an unknown or misnamed field, or an
    #: entry that is wrong as a whole, is reported at its key rather than at its value.
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    #: For scalars: the line of their first character of content (block scalars start on
    #: the line after their `|` indicator), so a body's line N maps to the spec's line.
    content_lines: dict[Path_, int] = field(default_factory=dict)
    #: For scalars: the YAML style (`|`, `>`, `'`, `"`, or `""` for plain).
    styles: dict[Path_, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    #: Flags only: which command-line flag gave the value at a path (longest prefix
    #: wins), so that a problem names the flag to fix as well as the field.
    origins: dict[Path_, str] = field(default_factory=dict)
    #: Problems of the YAML itself (duplicate keys, tags) that do not stop validation:
    #: they are reported together with the problems of the fields.
    deferred: list[Diagnostic] = field(default_factory=list)
    #: Dotted paths whose value was dropped (a refused tag); no more errors there.
    dropped: set[str] = field(default_factory=set)

    def at(
        self,
        path: Iterable[str | int],
        message: str,
        *,
        line_offset: int = 0,
        col: int | None = None,
        key: bool = False,
        near: Iterable[str | int] | None = None,
    ) -> Diagnostic:
        """A diagnostic about `path`, placed at `near` (default: `path` itself) or at
        its nearest located ancestor; `key=True` places it at the entry's key."""
        path = tuple(path)
        probe = tuple(near) if near is not None else path
        if not self.positions:  # flags: no YAML; name the flag (or body file) instead
            origin = self._origin(probe)
            if (line_offset or col is not None) and origin.startswith(_BODY_FLAGS):
                # a place in code read from a file: `--body FILE:LINE:COL`
                line, column = line_offset + 1, col or 1
                return Diagnostic(origin, line, column, _dotted(path), message)
            return Diagnostic(origin, 0, 0, _dotted(path), message)
        while probe and probe not in self.positions:
            probe = probe[:-1]
        line, column = self.positions.get(probe, (1, 1))
        if key and probe in self.key_positions:
            line, column = self.key_positions[probe]
        if line_offset or col is not None:
            line = self.content_lines.get(probe, line) + line_offset
            column = col if col is not None else column
        return Diagnostic(self.source, line, column, _dotted(path), message)

    def _origin(self, path: Path_) -> str:
        probe = path
        while probe:
            if probe in self.origins:
                return self.origins[probe]
            probe = probe[:-1]
        return self.origins.get((), self.source)


#: The flags that read code from a file: a problem in that code is `FILE:LINE:COL`.
_BODY_FLAGS = (
    "--body ",
    "--training-body ",
    "--inference-body ",
    "--build-body ",
    "--compute-mask-body ",
    "--method-body ",
)


def _dotted(path: Iterable[str | int]) -> str:
    """`("examples", 0, "init")` -> `examples[0].init`."""
    out = ""
    for part in path:
        out += (
            f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        )
    return out


def load_spec_text(text: str | bytes, source: str = "<spec>") -> LayerSpec:
    """Parse and validate one spec; raise `SpecError` with every problem found."""
    located = Located(source)
    data = _parse_yaml(text, located)
    return _validate(data, located)


def load_spec_data(data: dict[str, Any], source: str = "command line") -> LayerSpec:
    """Validate spec data that did not come from a file (flags, the Python API).

    Data made by `flags.flags_to_data` remembers the flag behind each field, and a
    problem is reported against that flag (`--arg 'rate:flaot': args.rate.type: ...`).
    """
    located = Located(source, origins=dict(getattr(data, "origins", {})))
    return _validate(data, located)


def _validate(data: dict[str, Any], located: Located) -> LayerSpec:
    """The structure, then the rules; every problem of both at once where possible.

    The rules need a well-formed spec. Unknown keys alone do not stop them: they are
    dropped for the rules' sake (they change no field), so a typo in one place and a
    bad body in another are reported together.
    """
    from keraslayer_gen.spec.rules.core import check_spec

    problems = list(located.deferred)
    typo_parents: set[str] = set()
    filled: set[str] = set()
    try:
        spec = LayerSpec.model_validate(data)
    except ValidationError as exc:
        errors = _collapse_unions(exc.errors(), data)
        problems += [
            d
            for d in (_translate(err, located) for err in errors)
            if not _under(d.path, located.dropped)
        ]
        if any(not _repairable(err) for err in errors):
            raise SpecError(problems) from None
        # `call: {trainng: ...}` also makes `call` lack `training`; the typo says it.
        typo_parents = {
            _dotted(err["loc"][:-1])
            for err in errors
            if err["type"] == "extra_forbidden"
            and did_you_mean(str(err["loc"][-1]), _fields_at(tuple(err["loc"][:-1])))
        }
        # A missing required field is filled with a stand-in for the rules' sake, so
        # that a missing `summary` does not hide a bad default or a misspelt attribute;
        # nothing the rules say about a stand-in is reported.
        filled = {_dotted(err["loc"]) for err in errors if err["type"] == "missing"}
        repaired = _without(
            data,
            [tuple(err["loc"]) for err in errors if err["type"] == "extra_forbidden"],
        )
        for err in errors:
            if err["type"] == "missing":
                key = str(err["loc"][0])
                repaired = {**repaired, key: _STAND_INS[key]}
        try:
            spec = LayerSpec.model_validate(repaired)
        except ValidationError:  # pragma: no cover - the stand-ins are valid
            raise SpecError(problems) from None
    problems += [
        d
        for d in check_spec(spec, located)
        if d.path not in typo_parents and not _under(d.path, filled)
    ]
    if problems:
        raise SpecError(problems)
    return spec


#: Stand-ins for the required top-level fields, used only to run the rules on a spec
#: that lacks them; every rule finding under a stand-in's path is dropped.
_STAND_INS: dict[str, Any] = {
    "klgen": 1,
    "name": "StandInLayer",
    "summary": "Stand-in summary.",
    "examples": [{"input_shape": [2, 5, 8]}],
}


#: Fields whose type is a union: pydantic reports each member's error under a tag of its
#: own (`training.bool`, `training.literal['forward']`); the spec's author wrote one value.
#: (path pattern with `*` for any key, the tags, what the field expects in words; None:
#: the member that fits the value's kind reports its errors.)
_UNIONS: tuple[tuple[tuple[str, ...], frozenset[str], str | None], ...] = (
    (
        ("training",),
        frozenset({"bool", "literal['forward']"}),
        "true, false or 'forward'",
    ),
    (
        ("layers", "*", "build"),
        frozenset({"str", "bool"}),
        "a string (the build arguments) or false",
    ),
    (("examples", "*", "inputs", "*"), frozenset({"TensorExample", "list[int]"}), None),
)


def _collapse_unions(errors: list[Any], data: Any) -> list[Any]:
    """The errors of a union field as one error at the field (or those of the member
    that fits the value), without pydantic's member tags in the path."""
    out: list[Any] = []
    done: set[tuple[Any, ...]] = set()
    for err in errors:
        loc = tuple(err["loc"])
        for pattern, tags, expected in _UNIONS:
            n = len(pattern)
            if not (
                len(loc) > n
                and loc[n] in tags
                and all(
                    p in ("*", part) for p, part in zip(pattern, loc[:n], strict=True)
                )
            ):
                continue
            at, value = loc[:n], _value_at(data, loc[:n])
            if expected is None:
                member = "list[int]" if isinstance(value, list) else "TensorExample"
                if isinstance(value, (list, dict)):
                    if loc[n] == member:
                        out.append({**err, "loc": (*at, *loc[n + 1 :])})
                    break
                expected = "a shape list or a mapping with `shape`"
            if at not in done:
                done.add(at)
                out.append(
                    {
                        "type": "union_value",
                        "loc": at,
                        "msg": f"expected {expected}, got {show_value(value)}",
                        "input": value,
                    }
                )
            break
        else:
            out.append(err)
    return out


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _repairable(err: Any) -> bool:
    """An unknown key (dropped) or a missing top-level field that has a stand-in."""
    if err["type"] == "extra_forbidden":
        return True
    loc = tuple(err["loc"])
    return err["type"] == "missing" and len(loc) == 1 and loc[0] in _STAND_INS


def _without(data: Any, paths: list[tuple[Any, ...]]) -> Any:
    """A copy of `data` without the values at `paths` (mapping keys)."""
    if not paths:
        return data
    if isinstance(data, dict):
        drop = {p[0] for p in paths if len(p) == 1}
        return {
            k: _without(v, [p[1:] for p in paths if len(p) > 1 and p[0] == k])
            for k, v in data.items()
            if k not in drop
        }
    if isinstance(data, list):
        return [
            _without(v, [p[1:] for p in paths if len(p) > 1 and p[0] == i])
            for i, v in enumerate(data)
        ]
    return data


def _under(path: str, prefixes: set[str]) -> bool:
    return any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in prefixes)


def load_spec_file(path: Path, display: str | None = None) -> LayerSpec:
    source = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise SpecError(
                [
                    Diagnostic(
                        source,
                        1,
                        1,
                        "",
                        f"the spec is {size:,} bytes; a "
                        f"spec may be at most {MAX_SPEC_BYTES:,} bytes",
                    )
                ]
            )
        # Bounded: a device or a pipe (`/dev/zero`, `<(...)`) has no size to check first.
        with path.open("rb") as handle:
            raw = handle.read(MAX_SPEC_BYTES + 1)
        if len(raw) > MAX_SPEC_BYTES:
            raise SpecError(
                [
                    Diagnostic(
                        source,
                        1,
                        1,
                        "",
                        f"the spec is more than {MAX_SPEC_BYTES:,} bytes; a "
                        f"spec may be at most {MAX_SPEC_BYTES:,} bytes",
                    )
                ]
            )
    except OSError as exc:
        raise SpecError(
            [Diagnostic(source, 0, 0, "", f"cannot read the spec: {exc.strerror}")]
        ) from None
    return load_spec_text(raw, source)


def _parse_yaml(text: str | bytes, located: Located) -> Any:
    source = located.source
    if isinstance(text, bytes):
        if len(text) > MAX_SPEC_BYTES:
            raise SpecError(
                [
                    Diagnostic(
                        source,
                        1,
                        1,
                        "",
                        f"the spec is {len(text):,} bytes; "
                        f"a spec may be at most {MAX_SPEC_BYTES:,} bytes",
                    )
                ]
            )
        raw = text
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            raise SpecError(
                [
                    Diagnostic(
                        source,
                        line,
                        col,
                        "",
                        "the spec is not UTF-8 text "
                        f"(byte 0x{text[exc.start]:02x} at offset {exc.start}); "
                        "save it as UTF-8",
                    )
                ]
            ) from None
    text = text.lstrip("\ufeff")
    located.lines = text.splitlines()
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise SpecError([_syntax_error(exc, source)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Diagnostic(source, 1, 1, "", f"YAML error: {exc}")]) from None
    except (RecursionError, MemoryError):
        raise SpecError([_too_deep(source)]) from None
    if node is None:
        raise SpecError(
            [
                Diagnostic(
                    source,
                    1,
                    1,
                    "",
                    "the spec is empty; start from "
                    "`klgen new --example dense --save-spec FILE`",
                )
            ]
        )
    problems: list[Diagnostic] = []
    count = [0]
    try:
        data = _construct(node, (), located, problems, count)
    except (RecursionError, MemoryError):
        raise SpecError([_too_deep(source)]) from None
    if problems and (count[0] > MAX_NODES or not isinstance(data, dict)):
        raise SpecError(problems)
    located.deferred = problems
    if not isinstance(data, dict):
        raise SpecError(
            [
                located.at(
                    (),
                    "the spec must be a mapping of fields "
                    f"(`klgen: {FORMAT_VERSION}`, `name`, ...), not a "
                    f"{type(data).__name__}",
                )
            ]
        )
    version = data.get("klgen")
    if "klgen" not in data:
        raise SpecError(
            [
                located.at(
                    ("klgen",),
                    "missing the spec format version; add "
                    f"`klgen: {FORMAT_VERSION}` as the first line",
                )
            ]
        )
    # `type` too: YAML's `true` and `1.0` compare equal to 1 but are not a version.
    if type(version) is not int or version != FORMAT_VERSION:
        raise SpecError(
            [
                located.at(
                    ("klgen",),
                    f"unknown spec format {show_value(version)}; this "
                    f"klgen reads format {FORMAT_VERSION} "
                    f"(`klgen: {FORMAT_VERSION}`)",
                )
            ]
        )
    return data


def _too_deep(source: str) -> Diagnostic:
    return Diagnostic(
        source,
        1,
        1,
        "",
        "the spec nests too deeply to read; a spec is a page, not a tree",
    )


def _syntax_error(exc: yaml.MarkedYAMLError, source: str) -> Diagnostic:
    """A YAML syntax error at its mark, with the construct it interrupted."""
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    what = exc.problem or str(exc)
    context = exc.context_mark
    if (
        exc.context
        and context is not None
        and (context.line, context.column) != (line - 1, col - 1)
    ):
        what += (
            f" ({exc.context} at line {context.line + 1}, column {context.column + 1})"
        )
    if "flow" in (exc.context or "") and (exc.problem or "").endswith(
        ("got '['", "got '{'")
    ):
        what += (
            "; inside `[...]` or `{...}`, quote a value that contains brackets, e.g. "
            '`"input_shape[-1]"`'
        )
    return Diagnostic(source, line, col, "", f"YAML syntax error: {what}")


def _construct(
    node: yaml.Node,
    path: Path_,
    located: Located,
    problems: list[Diagnostic],
    count: list[int],
) -> Any:
    """Plain data from a node, recording positions; aliases are walked, bounded."""
    count[0] += 1
    if count[0] > MAX_NODES:
        if count[0] == MAX_NODES + 1:
            # Reported at the top-level field that grew too big: the node itself may
            # be an alias target far away from it.
            where = (node.start_mark.line + 1, node.start_mark.column + 1)
            line, column = located.key_positions.get(path[:1], where)
            problems.append(
                Diagnostic(
                    located.source,
                    line,
                    column,
                    _dotted(path[:1]),
                    f"the spec expands to more than {MAX_NODES:,} values "
                    "(YAML aliases?); a spec is a page, not a data set",
                )
            )
        return None
    located.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
        problems.append(located.at(path, _TagError.refused(node.tag)))
        located.dropped.add(_dotted(path))
        return None
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(
                    Diagnostic(
                        located.source,
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                        _dotted(path),
                        "YAML merge keys (`<<`) are not supported in a "
                        "spec; write the fields out",
                    )
                )
                continue
            key_at = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if not isinstance(key_node, yaml.ScalarNode):
                kind = (
                    "a list" if isinstance(key_node, yaml.SequenceNode) else "a mapping"
                )
                problems.append(
                    Diagnostic(
                        located.source,
                        *key_at,
                        _dotted(path),
                        f"keys must be plain names, not {kind}",
                    )
                )
                continue
            try:
                key = _scalar(key_node)
            except _TagError as exc:
                problems.append(
                    Diagnostic(located.source, *key_at, _dotted(path), str(exc))
                )
                continue
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                problems.append(
                    Diagnostic(
                        located.source,
                        *key_at,
                        _dotted(path),
                        f"keys must be plain names, not {_kind(key)}",
                    )
                )
                continue
            if key in seen:
                problems.append(
                    Diagnostic(
                        located.source,
                        *key_at,
                        _dotted((*path, key)),
                        f"duplicate key `{key}` (first at line {seen[key]})",
                    )
                )
                continue
            seen[key] = key_node.start_mark.line + 1
            key_path = (*path, key)
            located.key_positions[key_path] = key_at
            out[key] = _construct(value_node, key_path, located, problems, count)
            located.positions.setdefault(key_path, key_at)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, (*path, i), located, problems, count)
            for i, item in enumerate(node.value)
        ]
    assert isinstance(node, yaml.ScalarNode)  # mappings and sequences returned above
    first = node.start_mark.line + 1
    if node.style in ("|", ">"):
        first += 1
    located.content_lines[path] = first
    located.styles[path] = node.style or ""
    try:
        return _scalar(node)
    except _TagError as exc:
        problems.append(located.at(path, str(exc)))
        located.dropped.add(_dotted(path))
        return None


#: The tags of plain YAML collections (the composer resolves untagged ones to these).
_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class _TagError(ValueError):
    """A YAML tag a spec may not use (`!!python/object`, custom tags)."""

    @staticmethod
    def refused(tag: str) -> str:
        tag = tag.replace("tag:yaml.org,2002:", "!!")
        return (
            f"the YAML tag `{tag}` is not allowed in a spec; a spec holds plain "
            "strings, numbers, booleans, lists and mappings"
        )


def _scalar(node: yaml.ScalarNode) -> Any:
    """The value of a scalar node, by the tag the composer resolved (safe tags only)."""
    try:
        return yaml.SafeLoader("").construct_object(node, deep=True)
    except yaml.constructor.ConstructorError:
        raise _TagError(_TagError.refused(node.tag)) from None
    except ValueError as exc:  # e.g. a `!!timestamp` or `!!int` that does not parse
        raise _TagError(
            f"the value `{node.value}` does not fit its YAML tag "
            f"`{node.tag.replace('tag:yaml.org,2002:', '!!')}`: {exc}"
        ) from None


def _kind(value: Any) -> str:
    return {
        type(None): "null",
        bool: "a boolean",
        float: "a number",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def _translate(err: Any, located: Located) -> Diagnostic:
    """A pydantic error, in words for people."""
    loc = tuple(err["loc"])
    kind = err["type"]
    if "[key]" in loc:  # a mapping key of the wrong type, e.g. `args: {1: ...}`
        at = loc[: loc.index("[key]")]
        return located.at(
            at, f"`{at[-1]}` is not a name; keys here are names", key=True
        )
    if kind == "extra_forbidden":
        key = loc[-1]
        fields = _fields_at(loc[:-1])
        hint = did_you_mean(str(key), fields) if fields else ""
        known = f"; known fields: {', '.join(fields)}" if fields and not hint else ""
        return located.at(loc, f"unknown field `{key}`{hint}{known}", key=True)
    if kind == "missing":
        return located.at(
            loc, "missing; this field is required", near=loc[:-1], key=True
        )
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        value = err.get("input")
        hint = did_you_mean(
            str(value),
            [e.strip(" '") for e in expected.replace(" or ", ",").split(",")],
        )
        return located.at(loc, f"{value!r} is not one of {expected}{hint}")
    if kind == "too_short" and loc and loc[-1] == "examples":
        return located.at(
            loc,
            "give at least one example input, e.g. "
            "`examples: [{input_shape: [2, 8]}]`",
        )
    message = err["msg"]
    value = err.get("input")
    for kinds, expected in _EXPECTED:
        if kind in kinds:
            return located.at(loc, f"expected {expected}, got {show_value(value)}")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        message = f"{message[:1].lower()}{message[1:]}, got {show_value(value)}"
    return located.at(loc, message)


#: pydantic error types -> what the field expects, in the spec's (YAML's) words.
_EXPECTED = (
    (("dict_type", "model_type", "model_attributes_type"), "a mapping"),
    (("list_type", "tuple_type"), "a list"),
    (("string_type",), "a string"),
    (("bool_type", "bool_parsing"), "true or false"),
    (("int_type", "int_parsing", "int_from_float"), "an integer"),
    (("float_type", "float_parsing"), "a number"),
)


def show_value(value: Any) -> str:
    """A value as a spec's author writes it: YAML words (`null`, `true`), flow style."""
    if value is None:
        return "null (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        text = yaml.safe_dump(
            value, default_flow_style=True, sort_keys=False, width=10**9
        ).strip()
        return text if len(text) <= 60 else text[:57] + "..."
    return repr(value)


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
