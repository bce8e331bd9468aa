"""The `klgen` command line (Typer only): the app in `main.py`, one module per command
group; each command module has `register(app, handle_errors)`.

`keraslayer_gen.cli:app` (the console script's entry point) is resolved lazily, so that
importing a command module does not build the app.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "app":
        from keraslayer_gen.cli.main import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
