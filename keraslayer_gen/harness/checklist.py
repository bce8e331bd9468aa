"""Parent side: the check ids the registry declares, as tuples, and `--only`/`--skip` parsing.

Every table here derives from `keraslayer_gen.harness.registry` (the one place a check is
declared); static checks run in the parent process, runtime checks in one worker process
per backend, in the order of `RUNTIME_CHECKS`.
"""

from __future__ import annotations

from collections.abc import Iterable

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.harness.registry import BY_ID, CHECKS
from keraslayer_gen.spec.names import did_you_mean

CHECK_IDS = tuple(check.id for check in CHECKS)
STATIC_CHECKS = tuple(check.id for check in CHECKS if check.static)
RUNTIME_CHECKS = tuple(check.id for check in CHECKS if not check.static)


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
