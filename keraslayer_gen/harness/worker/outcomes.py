"""Worker side: how a check ends (`CheckFailed`, `CheckSkipped`) and how the layer's errors
become a check's failure, with the layer's own line named.

Free of Session and Fixture: both use it, neither through the other.
"""

from __future__ import annotations

import contextlib
import re
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class CheckFailed(Exception):
    """A check found the layer wrong; the message is the sentence for the report."""


class CheckSkipped(Exception):
    """A check does not apply; the message says why."""


def describe(exc: BaseException) -> str:
    """The first informative line of an exception's message. Keras wraps an error raised
    in `call` as "Exception encountered when calling X.call().\n\n<the error>": the
    first line alone says nothing."""
    lines = [_ANSI.sub("", line).strip() for line in str(exc).splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > 1 and lines[0].startswith("Exception encountered when calling"):
        return lines[1]
    return lines[0] if lines else ""


def where(exc: BaseException, source_file: str | None) -> str:
    """` (at file.py:12 in call)`: the last frame of the layer's own file."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if source_file and f.filename == source_file]
    if not mine:
        return ""
    frame = mine[-1]
    return f" (at {Path(frame.filename).name}:{frame.lineno} in {frame.name})"


@contextlib.contextmanager
def guard(prefix: str, what: str, source_file: str | None) -> Iterator[None]:
    """Turn an exception raised by the layer's code into the check's failure, its
    message starting with `prefix` (the example's label, or nothing)."""
    try:
        yield
    except (CheckFailed, CheckSkipped, KeyboardInterrupt):
        raise
    except SystemExit as exc:
        raise CheckFailed(
            f"{prefix}the layer calls sys.exit({exc.code}) in {what}; raise "
            "an exception instead of ending the process"
        ) from None
    except Exception as exc:
        text = describe(exc)
        raise CheckFailed(
            f"{prefix}{what} raises {type(exc).__name__}"
            f"{': ' + text[:300] if text else ''}{where(exc, source_file)}; fix the "
            "layer so that it handles this input"
        ) from None


class SharedRuns:
    """The operations on the examples' shared models (the fit step, a predict) that
    several checks reuse, and which check saw each one fail. When one raises, the check
    running it reports the failure; a later check that needs it skips, naming that
    check, rather than report the same defect again (or a symptom of the broken model)
    as its own."""

    def __init__(self, source_file: str | None) -> None:
        self.source_file = source_file
        self.current_check = ""
        self._failures: dict[tuple[int, str], str] = {}

    def run(
        self, index: int, prefix: str, what: str, compute: Callable[[], Any]
    ) -> Any:
        """`compute()` for example `index`, its failure the current check's."""
        key = (index, what)
        earlier = self._failures.get(key)
        if earlier is not None and earlier != self.current_check:
            raise CheckSkipped(
                f"{prefix}skipped: {what} fails, as the "
                f"{earlier} check reports; fix that first"
            )
        try:
            return compute()
        except (CheckFailed, CheckSkipped, KeyboardInterrupt, SystemExit):
            raise
        except Exception:
            self._failures[key] = self.current_check
            with guard(prefix, what, self.source_file):
                raise
