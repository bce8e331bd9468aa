"""A spec's source: bounded reading, positioned YAML, and the locator that places every
problem at its file, line and column (or, for flags, at the flag that gave the value).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from keraslayer_gen.errors import Diagnostic, SpecError
from keraslayer_gen.spec.flags import origin_of, reads_code_file
from keraslayer_gen.spec.model import FORMAT_VERSION
from keraslayer_gen.spec.names import dotted

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
            origin = origin_of(self.origins, probe, self.source)
            if (line_offset or col is not None) and reads_code_file(origin):
                # a place in code read from a file: `--body FILE:LINE:COL`
                line, column = line_offset + 1, col or 1
                return Diagnostic(origin, line, column, dotted(path), message)
            return Diagnostic(origin, 0, 0, dotted(path), message)
        while probe and probe not in self.positions:
            probe = probe[:-1]
        line, column = self.positions.get(probe, (1, 1))
        if key and probe in self.key_positions:
            line, column = self.key_positions[probe]
        if line_offset or col is not None:
            line = self.content_lines.get(probe, line) + line_offset
            column = col if col is not None else column
        return Diagnostic(self.source, line, column, dotted(path), message)

    def code_column(self, path: Path_, code: str, lineno: int, index: int) -> int:
        """The spec column (1-based) of character `index` (0-based) of line `lineno` of
        `code`, the code at `path`."""
        code_lines = code.splitlines() or [""]
        code_line = code_lines[min(lineno, len(code_lines)) - 1]
        first = self.content_lines.get(path)
        lines = self.lines
        if first is None or first - 1 + lineno - 1 >= len(lines):
            return index + 1
        if self.styles.get(path) in ("|", ">"):
            # A literal block is its spec lines minus the block's indentation.
            text = lines[first - 1 + lineno - 1]
            return max(len(text) - len(code_line) + index + 1, 1)
        line, column = self.positions[path]
        if lineno == 1 and line == first:  # a one-line scalar: after its quote, if any
            quoted = self.styles.get(path) in ("'", '"')
            return column + int(quoted) + index
        return max(index + 1, 1)

    def at_code(
        self, path: Path_, code: str, message: str, lineno: int, index: int
    ) -> Diagnostic:
        """A diagnostic at character `index` (0-based) of line `lineno` of `code`."""
        col = self.code_column(path, code, lineno, index)
        return self.at(path, message, line_offset=lineno - 1, col=col)


def too_big(source: str, size: str) -> SpecError:
    """The spec is `size` bytes (`"1,000,001"`, `"more than 1,000,000"`): too big."""
    return SpecError(
        [
            Diagnostic(
                source,
                1,
                1,
                "",
                f"the spec is {size} bytes; a spec may be at most {MAX_SPEC_BYTES:,} bytes",
            )
        ]
    )


def read_spec_bytes(path: Path, source: str) -> bytes:
    """The bytes of a spec file, at most `MAX_SPEC_BYTES` of them."""
    try:
        size = path.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise too_big(source, f"{size:,}")
        # Bounded: a device or a pipe (`/dev/zero`, `<(...)`) has no size to check first.
        with path.open("rb") as handle:
            raw = handle.read(MAX_SPEC_BYTES + 1)
        if len(raw) > MAX_SPEC_BYTES:
            raise too_big(source, f"more than {MAX_SPEC_BYTES:,}")
    except OSError as exc:
        raise SpecError(
            [Diagnostic(source, 0, 0, "", f"cannot read the spec: {exc.strerror}")]
        ) from None
    return raw


def parse_yaml(text: str | bytes, located: Located) -> Any:
    """The plain data of a spec's YAML (a mapping), recording where each value stands;
    bounded, safe tags only; problems that do not stop reading go to `deferred`."""
    source = located.source
    if isinstance(text, bytes):
        if len(text) > MAX_SPEC_BYTES:
            raise too_big(source, f"{len(text):,}")
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
                    dotted(path[:1]),
                    f"the spec expands to more than {MAX_NODES:,} values "
                    "(YAML aliases?); a spec is a page, not a data set",
                )
            )
        return None
    located.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
        problems.append(located.at(path, _TagError.refused(node.tag)))
        located.dropped.add(dotted(path))
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
                        dotted(path),
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
                        dotted(path),
                        f"keys must be plain names, not {kind}",
                    )
                )
                continue
            try:
                key = _scalar(key_node)
            except _TagError as exc:
                problems.append(
                    Diagnostic(located.source, *key_at, dotted(path), str(exc))
                )
                continue
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                problems.append(
                    Diagnostic(
                        located.source,
                        *key_at,
                        dotted(path),
                        f"keys must be plain names, not {_kind(key)}",
                    )
                )
                continue
            if key in seen:
                problems.append(
                    Diagnostic(
                        located.source,
                        *key_at,
                        dotted((*path, key)),
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
        located.dropped.add(dotted(path))
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
