"""The contract's checks: stable ids, what each guards against, and `--only`/`--skip` parsing.

The ids are part of klgen's interface (CLI `--only/--skip`, `--json`, `assert_layer_contract`):
never rename one. Static checks run in the parent process with no Keras import: they are
the lint's checks, whose ids and metadata come from its registry
(`keraslayer_gen.lint.driver.REGISTRY`); runtime checks run in one worker process per
backend, in the order of `RUNTIME_CHECKS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.lint.driver import REGISTRY as LINT_REGISTRY
from keraslayer_gen.spec.names import did_you_mean


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
CHECK_IDS = tuple(check.id for check in CHECKS)
STATIC_CHECKS = tuple(check.id for check in CHECKS if check.static)
RUNTIME_CHECKS = tuple(check.id for check in CHECKS if not check.static)
#: The checks that need a gradient: skipped (and said so) when the output is not float.
GRADIENT_CHECKS = ("gradients",)


def split_ids(values: Iterable[str] | None) -> list[str]:
    """`["a,b", "c"]` -> `["a", "b", "c"]`: options may be repeated or comma lists."""
    out: list[str] = []
    for value in values or ():
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return out


def _known(ids: list[str], option: str) -> list[str]:
    for check_id in ids:
        if check_id not in BY_ID:
            raise KlgenError(
                f"{option} {check_id}: unknown check"
                f"{did_you_mean(check_id, CHECK_IDS)}; checks are "
                f"{', '.join(CHECK_IDS)}"
            )
    return ids


def select_checks(
    only: Iterable[str] | None = None,
    skip: Iterable[str] | None = None,
    full: bool = False,
) -> list[str]:
    """The ids to run, in contract order. `only` wins over the default set (so `--only
    distributed` runs it without `--full`); `skip` removes; unknown ids raise `KlgenError`.
    """
    only_ids = _known(split_ids(only), "--only")
    skip_ids = set(_known(split_ids(skip), "--skip"))
    if only_ids:
        chosen = [c.id for c in CHECKS if c.id in only_ids]
    else:
        chosen = [c.id for c in CHECKS if full or not c.full_only]
    return [c for c in chosen if c not in skip_ids]
