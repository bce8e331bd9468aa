"""The `klgen` command line: options -> one library call -> printed diagnostics -> exit code.

Exit codes: 0 success; 1 `check`/`verify` found problems; 2 bad input (usage, spec, conflict);
3 an internal error of klgen (a bug: please report it).
"""

from __future__ import annotations

import functools
import signal
import sys


def _stop_while_starting(signum: int, frame: Any) -> None:
    # Nothing has started and nothing is written while klgen imports its commands: a
    # SIGINT or SIGTERM then ends the process at once, with the interrupted exit code.
    raise SystemExit(130)


# Before the imports below (typer, the command modules): they take most of a second.
_STARTUP = {
    s: signal.signal(s, _stop_while_starting) for s in (signal.SIGINT, signal.SIGTERM)
}
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated, Any, TypeVar  # noqa: E402

import typer  # noqa: E402

from keraslayer_gen import __version__  # noqa: E402
from keraslayer_gen.errors import KlgenError  # noqa: E402

app = typer.Typer(
    name="klgen",
    help="Generate correct custom Keras layers from a spec, and prove they honour the "
    "Keras layer contract.",
    no_args_is_help=True,
    # `klgen --install-completion` / `--show-completion` (bash, zsh, fish, PowerShell).
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)
_state = {"debug": False}
F = TypeVar("F", bound=Callable[..., Any])


def err(message: str) -> None:
    typer.echo(message, err=True)


def handle_errors(func: F) -> F:
    """Turn klgen's errors into messages and exit codes; never show a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KlgenError as exc:
            for line in exc.lines():
                err(line)
            raise typer.Exit(exc.exit_code) from None
        except typer.Exit:
            raise
        except BrokenPipeError:
            # `klgen ... | head`: the reader left; say nothing more and stop quietly.
            import os

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(0) from None
        except KeyboardInterrupt:
            err("klgen: interrupted; nothing was written")
            raise typer.Exit(130) from None
        except Exception as exc:
            if _state["debug"]:
                raise
            err(f"klgen: internal error: {type(exc).__name__}: {exc}")
            err(
                "klgen: this is a bug in klgen; rerun with --debug for the traceback and "
                "report it"
            )
            raise typer.Exit(3) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"klgen {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
) -> None:
    """klgen: custom Keras layers that are correct by construction.

    Start with `klgen new --example decaying-dropout --out layers/`.
    """
    _state["debug"] = debug


COMMAND_MODULES = (
    "new",
    "info",
    "sync",
    "check",
    "lint",
    "init",
    "config",
    "verify",
    "templates",
    "adopt",
)


#: The module of each command, so that a `klgen` process registers only the command it
#: runs: Typer builds every registered command's options at each start (~20 ms for all).
COMMAND_OF = {
    "new": "new",
    "examples": "info",
    "schema": "info",
    "sync": "sync",
    "check": "check",
    "lint": "lint",
    "init": "init",
    "config": "config",
    "verify": "verify",
    "templates": "templates",
    "adopt": "adopt",
}


def _wanted(argv: list[str]) -> str | None:
    """The module of the command this `klgen` process runs, or None for all of them (the
    top-level help, an unknown command, or klgen imported rather than run)."""
    if not argv or Path(argv[0]).stem != "klgen":
        return None
    for arg in argv[1:]:
        if arg in ("--help", "-h", "--version"):
            return None
        if not arg.startswith("-"):
            return COMMAND_OF.get(arg)
    return None


def _register() -> None:
    wanted = _wanted(sys.argv)
    for name in COMMAND_MODULES if wanted is None else (wanted,):
        module = _optional_command(name)
        if module is not None:
            module.register(app, handle_errors)


def _optional_command(name: str) -> Any:
    import importlib

    try:
        return importlib.import_module(f"keraslayer_gen.cli.{name}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.endswith(f"cli.{name}"):
            return None
        raise


_register()
# Started: each command handles interruption itself (`verify` ends its workers first).
for _signum, _handler in _STARTUP.items():
    signal.signal(_signum, _handler)
