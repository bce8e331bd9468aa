"""`klgen init`: `[tool.klgen]` in pyproject.toml and klgen's hooks in .pre-commit-config.yaml,
written with round-tripping libraries so that the user's comments and formatting stay.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.files.layout import Layout
from keraslayer_gen.files.plan import (
    CREATE,
    IDENTICAL,
    UPDATE,
    FileChange,
    Plan,
    read_text,
)
from keraslayer_gen.files.schema_file import schema_change

PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
HOOK_IDS = ("klgen-check", "klgen-verify")
# Files whose change can make generated files stale or a layer break the lint.
CHECK_FILES = r"\.(py|ya?ml|toml|jinja)$"
VERIFY_FILES = r"(\.klgen\.yaml|\.py)$"
VERIFY_EXCLUDE = r"(^|/)__init__\.py$"  # packages hold no layer to verify


def config_values(layout: Layout) -> dict[str, Any]:
    """The `[tool.klgen]` entries that describe `layout`, paths relative to its root."""
    root = layout.root

    def rel(path: Path) -> str:
        return path.resolve().relative_to(root.resolve()).as_posix()

    values: dict[str, Any] = {
        "package": layout.package,
        "layers_dir": rel(layout.layers_dir),
        "tests_dir": rel(layout.tests_dir),
    }
    if layout.specs_dir is not None:
        values["specs"] = rel(layout.specs_dir)
    values["target"] = layout.target
    if layout.backends:
        values["backends"] = list(layout.backends)
    if layout.templates is not None:
        values["templates"] = rel(layout.templates)
    if not layout.exports:
        values["exports"] = False
    return values


def plan_init(layout: Layout, *, pre_commit: bool = True) -> Plan:
    """The pyproject.toml (and .pre-commit-config.yaml) that adopt klgen; writes nothing."""
    plan = Plan(root=layout.root)
    plan.changes.append(
        _pyproject(layout.root / "pyproject.toml", config_values(layout))
    )
    if pre_commit:
        plan.changes.append(_pre_commit(layout.root / PRE_COMMIT_CONFIG, layout))
    # Where the `$schema` modeline of every spec klgen saves points.
    plan.changes.append(schema_change(layout.spec_dir()))
    return plan


def _status(old: str | None, new: str) -> str:
    return CREATE if old is None else (IDENTICAL if old == new else UPDATE)


def _pyproject(path: Path, values: dict[str, Any]) -> FileChange:
    import tomlkit
    from tomlkit.exceptions import ParseError

    old = read_text(path)
    try:
        doc = tomlkit.parse(old or "")
    except ParseError as exc:
        raise KlgenError(
            f"{path}: not valid TOML ({exc}); fix it, then rerun `klgen init`"
        ) from None
    tool = doc.get("tool")
    if tool is None:
        tool = tomlkit.table(is_super_table=True)
        doc.append("tool", tool)
    table = tool.get("klgen")
    if table is None:
        table = tomlkit.table()
        tool.append("klgen", table)
    for key, value in values.items():
        if table.get(key) != value:
            table[key] = value
    text = tomlkit.dumps(doc)
    return FileChange(path, text, old, _status(old, text))


def hooks(layout: Layout) -> list[dict[str, Any]]:
    """klgen's hooks as `repo: local` hooks that run the `klgen` of the project's
    environment, so that `check` compares with what the same klgen version generates."""
    layers = layout.layers_dir.resolve().relative_to(layout.root.resolve()).as_posix()
    verify_files = (
        rf"^{layers}/.*\.py$|\.klgen\.yaml$" if layers != "." else VERIFY_FILES
    )
    return [
        {
            "id": "klgen-check",
            "name": "klgen check (specs, generated files, static contract lint)",
            "entry": "klgen check",
            "language": "system",
            "pass_filenames": False,
            "files": CHECK_FILES,
        },
        {
            "id": "klgen-verify",
            "name": "klgen verify (runtime Keras layer contract)",
            "entry": "klgen verify --changed",  # each changed layer once
            "language": "system",
            "files": verify_files,
            "exclude": VERIFY_EXCLUDE,
            "require_serial": True,  # one call: its workers serve every layer
            "stages": ["manual"],
        },
    ]


def _pre_commit(path: Path, layout: Layout) -> FileChange:
    old = read_text(path)
    wanted = hooks(layout)
    if old is None or not old.strip() or _only_comments(old):
        text = (old or "") + ("" if not old or old.endswith("\n") else "\n")
        text += "repos:\n" + _entry_text(wanted)
        return FileChange(path, text, old, _status(old, text))
    text = _add_hooks(path, old, wanted)
    return FileChange(path, text, old, _status(old, text))


def _only_comments(text: str) -> bool:
    return all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    )


def _entry_text(wanted: list[dict[str, Any]]) -> str:
    """The local repo entry in pre-commit's own documentation style."""
    lines = ["  - repo: local", "    hooks:"]
    for hook in wanted:
        first = True
        for key, value in hook.items():
            lead = "      - " if first else "        "
            first = False
            if isinstance(value, bool):
                rendered = "true" if value else "false"
            elif isinstance(value, list):
                rendered = "[" + ", ".join(value) + "]"
            elif key == "files":
                rendered = "'" + value.replace("'", "''") + "'"
            else:
                rendered = value
            lines.append(f"{lead}{key}: {rendered}")
    return "\n".join(lines) + "\n"


def _yaml(text: str) -> tuple[Any, Any]:
    """A round-trip YAML loader whose indentation reproduces `text` exactly when it can."""
    from ruamel.yaml import YAML
    from ruamel.yaml.util import load_yaml_guess_indent

    _, indent, offset = load_yaml_guess_indent(text)
    candidates = [(indent or 2, offset or 0), (2, 2), (4, 2), (4, 0), (2, 0)]
    first: tuple[Any, Any] | None = None
    for sequence, dash in candidates:
        yaml = YAML()
        yaml.preserve_quotes = True
        yaml.width = 4096
        yaml.indent(
            mapping=max(sequence - dash, 2) if dash else sequence,
            sequence=sequence,
            offset=dash,
        )
        data = yaml.load(text)
        if first is None:
            first = (yaml, data)
        out = io.StringIO()
        yaml.dump(data, out)
        if out.getvalue() == text:
            return yaml, data
    assert first is not None
    return first


def _add_hooks(path: Path, old: str, wanted: list[dict[str, Any]]) -> str:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import YAMLError

    try:
        yaml, data = _yaml(old)
    except YAMLError as exc:
        raise KlgenError(
            f"{path}: not valid YAML ({exc}); fix it, then rerun `klgen init`"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("repos", []), list):
        raise KlgenError(
            f"{path}: expected a mapping with a `repos` list; add klgen's hooks "
            "by hand (see `klgen init --help`)"
        )
    repos = data.setdefault("repos", CommentedSeq())
    present = {
        hook.get("id")
        for repo in repos
        if isinstance(repo, dict)
        for hook in repo.get("hooks", []) or []
        if isinstance(hook, dict)
    }
    missing = [h for h in wanted if h["id"] not in present]
    if not missing:
        return old
    entry = CommentedMap()
    entry["repo"] = "local"
    entry["hooks"] = CommentedSeq()
    for hook in missing:
        item = CommentedMap()
        for key, value in hook.items():
            if isinstance(value, list):
                value = CommentedSeq(value)
                value.fa.set_flow_style()
            item[key] = value
        entry["hooks"].append(item)
    inserted = _insert_entry(yaml, data, old, entry)
    if inserted is not None:
        return inserted
    repos.append(entry)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _insert_entry(yaml: Any, data: Any, old: str, entry: Any) -> str | None:
    """`old` with `entry` inserted as text at the end of its block `repos` list, in the
    file's indentation: the comments that belong to the next key stay with it. None when
    the list is not a block list (a dump of the whole file is the fallback)."""
    from ruamel.yaml.comments import CommentedSeq

    repos = data.get("repos")
    if not isinstance(repos, CommentedSeq) or repos.fa.flow_style() or not repos:
        return None
    out = io.StringIO()
    yaml.dump({"repos": [entry]}, out)
    block = out.getvalue().split("\n", 1)[1]
    lines = old.splitlines(keepends=True)
    keys = list(data.keys())
    position = keys.index("repos")
    end = data.lc.key(keys[position + 1])[0] if position + 1 < len(keys) else len(lines)
    while end > 0 and (
        not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")
    ):
        end -= 1
    if end > 0 and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    text = "".join(lines[:end]) + block + "".join(lines[end:])
    reread = yaml.load(text)
    if len(reread.get("repos", [])) != len(repos) + 1:
        return None
    return text
