"""User regions: code between marker comments that belongs to the user, not to the spec.

    # klgen: begin user region `call`
    outputs = inputs
    # klgen: end user region `call`

`extract` reads the regions of an existing file, `splice` puts them into freshly generated
text; `files.header.digest` fingerprints a file with its regions blanked, so that a hand
edit outside the regions can be told from a user's code inside them.
"""

from __future__ import annotations

import re

USER_REGION_DEFAULT = "outputs = inputs"
BEGIN = "# klgen: begin user region `{id}`"
END = "# klgen: end user region `{id}`"
_MARKER = re.compile(
    r"^(?P<indent>[ \t]*)# klgen: (?P<kind>begin|end) user region `(?P<id>[\w-]+)`[ \t]*$",
    re.MULTILINE,
)


class RegionError(ValueError):
    """Markers that do not pair up: the file was edited in a way klgen cannot merge."""


def region_spans(text: str) -> list[tuple[str, int, int]]:
    """(id, start of content, end of content) of each region, in file order."""
    spans: list[tuple[str, int, int]] = []
    open_id: str | None = None
    start = 0
    for match in _MARKER.finditer(text):
        kind, rid = match.group("kind"), match.group("id")
        line = text.count("\n", 0, match.start()) + 1
        if kind == "begin":
            if open_id is not None:
                raise RegionError(
                    f"line {line}: region `{rid}` begins inside region `{open_id}`"
                )
            open_id, start = rid, match.end() + 1
        else:
            if open_id != rid:
                raise RegionError(
                    f"line {line}: end of region `{rid}` without its begin"
                )
            spans.append((rid, start, match.start()))
            open_id = None
    if open_id is not None:
        raise RegionError(f"region `{open_id}` has no end marker")
    ids = [rid for rid, _, _ in spans]
    if len(set(ids)) != len(ids):
        raise RegionError("a region id appears twice")
    return spans


def extract(text: str) -> dict[str, str]:
    """The code inside each region, dedented to column 0, by region id."""
    out = {}
    for rid, start, end in region_spans(text):
        out[rid] = _dedent(text[start:end])
    return out


def splice(generated: str, regions: dict[str, str]) -> str:
    """`generated` with each region's content replaced by `regions[id]`, re-indented."""
    pieces: list[str] = []
    last = 0
    for rid, start, end in region_spans(generated):
        if rid not in regions:
            continue
        indent = _indent_before(generated, start)
        pieces.append(generated[last:start])
        pieces.append(_indent(regions[rid], indent))
        last = end
    pieces.append(generated[last:])
    return "".join(pieces)


def _indent_before(text: str, start: int) -> str:
    """The indentation of the begin marker that precedes `start`."""
    line_start = text.rfind("\n", 0, start - 1) + 1
    line = text[line_start:start]
    return line[: len(line) - len(line.lstrip(" \t"))]


def _dedent(block: str) -> str:
    lines = block.splitlines()
    widths = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    cut = min(widths, default=0)
    return "\n".join(line[cut:] for line in lines).rstrip("\n")


def _indent(code: str, indent: str) -> str:
    lines = code.splitlines()
    return "".join((indent + line if line.strip() else "") + "\n" for line in lines)
