"""The runtime contract harness: checks 1-14 of docs/contract.md on TensorFlow, JAX and PyTorch.

Public surface (stable; the CLI, `keraslayer_gen.testing` and the corpus tests use it):

- `Expectations`, `Example`: what a layer must do; `expectations_from_spec(spec)`,
  `expectations_for(input_shapes, **fields)`, `expectations_for_target(target, ...)`.
- `CHECK_IDS`, `CHECKS`, `select_checks(only, skip, full)`: the stable check ids.
- `resolve_target(text)` -> `LayerTarget`; `resolve_backends(requested, configured)`.
- `verify([(target, expectations)], backends=..., checks=..., full=..., timeout=...)`
  -> `Report` (`.exit_code`, `.to_dict()` for JSON, `.render()` for people).

Nothing here imports Keras: the runtime checks run in worker processes
(`python -m keraslayer_gen.harness.worker.serve`), one per backend.
"""

from __future__ import annotations

from keraslayer_gen.harness.backends import (
    BACKENDS,
    installed_backends,
    resolve_backends,
)
from keraslayer_gen.harness.checklist import (
    CHECK_IDS,
    CHECKS,
    RUNTIME_CHECKS,
    STATIC_CHECKS,
    select_checks,
)
from keraslayer_gen.harness.expectations import (
    Example,
    Expectations,
    expectations_for,
    expectations_from_spec,
)
from keraslayer_gen.harness.report import BackendRun, CheckResult, LayerReport, Report
from keraslayer_gen.harness.target import LayerTarget, resolve_target
from keraslayer_gen.harness.verification import (
    DEFAULT_TIMEOUT,
    Interrupted,
    expectations_for_target,
    verify,
)

__all__ = [
    "BACKENDS",
    "CHECKS",
    "CHECK_IDS",
    "DEFAULT_TIMEOUT",
    "RUNTIME_CHECKS",
    "STATIC_CHECKS",
    "BackendRun",
    "CheckResult",
    "Example",
    "Expectations",
    "Interrupted",
    "LayerReport",
    "LayerTarget",
    "Report",
    "expectations_for",
    "expectations_for_target",
    "expectations_from_spec",
    "installed_backends",
    "resolve_backends",
    "resolve_target",
    "select_checks",
    "verify",
]
