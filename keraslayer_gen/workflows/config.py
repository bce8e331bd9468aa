"""The effective `[tool.klgen]` configuration of a repository, each value with its origin.

`klgen config` prints it: what `new`, `sync`, `check`, `lint` and `verify` will use, and
whether each value was configured (`pyproject.toml [tool.klgen]`), inferred from the
project (and from what), or klgen's default.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keraslayer_gen.files.layout import (
    DEFAULT_PACKAGE,
    Layout,
    find_root,
    load_layout,
    read_pyproject,
)


@dataclass(frozen=True)
class Setting:
    key: str
    value: Any
    origin: str  # "pyproject.toml [tool.klgen]", "inferred: ...", or "default"


def effective_config(start: Path) -> tuple[Path, list[Setting]]:
    """The repository root and every configuration key with its value and origin."""
    root = find_root(start)
    layout = load_layout(start)
    data = read_pyproject(root)
    configured = data.get("tool", {}).get("klgen", {})
    project_name = data.get("project", {}).get("name")
    where = "pyproject.toml [tool.klgen]"

    def rel(path: Path | None) -> str | None:
        if path is None:
            return None
        try:
            return path.resolve().relative_to(root.resolve()).as_posix() or "."
        except ValueError:
            return str(path)

    def origin(key: str, inferred: str | None = None) -> str:
        if key in configured:
            return where
        return f"inferred: {inferred}" if inferred else "default"

    settings = [
        Setting(
            "package",
            layout.package,
            origin("package", _package_reason(layout, project_name)),
        ),
        Setting(
            "layers_dir",
            rel(layout.layers_dir),
            origin("layers_dir", _layers_reason(layout, root)),
        ),
        Setting(
            "tests_dir",
            rel(layout.tests_dir),
            origin("tests_dir", _tests_reason(layout)),
        ),
        Setting(
            "specs",
            rel(layout.spec_dir()),
            origin("specs") if "specs" in configured else "default: the layers folder",
        ),
        Setting("target", layout.target, origin("target")),
        Setting(
            "backends",
            layout.backends or _installed(layout.target),
            (
                origin("backends")
                if "backends" in configured
                else "default: every installed backend"
            ),
        ),
        Setting("templates", rel(layout.templates), origin("templates")),
        Setting("exports", layout.exports, origin("exports")),
        Setting("post_hooks", configured.get("post_hooks", []), origin("post_hooks")),
    ]
    return root, settings


def _package_reason(layout: Layout, project_name: str | None) -> str | None:
    if project_name:
        return f"[project].name = {project_name!r}"
    if layout.package != DEFAULT_PACKAGE:
        return "the only package of the repository"
    return None


def _layers_reason(layout: Layout, root: Path) -> str | None:
    parent = layout.layers_dir.parent
    if parent.resolve() == root.resolve():
        return None
    return f"`layers` inside the package {parent.relative_to(root).as_posix()}"


def _tests_reason(layout: Layout) -> str | None:
    if layout.tests_dir.is_dir():
        return f"{layout.tests_dir.name}/ exists"
    return None


def _installed(target: str) -> list[str]:
    """What `klgen verify` would run on with nothing configured (its own rule)."""
    from keraslayer_gen.errors import KlgenError
    from keraslayer_gen.harness.backends import resolve_backends

    try:
        return resolve_backends(None, None, target)
    except KlgenError:  # none installed
        return []
