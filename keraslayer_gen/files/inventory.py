"""What klgen finds in a repository: spec files, the files generated from them (by their
header), and the Python files whose layers the lint reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.files.header import (
    EXAMPLE_PREFIX,
    FROM_FLAGS,
    HEADER_SPAN,
    GeneratedHeader,
    read_header,
)
from keraslayer_gen.files.layout import Layout
from keraslayer_gen.files.plan import read_text
from keraslayer_gen.spec.catalogue import (
    EXAMPLE_SUFFIX,
    SpecSource,
    load_example,
    load_spec,
)

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "env",
        "__pycache__",
        "node_modules",
        "build",
        "dist",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
    }
)


@dataclass(frozen=True)
class GeneratedFile:
    """A file whose header says klgen generated it, and from what."""

    path: Path
    header: GeneratedHeader

    @cached_property  # resolved once: sync and check look it up for every spec
    def key(self) -> str | None:
        """The spec it came from: an absolute spec path, `example:NAME`, or None (flags)."""
        source = self.header.source
        if source == FROM_FLAGS:
            return None
        if source.startswith(EXAMPLE_PREFIX):
            return source
        return spec_key(self.path.parent / source)


def spec_key(path: Path) -> str:
    return Path(path).resolve().as_posix()


@dataclass
class Inventory:
    """The klgen files of a repository, or of the paths a command was given."""

    specs: list[Path] = field(default_factory=list)  # selected spec files
    generated: list[GeneratedFile] = field(
        default_factory=list
    )  # every generated file seen
    selected: set[str] = field(
        default_factory=set
    )  # keys of the selected specs/examples
    flag_files: list[GeneratedFile] = field(
        default_factory=list
    )  # selected, from flags
    python: list[Path] = field(default_factory=list)  # selected .py files, for the lint

    def files_of(self, key: str) -> list[GeneratedFile]:
        return [g for g in self.generated if g.key == key]


def _walk(paths: Iterable[Path]) -> list[Path]:
    """Files under `paths` (files themselves included), skipping tool and hidden folders."""
    out: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_file():
            candidates = [path]
        elif path.is_dir():
            candidates = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not any(
                    part in SKIP_DIRS or part.startswith(".")
                    for part in p.relative_to(path).parts[:-1]
                )
            )
        else:
            continue
        for candidate in candidates:
            resolved = candidate.resolve()
            if resolved not in seen:
                seen.add(resolved)
                out.append(candidate)
    return out


def _header_of(path: Path) -> GeneratedHeader | None:
    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.read(HEADER_SPAN)
    except (OSError, UnicodeDecodeError):
        return None
    return read_header(head)


def default_paths(layout: Layout) -> list[Path]:
    """Where a repository keeps klgen files: the specs, layers and tests folders."""
    folders: list[Path] = []
    for folder in (layout.spec_dir(), layout.layers_dir, layout.tests_dir):
        if folder.is_dir() and folder.resolve() not in {f.resolve() for f in folders}:
            folders.append(folder)
    return folders


def scan(layout: Layout, paths: list[Path] | None = None) -> Inventory:
    """The specs and generated files under `paths` (default: the repository's folders).

    Generated files are also looked for in the repository's folders, so that a spec given
    alone is regenerated where its files already are.
    """
    inventory = Inventory()
    given = list(paths or [])
    missing = [p for p in given if not p.exists()]
    if missing:
        raise KlgenError(f"{missing[0]}: no such file or folder")
    selected_files = _walk(given or default_paths(layout))
    lint_roots = given or [
        f for f in (layout.spec_dir(), layout.layers_dir) if f.is_dir()
    ]
    lint_files = {p.resolve() for p in _walk(lint_roots) if p.suffix == ".py"}
    chosen_set = {p.resolve() for p in selected_files}
    explicit = {p.resolve() for p in given if p.is_file()}
    seen: set[Path] = set()
    for path in [*selected_files, *_walk(default_paths(layout))]:
        resolved = path.resolve()
        chosen = resolved in chosen_set
        is_spec = path.name.endswith(EXAMPLE_SUFFIX) or (
            resolved in explicit and path.suffix in (".yaml", ".yml")
        )
        if is_spec and chosen and spec_key(path) not in inventory.selected:
            inventory.specs.append(path)
            inventory.selected.add(spec_key(path))
        if path.suffix != ".py" or resolved in seen:
            continue
        seen.add(resolved)
        if chosen and resolved in lint_files:
            inventory.python.append(path)
        header = _header_of(path)
        if header is None:
            continue
        generated = GeneratedFile(path, header)
        inventory.generated.append(generated)
        if chosen:
            if generated.key is None:
                inventory.flag_files.append(generated)
            else:
                inventory.selected.add(generated.key)
    return inventory


def spec_of_generated(path: Path) -> SpecSource | None:
    """The spec that a generated layer or test file names in its header, loaded; None when
    the file has no header or was generated from flags without a saved spec."""
    header = read_header(read_text(path) or "")
    if header is None:
        return None
    if header.source.startswith(EXAMPLE_PREFIX):
        return load_example(header.source.removeprefix(EXAMPLE_PREFIX))
    if header.source == FROM_FLAGS:
        return None
    spec_path = (path.parent / header.source).resolve()
    if not spec_path.is_file():
        raise KlgenError(
            f"{path}: its header names the spec {header.source}, which does "
            f"not exist (looked for {spec_path})"
        )
    return load_spec(spec_path)
