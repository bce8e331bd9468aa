"""The plan of a run (path -> new text and status) and its all-or-nothing, atomic write."""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import KlgenError

CREATE, IDENTICAL, UPDATE, CONFLICT, SKIP = "create", "identical", "update", "conflict", "skip"


@dataclass
class FileChange:
    """One file of a plan: what klgen would write there, and why (its status)."""

    path: Path
    text: str
    old: str | None
    status: str
    reason: str = ""

    def diff(self, root: Path) -> str:
        rel = _display(self.path, root)
        old = (self.old or "").splitlines(keepends=True)
        new = self.text.splitlines(keepends=True)
        return "".join(difflib.unified_diff(old, new, f"a/{rel}", f"b/{rel}"))


@dataclass
class Plan:
    root: Path
    changes: list[FileChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def conflicts(self) -> list[FileChange]:
        return [c for c in self.changes if c.status == CONFLICT]

    @property
    def writes(self) -> list[FileChange]:
        return [c for c in self.changes if c.status in (CREATE, UPDATE)]

    def display(self, change: FileChange) -> str:
        return _display(change.path, self.root)


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def check_target(path: Path, root: Path) -> None:
    """Refuse a path outside `root` (`..` included), or one reached through a symlink."""
    absolute = Path(os.path.normpath(path.absolute()))
    for base in (root.absolute(), root.resolve()):
        try:
            rel = absolute.relative_to(base)
            break
        except ValueError:
            continue
    else:
        raise KlgenError(f"{path}: outside the repository root {root}; klgen writes only "
                         "inside it")
    probe = base
    for part in rel.parts:
        probe = probe / part
        if probe.is_symlink():
            raise KlgenError(f"{path}: {probe} is a symbolic link; klgen does not write "
                             "through links")


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise KlgenError(f"{path}: exists and is not UTF-8 text; klgen will not replace "
                         "it") from None
    except IsADirectoryError:
        raise KlgenError(f"{path}: is a directory") from None


def write_all(plan: Plan) -> None:
    """Write every create/update of `plan`, or none of them.

    Each new text goes to a temporary file beside its target first; only when all of them
    are on disk are they moved into place with `os.replace`, and a failure part-way puts
    back what was replaced already.
    """
    if plan.conflicts:
        raise KlgenError("refusing to write a plan with conflicts")
    # Every target is checked before anything touches the disk: a refused path must
    # not leave the temporary files of the others behind.
    for change in plan.writes:
        check_target(change.path, plan.root)
    staged: list[tuple[FileChange, Path]] = []
    try:
        for change in plan.writes:
            change.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{change.path.name}.", suffix=".klgen-tmp",
                                       dir=change.path.parent)
            staged.append((change, Path(tmp)))  # before writing: a failed write is cleaned
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(change.text)
                handle.flush()
                os.fsync(handle.fileno())
            if change.path.exists():
                os.chmod(tmp, change.path.stat().st_mode & 0o7777)
            else:
                os.chmod(tmp, 0o666 & ~_umask())
    except OSError as exc:
        for _, tmp in staged:
            tmp.unlink(missing_ok=True)
        # Name the file the user asked for, not the temporary file beside it.
        raise KlgenError(f"cannot write {change.path}: {exc.strerror}; nothing was "
                         "written") from None
    done: list[FileChange] = []
    try:
        for change, tmp in staged:
            os.replace(tmp, change.path)
            done.append(change)
    except OSError as exc:
        for change in done:  # put back what was replaced
            if change.old is None:
                change.path.unlink(missing_ok=True)
            else:
                change.path.write_text(change.old, encoding="utf-8", newline="\n")
        for _, tmp in staged:
            tmp.unlink(missing_ok=True)
        raise KlgenError(f"cannot write {exc.filename or ''}: {exc.strerror}; nothing was "
                         "written") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
