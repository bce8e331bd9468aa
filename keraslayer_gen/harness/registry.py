"""The one registry of the contract's checks: id, number, what each guards against, static
or runtime, and a runtime check's runner.

The ids are part of klgen's interface (CLI `--only/--skip`, `--json`,
`assert_layer_contract`): never rename one. The static checks (1-3) are declared here: they
run in the parent process through `keraslayer_gen.lint.driver`, with no Keras import. Each
runtime check (4-14) declares itself in its module under
`keraslayer_gen.harness.worker.checks` with `@runtime_check(...)`; `checks()` imports that
package (which imports its modules, none of which imports Keras) and returns every check
in contract order. Everything else (`--only/--skip`, the report's rows, the worker's check
loop, the contract reference test) derives from `checks()`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

#: A runtime check: takes the worker's `Session`, returns its notes.
Runner = Callable[[Any], list[str]]
R = TypeVar("R", bound=Runner)

#: The package whose modules declare the runtime checks.
RUNTIME_PACKAGE = "keraslayer_gen.harness.worker.checks"


@dataclass(frozen=True)
class Check:
    """One check of docs/contract.md."""

    id: str
    number: int  # its number, and section, in docs/contract.md
    static: bool
    full_only: bool  # run only with `--full` (or when named by `--only`)
    guards: str  # the bug it catches, for people
    runner: Runner | None = field(default=None, compare=False, repr=False)


_REGISTERED: dict[str, Check] = {}


def register(check: Check) -> Check:
    """Add `check`; its id and its number must be new."""
    if check.id in _REGISTERED:
        raise ValueError(f"check {check.id!r} is registered twice")
    for other in _REGISTERED.values():
        if other.number == check.number:
            raise ValueError(
                f"checks {other.id!r} and {check.id!r} have the same number "
                f"{check.number}"
            )
    _REGISTERED[check.id] = check
    return check


def runtime_check(
    id: str, number: int, guards: str, *, full_only: bool = False
) -> Callable[[R], R]:
    """Declare the decorated function as runtime check `id` (section `number` of
    docs/contract.md)."""

    def declare(runner: R) -> R:
        register(Check(id, number, False, full_only, guards, runner))
        return runner

    return declare


def checks() -> tuple[Check, ...]:
    """Every check, in contract order (their numbers, 1..N without gaps)."""
    importlib.import_module(RUNTIME_PACKAGE)
    ordered = tuple(sorted(_REGISTERED.values(), key=lambda c: c.number))
    numbers = [c.number for c in ordered]
    if numbers != list(range(1, len(ordered) + 1)):
        raise ValueError(f"the check numbers are not 1..{len(ordered)}: {numbers}")
    return ordered


def runners() -> dict[str, Runner]:
    """The runtime checks' runners, by id."""
    return {c.id: c.runner for c in checks() if c.runner is not None}


for _static in (
    Check(
        "structure",
        1,
        True,
        False,
        "a class Keras cannot construct, register or call with training/mask",
    ),
    Check(
        "config-complete",
        2,
        True,
        False,
        "an __init__ argument missing from get_config",
    ),
    Check(
        "state-hygiene",
        3,
        True,
        False,
        "weights or Python state created outside build, "
        "unseeded randomness, backend-specific code",
    ),
):
    register(_static)
