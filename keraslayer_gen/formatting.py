"""The only place black is called: generated code is black-formatted at Keras's line length."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

LINE_LENGTH = 80


class FormatError(ValueError):
    """Rendered code that black cannot parse: a bug in a body, a template or klgen."""


@lru_cache(maxsize=1)
def _mode() -> Any:
    import black

    return black.Mode(line_length=LINE_LENGTH, target_versions={black.TargetVersion.PY310})


def format_code(source: str, what: str = "<generated>") -> str:
    """`source` formatted by black (imported here, lazily: it costs ~0.1 s)."""
    import black

    try:
        return black.format_str(source, mode=_mode())
    except black.InvalidInput as exc:
        raise FormatError(f"{what}: the generated code does not parse: {exc}") from None
