"""The one registry of the contract's checks: id, number, what each guards against, static
or runtime, and a runtime check's runner.

The ids are part of klgen's interface (CLI `--only/--skip`, `--json`,
`assert_layer_contract`): never rename one. `CHECKS` declares every check: checks 1-3 are
the lint's, from its registry, the runtime checks are declared here, with no import of the
worker (the parent process reads it and must not import Keras or numpy); each runtime check's
function binds itself to its id in its module under `keraslayer_gen.harness.worker.checks`
with `@runtime_check(id)`, and `runners()` (worker side) imports that package and returns
them. Everything else (`--only/--skip`, the report's rows, the worker's check loop, the
contract reference test) derives from `CHECKS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from keraslayer_gen.lint.driver import REGISTRY as LINT_REGISTRY

#: A runtime check: takes the worker's `Session`, returns its notes.
Runner = Callable[[Any], list[str]]
R = TypeVar("R", bound=Runner)

#: The package whose modules define the runtime checks.
RUNTIME_PACKAGE = "keraslayer_gen.harness.worker.checks"


@dataclass(frozen=True)
class Check:
    """One check of docs/contract.md."""

    id: str
    number: int  # its number, and section, in docs/contract.md
    static: bool
    full_only: bool  # run only with `--full` (or when named by `--only`)
    guards: str  # the bug it catches, for people


CHECKS: tuple[Check, ...] = (
    # §1-3: the lint's checks (keraslayer_gen/lint/checks/), as its registry describes them.
    *(Check(c.id, c.number, True, False, c.guards) for c in LINT_REGISTRY),
    Check(
        "config-roundtrip",
        4,
        False,
        False,
        "configs that are not JSON, change on "
        "from_config, or cannot be deserialised without custom_objects",
    ),
    Check(
        "build",
        5,
        False,
        False,
        "wrong weight counts, undefined or batch-dependent "
        "weight shapes, duplicate names, unbuilt state",
    ),
    Check(
        "shapes",
        6,
        False,
        False,
        "compute_output_shape, the symbolic and the eager call "
        "disagreeing on shape or dtype",
    ),
    Check(
        "training",
        7,
        False,
        False,
        "a training default that leaks, non-deterministic "
        "inference, unseeded or repeated noise, fit/predict on the wrong path",
    ),
    Check(
        "state",
        8,
        False,
        False,
        "state updated at inference, never updated, or "
        "updated without being declared",
    ),
    Check(
        "gradients",
        9,
        False,
        False,
        "trainable weights that get no gradient or non-finite values",
    ),
    Check(
        "masking",
        10,
        False,
        False,
        "masks dropped, leaked or ignored; padded values changing unpadded outputs",
    ),
    Check(
        "mixed-precision",
        11,
        False,
        False,
        "float16 variables, outputs in the wrong "
        "dtype, dtype clashes with tensors created in call",
    ),
    Check(
        "jit-parity", 12, False, False, "compiled predict differing from eager predict"
    ),
    Check(
        "save-load",
        13,
        False,
        False,
        "models that do not reload in a fresh process, or "
        "reload with different outputs or state",
    ),
    Check(
        "distributed",
        14,
        False,
        True,
        "state that diverges across replicas or has the "
        "wrong aggregation under MirroredStrategy / DataParallel",
    ),
)


BY_ID = {check.id: check for check in CHECKS}
_RUNNERS: dict[str, Runner] = {}


def runtime_check(id: str) -> Callable[[R], R]:
    """Bind the decorated function as the runner of runtime check `id`."""

    def bind(runner: R) -> R:
        check = BY_ID.get(id)
        if check is None or check.static:
            raise ValueError(f"{id!r} is not a runtime check of the registry")
        if id in _RUNNERS:
            raise ValueError(f"runtime check {id!r} has two runners")
        _RUNNERS[id] = runner
        return runner

    return bind


def runners() -> dict[str, Runner]:
    """The runtime checks' runners by id, in contract order (worker side: imports the
    checks' modules); every runtime check must have one."""
    importlib.import_module(RUNTIME_PACKAGE)
    missing = [c.id for c in CHECKS if not c.static and c.id not in _RUNNERS]
    if missing:
        raise ValueError(f"runtime checks without a runner: {', '.join(missing)}")
    return {c.id: _RUNNERS[c.id] for c in CHECKS if not c.static}
