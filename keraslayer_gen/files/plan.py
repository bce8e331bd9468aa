"""The plan of a run (path -> new text and status), klgen's conflict policy, and the
plan's all-or-nothing, atomic write."""

from __future__ import annotations

import contextlib
import difflib
import errno
import glob
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.files.header import blank, digest, recorded_digest
from keraslayer_gen.files.regions import RegionError

CREATE, IDENTICAL, UPDATE, CONFLICT = ("create", "identical", "update", "conflict")


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


def plain_change(
    path: Path,
    text: str,
    old: str | None,
    force: bool,
    conflict: str = "exists and differs; use --force to replace it",
) -> FileChange:
    """The status of writing `text` over `old`: create, identical, update (forced), or a
    conflict with the reason given. For files without a digest (overlays, schema files,
    `__init__.py` exports); a generated file's status is `generated_change`'s."""
    if old is None:
        return FileChange(path, text, old, CREATE)
    if old == text:
        return FileChange(path, text, old, IDENTICAL)
    if force:
        return FileChange(path, text, old, UPDATE, "--force")
    return FileChange(path, text, old, CONFLICT, conflict)


def generated_change(
    path: Path, text: str, old: str | None, mode: str, force: bool
) -> FileChange:
    """klgen's conflict policy for a generated file (one with a digest line): what may be
    written over `old`, in `mode` `new` (never replaces a different file) or `sync`
    (regenerates files whose digest says nobody edited them outside their regions)."""
    if old is None or old == text or force:
        return plain_change(path, text, old, force)
    recorded = recorded_digest(old)
    if recorded is not None and _same_but_digest(old, text):
        # A hand edit that the spec now generates as well: nothing of the user's is
        # lost by writing the file again, with its digest refreshed.
        return FileChange(path, text, old, UPDATE, "only its digest line changes")
    if recorded is None:
        return FileChange(
            path,
            text,
            old,
            CONFLICT,
            "exists and was not written by klgen; "
            "move it away or use --force to replace it",
        )
    if recorded != digest(old):
        return FileChange(
            path,
            text,
            old,
            CONFLICT,
            "was edited outside its user regions; "
            "move those edits into the spec or a region, or use --force",
        )
    if mode == "sync":
        return FileChange(path, text, old, UPDATE)
    return FileChange(
        path,
        text,
        old,
        CONFLICT,
        "exists and differs from what this spec "
        "generates; run `klgen sync` to regenerate it or use --force",
    )


def _same_but_digest(old: str, new: str) -> bool:
    try:
        return blank(old) == blank(new)
    except RegionError:
        return False


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
        raise KlgenError(
            f"{path}: outside the repository root {root}; klgen writes only "
            "inside it"
        )
    probe = base
    for index, part in enumerate(rel.parts):
        probe = probe / part
        if probe.is_symlink():
            raise KlgenError(
                f"{path}: {probe} is a symbolic link; klgen does not write "
                "through links"
            )
        if index < len(rel.parts) - 1 and probe.exists() and not probe.is_dir():
            raise KlgenError(
                f"{path}: {probe} is a file, not a folder; klgen cannot "
                "write inside it"
            )


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise KlgenError(
            f"{path}: exists and is not UTF-8 text; klgen will not replace it"
        ) from None
    except IsADirectoryError:
        raise KlgenError(f"{path}: is a directory") from None


def write_all(plan: Plan) -> None:
    """Write every create/update of `plan`, or none of them.

    Each new text goes to a temporary file beside its target first; only when all of them
    are on disk are they moved into place with `os.replace`, and a failure part-way puts
    back what was replaced already (from a hard link made before, which needs no space
    on a full disk). One klgen writes a repository at a time (`repository_lock`), and a
    file that changed since the plan read it is never overwritten.
    """
    if plan.conflicts:
        raise KlgenError("refusing to write a plan with conflicts")
    # Every target is checked before anything touches the disk: a refused path must
    # not leave the temporary files of the others behind.
    for change in plan.writes:
        check_target(change.path, plan.root)
    if not plan.writes:
        return
    with repository_lock(plan.root):
        _write_locked(plan)


def _write_locked(plan: Plan) -> None:
    for change in plan.changes:
        _clean_stale(change.path)
    for change in plan.writes:
        if read_text(change.path) != change.old:
            raise KlgenError(
                f"{change.path}: changed since klgen read it (another klgen or "
                "an editor?); nothing was written; run the command again"
            )
    staged: list[tuple[FileChange, Path]] = []
    backups: dict[Path, Path | None] = {}
    try:
        for change in plan.writes:
            change.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                prefix=f".{change.path.name}.", suffix=_TMP, dir=change.path.parent
            )
            staged.append(
                (change, Path(tmp))
            )  # before writing: a failed write is cleaned
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(change.text)
                handle.flush()
                os.fsync(handle.fileno())
            if change.path.exists():
                os.chmod(tmp, change.path.stat().st_mode & 0o7777)
            else:
                os.chmod(tmp, 0o666 & ~_umask())
        for change, _ in staged:  # all backups before the first replace
            if change.old is not None:
                backups[change.path] = _backup(change.path)
    except OSError as exc:
        leftovers = [p for _, p in staged] + [b for b in backups.values() if b]
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)
        # Name the file the user asked for, not the temporary file beside it.
        raise KlgenError(
            f"cannot write {change.path}: {exc.strerror}; nothing was written"
        ) from None
    done: list[tuple[FileChange, Path | None]] = []
    try:
        for change, staged_path in staged:
            done.append((change, backups.get(change.path)))
            os.replace(staged_path, change.path)
    except OSError as exc:
        failed = _roll_back(done)
        for _, staged_path in staged:
            staged_path.unlink(missing_ok=True)
        message = f"cannot write {change.path}: {exc.strerror}; nothing was written"
        if failed:
            message += "; could not put back " + ", ".join(failed)
        raise KlgenError(message) from None
    for backup in backups.values():
        if backup is not None:
            backup.unlink(missing_ok=True)


_TMP, _BAK = ".klgen-tmp", ".klgen-bak"


def _backup(path: Path) -> Path | None:
    """A hard link to the current `path`, to put it back without writing a byte; None
    where the file system has no hard links (then the rollback rewrites the text)."""
    backup = path.with_name(f".{path.name}.{os.getpid()}{_BAK}")
    backup.unlink(missing_ok=True)
    try:
        os.link(path, backup)
    except OSError as exc:
        if exc.errno in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV):
            return None
        raise  # e.g. no space for one more name: stop before anything is replaced
    return backup


def _roll_back(done: list[tuple[FileChange, Path | None]]) -> list[str]:
    """Put back what `done` replaced; the files that could not be, with their backup."""
    failed = []
    for change, backup in reversed(done):
        try:
            if change.old is None:
                change.path.unlink(missing_ok=True)
            elif backup is not None:
                os.replace(backup, change.path)
                # Still there when the target was never replaced: rename(2) between two
                # links of one file does nothing.
                backup.unlink(missing_ok=True)
            else:
                change.path.write_text(change.old, encoding="utf-8", newline="\n")
        except OSError:
            failed.append(
                f"{change.path} (its previous text is in {backup})"
                if backup
                else str(change.path)
            )
    return failed


def _clean_stale(path: Path) -> None:
    """Temporary files and backups of `path` left by a klgen that was killed mid-write
    (safe: the lock says no klgen is writing, and the target is whole either way)."""
    name = glob.escape(path.name)
    for stale in (
        *path.parent.glob(f".{name}.*{_TMP}"),
        *path.parent.glob(f".{name}.*{_BAK}"),
    ):
        stale.unlink(missing_ok=True)


def lock_timeout() -> float:
    """Seconds to wait for another klgen writing the same repository (`KLGEN_LOCK_TIMEOUT`)."""
    try:
        return max(float(os.environ.get("KLGEN_LOCK_TIMEOUT", "10")), 0.0)
    except ValueError:
        return 10.0


@contextlib.contextmanager
def repository_lock(root: Path) -> Iterator[None]:
    """Hold an advisory lock on the folder `root` (no lock file is left behind) while
    writing, so that two `klgen new --force` or `sync` runs on a repository take turns.
    """
    if fcntl is None:  # Windows: no flock; one klgen at a time is up to the user
        yield
        return
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root, os.O_RDONLY)
    except OSError as exc:
        raise KlgenError(
            f"cannot write {root}: {exc.strerror}; nothing was written"
        ) from None
    try:
        deadline = time.monotonic() + lock_timeout()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise KlgenError(
                        f"another klgen is writing {root}; nothing was "
                        "written; run the command again when it has "
                        "finished"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
