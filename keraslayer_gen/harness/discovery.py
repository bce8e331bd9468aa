"""Which layers `klgen verify` verifies when it is given a folder, no target at all, or a
list of changed files (`--changed`, pre-commit's file list).

A layer is counted once: a spec, the layer file generated from it and its generated test
all stand for the generated layer file. A hand-written layer (a `.py` file klgen did not
generate) is `file.py:Class` for each Layer subclass its source defines. Nothing here
imports the layers or Keras.
"""

from __future__ import annotations

import ast
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.files.header import read_header
from keraslayer_gen.files.inventory import GeneratedFile, _walk, default_paths, spec_key
from keraslayer_gen.files.layout import Layout
from keraslayer_gen.harness.preflight import _imported, _is_layer
from keraslayer_gen.harness.target import SPEC_SUFFIXES


@dataclass
class Found:
    """Targets (texts `resolve_target` accepts), each layer once, in a stable order."""

    targets: list[str] = field(default_factory=list)
    handwritten: set[str] = field(default_factory=set)  # targets without a spec
    notes: list[str] = field(default_factory=list)
    _keys: set[str] = field(default_factory=set)

    def add(self, key: str, text: str, handwritten: bool = False) -> None:
        if key in self._keys:
            return
        self._keys.add(key)
        self.targets.append(text)
        if handwritten:
            self.handwritten.add(text)


def _rel(path: Path, cwd: Path) -> str:
    try:
        return path.resolve().relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return str(path)


class Repository:
    """The generated layer file of every spec key in the repository's folders."""

    def __init__(self, layout: Layout, extra: list[Path], cwd: Path) -> None:
        self.layout, self.cwd = layout, cwd
        self.layers: dict[str, Path] = {}
        for path in _walk([*default_paths(layout), *extra]):
            if path.suffix != ".py" or path.name.startswith("test_"):
                continue
            generated = _generated(path)
            if generated is not None and generated.key is not None:
                self.layers.setdefault(generated.key, path)

    def add_file(self, found: Found, path: Path, *, lenient: bool) -> None:
        """The layer `path` belongs to, if any; a file that is no layer's is skipped."""
        name = path.name
        if name.endswith(SPEC_SUFFIXES):
            key = spec_key(path)
            layer = self.layers.get(key)
            found.add(key, _rel(layer, self.cwd) if layer else _rel(path, self.cwd))
            return
        if path.suffix != ".py" or name == "__init__.py" or not path.is_file():
            return
        generated = _generated(path)
        if generated is not None:
            source_key = generated.key
            if source_key is None:  # generated from flags: the file is the only record
                if not name.startswith("test_"):
                    found.add(spec_key(path), _rel(path, self.cwd))
                return
            layer = self.layers.get(source_key)
            if layer is None and not name.startswith("test_"):
                layer = path
            if layer is not None:
                found.add(source_key, _rel(layer, self.cwd))
            return
        if lenient and not _inside(path, self.layout):
            return  # a changed module outside the layers folders is no layer of ours
        for class_name in layer_classes(path):
            text = f"{_rel(path, self.cwd)}:{class_name}"
            found.add(f"{spec_key(path)}:{class_name}", text, handwritten=True)


def _inside(path: Path, layout: Layout) -> bool:
    resolved = path.resolve()
    for folder in (layout.spec_dir(), layout.layers_dir):
        try:
            resolved.relative_to(folder.resolve())
            return True
        except ValueError:
            continue
    return False


def _generated(path: Path) -> GeneratedFile | None:
    try:
        with path.open(encoding="utf-8") as handle:
            header = read_header(handle.read(2000))
    except (OSError, UnicodeDecodeError):
        return None
    return GeneratedFile(path, header) if header is not None else None


def layer_classes(path: Path) -> list[str]:
    """The top-level classes of `path` that its source shows to be Layer subclasses."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError):
        return []
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    imported = _imported(tree)
    return [
        name
        for name, node in classes.items()
        if _is_layer(node, classes, imported, set()) is True
    ]


def repository_layers(layout: Layout, cwd: Path) -> Found:
    """Every layer of the repository: its specs folder and its layers folder."""
    folders = [
        f for f in dict.fromkeys((layout.spec_dir(), layout.layers_dir)) if f.is_dir()
    ]
    if not folders:
        raise KlgenError(
            f"{_rel(layout.layers_dir, cwd)}: the layers folder does not exist; "
            "give a target, or set layers_dir in [tool.klgen]"
        )
    return folder_layers(folders, layout, cwd)


def folder_layers(folders: list[Path], layout: Layout, cwd: Path) -> Found:
    repo = Repository(layout, folders, cwd)
    found = Found()
    for path in _walk(folders):
        repo.add_file(found, path, lenient=False)
    return found


def changed_files(root: Path) -> list[Path]:
    """Files that differ from HEAD (staged or not) and untracked files, under `root`."""

    def git(*args: str) -> list[str]:
        try:
            done = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise KlgenError(f"--changed: cannot run git ({exc})") from None
        if done.returncode != 0:
            raise GitError(
                done.stderr.strip().splitlines()[-1]
                if done.stderr.strip()
                else f"git {' '.join(args)} failed"
            )
        return [line for line in done.stdout.splitlines() if line]

    try:
        top = Path(git("rev-parse", "--show-toplevel")[0])
    except GitError as exc:
        raise KlgenError(
            f"--changed: {root} is not in a git repository ({exc}); give the "
            "files or targets instead"
        ) from None
    try:
        names = git("diff", "--name-only", "HEAD", "--")
    except GitError:  # no commit yet: everything is new
        names = git("ls-files")
    names += git("ls-files", "--others", "--exclude-standard")
    return [top / name for name in dict.fromkeys(names)]


class GitError(Exception):
    pass


def changed_layers(files: list[Path] | None, layout: Layout, cwd: Path) -> Found:
    """The layers whose spec, file or generated test is among `files` (default: what git
    says changed), and every generated layer when a file of the templates overlay
    changed."""
    given = files is not None
    paths = files if files is not None else changed_files(layout.root)
    repo = Repository(layout, [], cwd)
    found = Found()
    overlay = layout.templates.resolve() if layout.templates else None
    template_changed = [
        p for p in paths if overlay is not None and p.resolve().is_relative_to(overlay)
    ]
    for path in paths:
        if path.is_dir():
            for inner in _walk([path]):
                repo.add_file(found, inner, lenient=True)
        else:
            repo.add_file(found, path, lenient=True)
    if template_changed:
        for key, layer in sorted(repo.layers.items(), key=lambda kv: str(kv[1])):
            found.add(key, _rel(layer, cwd))
        found.notes.append(
            f"{_rel(template_changed[0], cwd)} changed: the templates overlay "
            "renders every generated layer, so all of them are verified"
        )
    if not found.targets:
        where = "the files given" if given else "the changes against HEAD"
        found.notes.append(f"no layer among {where}: nothing to verify")
    return found


def shard(targets: list[str], text: str) -> list[str]:
    """`--shard I/N`: the I-th of N deterministic, disjoint parts of `targets` (sorted,
    every N-th from the I-th), so N CI jobs together verify each target once."""
    try:
        index_text, count_text = text.split("/")
        index, count = int(index_text), int(count_text)
    except ValueError:
        raise KlgenError(
            f"--shard {text}: expected I/N with whole numbers, e.g. --shard 1/4"
        ) from None
    if count < 1 or not 1 <= index <= count:
        raise KlgenError(
            f"--shard {text}: expected 1 <= I <= N, e.g. --shard 1/{max(count, 2)}"
        )
    ordered = sorted(dict.fromkeys(targets))
    return ordered[index - 1 :: count]
