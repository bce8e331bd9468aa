"""The spec schema file beside the specs: planned like any file klgen owns.

A spec klgen saves starts with `# yaml-language-server: $schema=klgen-spec.schema.json`,
a path relative to the spec. klgen writes that file beside the specs (`klgen init`, and
`new`/`sync` when it is missing or stale) and `klgen check` reports it missing or stale,
so an editor with the YAML language server completes and checks specs as they are typed.
"""

from __future__ import annotations

import json
from pathlib import Path

from keraslayer_gen.files.plan import (
    CONFLICT,
    CREATE,
    IDENTICAL,
    UPDATE,
    FileChange,
    read_text,
)
from keraslayer_gen.spec.schema import MODELINE, SCHEMA_ID, SCHEMA_NAME, schema_text


def points_at_schema(spec_path: Path) -> bool:
    """Whether the spec's first lines hold the modeline that names the schema file."""
    text = read_text(spec_path) or ""
    return any(MODELINE in line for line in text.splitlines()[:5])


def schema_change(folder: Path) -> FileChange:
    """The schema file in `folder`: created when missing, refreshed when stale (it is
    klgen's own file); a file of that name that is not klgen's schema is a conflict."""
    path = folder / SCHEMA_NAME
    text = schema_text()
    old = read_text(path)
    if old is None:
        return FileChange(path, text, old, CREATE)
    if old == text:
        return FileChange(path, text, old, IDENTICAL)
    if not _is_klgen_schema(old):
        return FileChange(
            path,
            text,
            old,
            CONFLICT,
            "exists and is not klgen's spec schema; move it away so that the specs' "
            f"`{MODELINE}` modeline finds klgen's",
        )
    return FileChange(path, text, old, UPDATE, "the schema of this klgen")


def schema_changes(spec_paths: list[Path]) -> list[FileChange]:
    """The schema file of each folder of the specs whose modeline names it, where it is
    missing or stale (a current one is not worth a line of every `sync`)."""
    folders: dict[Path, None] = {}
    for spec_path in spec_paths:
        if points_at_schema(spec_path):
            folders.setdefault(spec_path.parent.resolve(), None)
    changes = [schema_change(folder) for folder in folders]
    return [change for change in changes if change.status != IDENTICAL]


def _is_klgen_schema(text: str) -> bool:
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("$id") == SCHEMA_ID
