"""The only place black is called: generated code is black-formatted at Keras's line length.

Black is a pure function of its input, its version and its mode, so its output is cached on
disk under a key made of exactly those: a cache hit can never be stale, and it spares both
black's import and its parse (most of the time of `klgen new`, `sync` and `check`).
The cache lives in `$KLGEN_CACHE_DIR`, else `$XDG_CACHE_HOME/klgen`, else `~/.cache/klgen`;
`KLGEN_NO_CACHE=1` turns it off.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from keraslayer_gen.errors import KlgenError

LINE_LENGTH = 80


class FormatError(KlgenError):
    """Rendered code that black cannot parse: a bug in a body, a template or klgen."""


@lru_cache(maxsize=1)
def _mode() -> Any:
    import black

    return black.Mode(
        line_length=LINE_LENGTH, target_versions={black.TargetVersion.PY310}
    )


@lru_cache(maxsize=1)
def cache_dir() -> Path | None:
    if os.environ.get("KLGEN_NO_CACHE"):
        return None
    root = os.environ.get("KLGEN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME")
        or os.path.join(os.path.expanduser("~"), ".cache"),
        "klgen",
    )
    return Path(root) / "black"


@lru_cache(maxsize=1)
def _black_version() -> str:
    return metadata.version("black")


def _key(source: str) -> str:
    salt = f"black={_black_version()};line_length={LINE_LENGTH};py310\n"
    return hashlib.sha256((salt + source).encode("utf-8")).hexdigest()


def _cached(key: str) -> str | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        return (folder / key[:2] / key).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _store(key: str, text: str) -> None:
    folder = cache_dir()
    if folder is None:
        return
    try:
        target = folder / key[:2]
        target.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, target / key)
    except OSError:  # a read-only or full cache only costs speed
        return


def format_code(source: str, what: str = "<generated>") -> str:
    """`source` formatted by black, from the cache when black has seen it before."""
    key = _key(source)
    cached = _cached(key)
    if cached is not None:
        return cached
    import black

    try:
        text = black.format_str(source, mode=_mode())
    except black.InvalidInput as exc:
        raise FormatError(f"{what}: the generated code does not parse: {exc}") from None
    _store(key, text)
    return text


def clear_cache() -> int:
    """Remove every cached entry; returns how many there were."""
    folder = cache_dir()
    count = 0
    if folder is None or not folder.is_dir():
        return 0
    for entry in folder.glob("*/*"):
        entry.unlink(missing_ok=True)
        count += 1
    return count
