"""`[tool.klgen].post_hooks`: the repository's own tools, run on the files klgen plans.

    [tool.klgen]
    post_hooks = ["ruff check --fix-only", "ruff format"]

Each command runs once per klgen run, in order, in the repository root, with the planned
layer and test files appended as arguments (as pre-commit appends the files it checks).
It runs on copies: each file is staged as `<its folder>/.klgen-post-hooks/<its name>`,
beside where it lives, so that a tool finds the same configuration as on the real
path (ruff, black and isort look for it from the file's folder upwards, and from the
current folder), the same first-party packages (`src` is relative to the project root)
and the same per-folder settings (`per-file-ignores = {"tests/*" = ...}`). What the hooks
leave is what `klgen new` and `klgen sync` write and what `klgen check` compares with the
disk, so the three agree, and a repository whose pre-commit runs the same tools finds
klgen's files already as those tools want them. Nothing else of the repository is handed
to the hooks; the staged copies are removed afterwards, and when a hook fails nothing is
written.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.files.header import stamp
from keraslayer_gen.files.regions import RegionError

KEY = "post_hooks"
STAGING = ".klgen-post-hooks"  # the folder beside each planned file its copy goes in
TIMEOUT = 300.0  # seconds, per command
STALE = 2 * TIMEOUT + 60  # a staging folder this old (seconds) was left by a killed run
EXAMPLE = 'post_hooks = ["ruff check --fix-only", "ruff format"]'
_CODE_SUFFIXES = (".py", ".pyi", ".ipynb")
_SHOWN_OUTPUT_LINES = 40


class PostHookError(KlgenError):
    """One or more problems with the post hooks, each its own located line."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self._lines = list(lines)

    def lines(self) -> list[str]:
        return list(self._lines)


@dataclass(frozen=True)
class PostHook:
    """One configured command: its words, and where it is configured."""

    index: int
    command: str
    argv: tuple[str, ...]
    where: str  # `pyproject.toml:14: [tool.klgen].post_hooks[0]`


@dataclass(frozen=True)
class PostHooks:
    """The repository's post hooks; `root` is the folder they run in."""

    root: Path
    hooks: tuple[PostHook, ...]


def parse_post_hooks(value: object, root: Path, config: Path) -> PostHooks:
    """`[tool.klgen].post_hooks` of `config` (the repository's pyproject.toml), checked:
    a list of non-empty commands that name no files or folders themselves. Every
    problem at once, each located at its line of `config`."""
    key_line, element_lines = _lines_in(config)
    shown = _display(config)

    def where(index: int | None = None) -> str:
        line = key_line
        if index is not None and index < len(element_lines):
            line = element_lines[index]
        located = f"{shown}:{line}" if line else shown
        suffix = "" if index is None else f"[{index}]"
        return f"{located}: [tool.klgen].{KEY}{suffix}"

    if not isinstance(value, list):
        hint = (
            f" (one command is a list of one: {KEY} = [{_toml_string(value)}])"
            if isinstance(value, str)
            else ""
        )
        raise PostHookError(
            [
                f"{where()}: expected a list of commands, got {_kind(value)}{hint}; "
                f"for example {EXAMPLE}"
            ]
        )
    problems: list[str] = []
    hooks: list[PostHook] = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            problems.append(
                f"{where(index)}: expected a command (a string), got {_kind(item)}"
            )
            continue
        if not item.strip():
            problems.append(
                f'{where(index)}: an empty command; remove it or give one, e.g. "ruff '
                'format"'
            )
            continue
        try:
            argv = tuple(shlex.split(item))
        except ValueError as exc:
            problems.append(
                f"{where(index)}: `{item}` cannot be split into words ({exc}); check "
                "its quotes"
            )
            continue
        path_arg = _path_argument(argv, root)
        if path_arg is not None:
            problems.append(
                f"{where(index)}: `{item}` names `{path_arg}`, a path of the "
                "repository; a hook runs on the generated files only, and klgen "
                f"appends their paths itself: remove `{path_arg}` (an option's value "
                f"is written `--option={path_arg}`)"
            )
            continue
        hooks.append(PostHook(index, item, argv, where(index)))
    if problems:
        raise PostHookError(problems)
    return PostHooks(root=root, hooks=tuple(hooks))


def run_post_hooks(hooks: PostHooks | None, texts: dict[Path, str]) -> dict[Path, str]:
    """`texts` (path -> planned text of a generated file) after every hook, each run once
    on all of them, with each file's digest stamped again. `hooks` None or empty: the
    texts unchanged. Raises `PostHookError` (nothing written) when a hook cannot run,
    fails, or leaves a file unreadable or with broken user-region markers."""
    if hooks is None or not hooks.hooks or not texts:
        return dict(texts)
    commands = _executables(hooks)
    paths = sorted(texts, key=lambda p: _absolute(p).as_posix())
    with _staged(hooks.root, {p: texts[p] for p in paths}) as staged:
        arguments = [_argument(staged[p], hooks.root) for p in paths]
        renames = {
            arg: _argument(_absolute(p), hooks.root)
            for p, arg in zip(paths, arguments, strict=True)
        }
        for hook, executable in commands:
            _run(hook, executable, arguments, hooks.root, renames)
        out: dict[Path, str] = {}
        for path in paths:
            out[path] = _restamp(_read_back(staged[path], path, hooks), path, hooks)
    return out


def layout_advice(hooked: bool) -> str:
    """What to do about a generated file that a formatter or import sorter rewrote."""
    if hooked:
        return (
            "the repository's tools rewrote it otherwise than [tool.klgen].post_hooks "
            "do; give post_hooks the same commands and versions as its pre-commit "
            "(docs/repository.md)"
        )
    return (
        "a formatter or import sorter rewrote it? Give the same commands to "
        "[tool.klgen].post_hooks (docs/repository.md)"
    )


def layout_only(old: str, new: str) -> bool:
    """Whether `old` (a generated file as found) is `new` but for layout: the same
    statements (top-level ones maybe in another order, as an import sorter moves them)
    and the same comments. What a formatter or an import sorter does to a file."""
    try:
        before, after = ast.parse(old), ast.parse(new)
    except (SyntaxError, ValueError):
        return False
    same = ast.dump(before) == ast.dump(after) or sorted(
        map(ast.dump, before.body)
    ) == sorted(map(ast.dump, after.body))
    return same and _comments(old) == _comments(new)


def _comments(text: str) -> list[str] | None:
    """The comments of `text`, sorted, spacing aside; the digest line left out."""
    try:
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        found = [
            " ".join(t.string.lstrip("#").split())
            for t in tokens
            if t.type == tokenize.COMMENT and not t.string.startswith("# klgen-digest:")
        ]
    except (tokenize.TokenError, SyntaxError):
        return None
    return sorted(found)


def _executables(hooks: PostHooks) -> list[tuple[PostHook, str]]:
    """Each hook with the executable its first word names; all the missing ones at once."""
    found: list[tuple[PostHook, str]] = []
    missing: list[str] = []
    beside = Path(sys.executable).parent
    for hook in hooks.hooks:
        name = hook.argv[0]
        if os.sep in name or (os.altsep is not None and os.altsep in name):
            candidate = Path(name).expanduser()
            if not candidate.is_absolute():
                candidate = hooks.root / candidate
            if candidate.is_file() and os.access(candidate, os.X_OK):
                found.append((hook, str(candidate)))
            else:
                missing.append(
                    f"{hook.where}: `{hook.command}`: {candidate} is not an executable "
                    "file; fix the command"
                )
            continue
        executable = shutil.which(name) or shutil.which(name, path=str(beside))
        if executable is None:
            missing.append(
                f"{hook.where}: `{hook.command}`: no executable `{name}` on PATH or in "
                f"{beside}; install it where klgen runs, or fix the command"
            )
            continue
        found.append((hook, executable))
    if missing:
        raise PostHookError(missing)
    return found


@contextlib.contextmanager
def _staged(root: Path, texts: dict[Path, str]) -> Iterator[dict[Path, Path]]:
    """Each file copied into a fresh hidden folder beside its real place. A file that
    does not exist yet (`klgen new`) is also put at its real place for the while, as it
    will be there once written: ruff counts `from pkg.layers.scale import Scale` as
    first-party only when `src/pkg/layers/scale.py` exists. Everything made here (the
    staging folders, those stand-ins, the folders made to hold them) is removed
    afterwards, whatever happens; nothing that was there is touched."""
    made: list[Path] = []  # real folders that did not exist yet, outermost first
    standins: list[Path] = []
    staging: dict[Path, Path] = {}  # real folder -> its staging folder
    staged: dict[Path, Path] = {}
    try:
        for path, text in texts.items():
            real = _absolute(path)
            folder = real.parent
            data = text.encode("utf-8")
            try:
                if folder not in staging:
                    made.extend(_make_folders(folder))
                    staging[folder] = _staging_folder(folder)
                if not os.path.lexists(real):
                    _create(real, data)
                    standins.append(real)
                target = staging[folder] / real.name
                target.write_bytes(data)
                _content_time(target, data)
            except OSError as exc:
                raise PostHookError(
                    [
                        f"{_display(folder)}: cannot stage the generated files for "
                        f"[tool.klgen].{KEY} there ({exc.strerror or exc}); nothing "
                        "was written"
                    ]
                ) from None
            staged[path] = target
        yield staged
    finally:
        for folder in staging.values():
            shutil.rmtree(folder, ignore_errors=True)
        for standin in standins:
            with contextlib.suppress(OSError):
                standin.unlink()
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()


def _create(path: Path, data: bytes) -> None:
    """Write a file that must not exist yet (never over someone else's)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _staging_folder(folder: Path) -> Path:
    """`folder/.klgen-post-hooks`: the same path every run, so that the tools' caches
    (ruff's `.ruff_cache`, black's) keep one entry per file instead of gaining one per
    run; a uniquely named one while another klgen run is using it."""
    fixed = folder / STAGING
    for _ in range(2):
        try:
            fixed.mkdir()
            return fixed
        except FileExistsError:
            try:
                age = time.time() - fixed.stat().st_mtime
            except OSError:  # removed meanwhile: try again
                continue
            if age < STALE:
                break
            shutil.rmtree(fixed, ignore_errors=True)  # left by a run that was killed
    return Path(tempfile.mkdtemp(prefix=f"{STAGING}-", dir=folder))


def _content_time(path: Path, data: bytes) -> None:
    """Give a staged copy a modification time made from its content. Tools cache a file
    by its path and modification time (and size): the same text then finds its entry,
    and a different one misses it, even within one second on a file system that keeps
    whole seconds, where a real clock time could hit a stale entry."""
    digest = int.from_bytes(hashlib.sha256(data).digest()[:8], "big")
    seconds = 1_000_000_000 + digest % 500_000_000  # 2001..2017, whole seconds
    os.utime(path, (seconds, seconds))


def _make_folders(folder: Path) -> list[Path]:
    """Make `folder` and its missing parents; the ones made, outermost first."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        current = current.parent
    made: list[Path] = []
    for path in reversed(missing):
        path.mkdir()
        made.append(path)
    return made


def _run(
    hook: PostHook,
    executable: str,
    arguments: list[str],
    root: Path,
    renames: dict[str, str],
) -> None:
    argv = [executable, *hook.argv[1:], *arguments]
    try:
        proc = subprocess.run(
            argv,
            cwd=root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PostHookError(
            [
                f"{hook.where}: `{hook.command}` did not finish in {TIMEOUT:g} s on the "
                "generated files; nothing was written"
            ]
        ) from None
    except OSError as exc:
        raise PostHookError(
            [
                f"{hook.where}: `{hook.command}` could not be run "
                f"({exc.strerror or exc}); nothing was written"
            ]
        ) from None
    if proc.returncode == 0:
        return
    output = proc.stderr.decode("utf-8", "replace").strip()
    output = output or proc.stdout.decode("utf-8", "replace").strip()
    for staged, real in renames.items():  # name the files as the user knows them
        output = output.replace(staged, real)
    lines = output.splitlines()
    if len(lines) > _SHOWN_OUTPUT_LINES:
        cut = len(lines) - _SHOWN_OUTPUT_LINES
        lines = [f"... ({cut} line(s) above left out)", *lines[-_SHOWN_OUTPUT_LINES:]]
    files = ", ".join(renames.values())
    raise PostHookError(
        [
            f"{hook.where}: `{hook.command}` failed (exit {proc.returncode}) on the "
            f"generated files ({files}); nothing was written"
            + (":" if lines else " (it printed nothing)"),
            *(f"    {line}" for line in lines),
        ]
    )


def _read_back(staged: Path, path: Path, hooks: PostHooks) -> str:
    names = ", ".join(f"`{h.command}`" for h in hooks.hooks)
    try:
        return staged.read_bytes().decode("utf-8")
    except FileNotFoundError:
        problem = "removed the file"
    except UnicodeDecodeError:
        problem = "left the file not UTF-8"
    except OSError as exc:
        problem = f"left the file unreadable ({exc.strerror or exc})"
    raise PostHookError(
        [
            f"{_display(path)}: [tool.klgen].{KEY} ({names}) {problem}; nothing was "
            "written"
        ]
    )


def _restamp(text: str, path: Path, hooks: PostHooks) -> str:
    """The digest again: the hooks may have changed code outside the user regions."""
    try:
        return stamp(text)
    except RegionError as exc:
        names = ", ".join(f"`{h.command}`" for h in hooks.hooks)
        raise PostHookError(
            [
                f"{_display(path)}: [tool.klgen].{KEY} ({names}) broke the user-region "
                f"markers ({exc}); a hook must keep the `# klgen: begin/end user "
                "region` comments as they are"
            ]
        ) from None


def _path_argument(argv: tuple[str, ...], root: Path) -> str | None:
    """An argument that names a folder or code file of the repository itself (`.`,
    `src`, `tests/x.py`): the hook would run on the user's files, not only klgen's.
    The word right after the executable may be a subcommand (`ruff format`) or a script
    (`python tools/fix.py`): there only `.`, `..` and a folder with a slash count."""
    for position, arg in enumerate(argv[1:], start=1):
        if not arg or arg.startswith("-"):
            continue
        if arg in (".", "..") or (position > 1 and arg.startswith(("./", "../"))):
            return arg
        slash = "/" in arg or os.sep in arg
        if position == 1 and not slash:
            continue
        candidate = Path(arg).expanduser()
        if not candidate.is_absolute():
            candidate = root / candidate
        if candidate.is_dir():
            return arg
        if position > 1 and candidate.suffix in _CODE_SUFFIXES and candidate.is_file():
            return arg
    return None


def _lines_in(config: Path) -> tuple[int | None, list[int]]:
    """The line of `post_hooks =` in `config`'s `[tool.klgen]`, and the line each of the
    array's elements starts on; (None, []) when the text is not laid out plainly."""
    try:
        text = config.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None, []
    table = ""
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        header = _TABLE.match(line)
        if header is not None:
            table = re.sub(r"[\s\"']", "", header.group(1))
        else:
            key = _KEY.match(line)
            if key is not None:
                dotted = re.sub(r"[\s\"']", "", key.group(1))
                full = f"{table}.{dotted}" if table else dotted
                if full == f"tool.klgen.{KEY}":
                    return number, _element_lines(text, offset + key.end(), number)
        offset += len(line)
    return None, []


_TABLE = re.compile(r"^\s*\[(?!\[)([^\]]+)\]\s*(#.*)?$")
_KEY = re.compile(
    r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)


def _element_lines(text: str, start: int, line: int) -> list[int]:
    """The start line of each top-level element of the TOML array at `text[start:]`."""
    lines: list[int] = []
    i, n = start, len(text)

    def skip_space(i: int, line: int) -> tuple[int, int]:
        while i < n:
            ch = text[i]
            if ch == "\n":
                line += 1
            elif ch == "#":
                while i < n and text[i] != "\n":
                    i += 1
                continue
            elif not ch.isspace():
                break
            i += 1
        return i, line

    def skip_value(i: int, line: int) -> tuple[int, int]:
        ch = text[i]
        if text.startswith(('"""', "'''"), i):
            quote = text[i : i + 3]
            end = text.find(quote, i + 3)
            while end != -1 and quote == '"""' and _escaped(text, end):
                end = text.find(quote, end + 1)
            end = n if end == -1 else end + 3
            while end < n and text[end] == quote[0]:  # `""""` ends with a quote inside
                end += 1
            return end, line + text.count("\n", i, end)
        if ch in "\"'":
            j = i + 1
            while j < n and text[j] != ch and text[j] != "\n":
                j += 2 if ch == '"' and text[j] == "\\" else 1
            return j + 1, line
        if ch in "[{":
            close = "]" if ch == "[" else "}"
            j, depth = i + 1, line
            while j < n:
                j, depth = skip_space(j, depth)
                if j >= n or text[j] == close:
                    return j + 1, depth
                if text[j] == ",":
                    j += 1
                    continue
                j, depth = skip_value(j, depth)
            return j, depth
        j = i
        while j < n and text[j] not in ",]}\n#" and not text[j].isspace():
            j += 1
        return max(j, i + 1), line

    i, line = skip_space(i, line)
    if i >= n or text[i] != "[":
        return []
    i += 1
    while True:
        i, line = skip_space(i, line)
        if i >= n or text[i] == "]":
            return lines
        if text[i] == ",":
            i += 1
            continue
        lines.append(line)
        i, line = skip_value(i, line)


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index > 0 and text[index - 1] == "\\":
        backslashes += 1
        index -= 1
    return backslashes % 2 == 1


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({_toml_string(value)})"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _toml_string(value: object) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(path))


def _argument(path: Path, root: Path) -> str:
    """A file as the hooks get it: relative to the repository root (pre-commit's way),
    absolute when outside it."""
    try:
        return path.relative_to(_absolute(root)).as_posix()
    except ValueError:
        return str(path)


def _display(path: Path) -> str:
    """`path` relative to the current folder when inside it, as messages show paths."""
    absolute = _absolute(path)
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return str(absolute)
