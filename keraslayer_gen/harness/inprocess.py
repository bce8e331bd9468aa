"""The runtime checks in the calling process, for a caller that has already imported Keras.

Faster than a worker (no Keras import), but without its protection: a hang or a crash in
the layer hangs or crashes the caller, and `distributed` cannot configure devices, so it is
left to workers. `save-load` still reloads in a fresh process.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from keraslayer_gen.harness.expectations import Expectations
from keraslayer_gen.harness.report import BackendRun, CheckResult
from keraslayer_gen.harness.runner import BackendOutcome


def run_in_process(
    layer_cls: type,
    expectations: Expectations,
    checks: list[str],
    *,
    module: str | None = None,
    full: bool = False,
) -> BackendOutcome:
    """Run `checks` (runtime ids) on the current Keras backend, in this process."""
    from keraslayer_gen.harness.worker.checks.saving import start_reloader
    from keraslayer_gen.harness.worker.flavor import import_keras
    from keraslayer_gen.harness.worker.session import Session, run_checks

    keras = import_keras(expectations.target)
    started = time.perf_counter()
    outcome = BackendOutcome(
        BackendRun(keras.backend.backend(), keras_version=keras.__version__)
    )
    events: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="klgen-verify-") as tmp:
        session = Session(
            keras,
            layer_cls,
            expectations,
            checks=checks,
            workdir=Path(tmp),
            module=module or layer_cls.__module__,
            sys_path=list(sys.path),
            full=full,
            in_process=True,
        )
        if "save-load" in checks:
            start_reloader(session)
        run_checks(session, events.append)
    for event in events:
        if event["event"] == "end":
            outcome.results.append(
                CheckResult(
                    check=event["check"],
                    backend=outcome.run.backend,
                    status=event["status"],
                    seconds=event["seconds"],
                    message=event["message"],
                    notes=event["notes"],
                )
            )
        elif event["event"] == "observed":
            outcome.run.observed = event["data"]
    outcome.run.seconds = round(time.perf_counter() - started, 3)
    return outcome
