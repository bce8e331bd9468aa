"""The runtime checks (4-14), by id; each takes the worker's `Session` and returns notes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from keraslayer_gen.harness.worker.checks.config import check_config_roundtrip
from keraslayer_gen.harness.worker.checks.distributed import check_distributed
from keraslayer_gen.harness.worker.checks.masking import check_masking
from keraslayer_gen.harness.worker.checks.numerics import (
    check_jit_parity,
    check_mixed_precision,
)
from keraslayer_gen.harness.worker.checks.saving import check_save_load
from keraslayer_gen.harness.worker.checks.shapes import check_build, check_shapes
from keraslayer_gen.harness.worker.checks.training import (
    check_gradients,
    check_state,
    check_training,
)

if TYPE_CHECKING:
    from keraslayer_gen.harness.worker.session import Session

RUNNERS: dict[str, Callable[[Session], list[str]]] = {
    "config-roundtrip": check_config_roundtrip,
    "build": check_build,
    "shapes": check_shapes,
    "training": check_training,
    "state": check_state,
    "gradients": check_gradients,
    "masking": check_masking,
    "mixed-precision": check_mixed_precision,
    "jit-parity": check_jit_parity,
    "save-load": check_save_load,
    "distributed": check_distributed,
}
