"""Worker side: the state one backend's run shares across checks, and the check loop.

Used by the worker process, and in-process by `keraslayer_gen.testing` when the caller has
already imported Keras. Keras must be imported before this module is used.
"""

from __future__ import annotations

import contextlib
import inspect
import time
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from keraslayer_gen.harness.expectations import Example, Expectations
from keraslayer_gen.harness.registry import runners
from keraslayer_gen.harness.worker import outcomes
from keraslayer_gen.harness.worker.fixtures import Fixture, allclose
from keraslayer_gen.harness.worker.flavor import flavor_for
from keraslayer_gen.harness.worker.outcomes import CheckFailed, CheckSkipped, SharedRuns
from keraslayer_gen.harness.worker.tensors import TensorOps


def with_masked_examples(expectations: Expectations) -> tuple[Example, ...]:
    """The examples, plus a masked copy of each when the layer declares that it consumes
    or propagates masks but no example carries one: a declared policy is checked even
    without `--mask` (a call that ignores its mask would pass otherwise). Only inputs
    with a time axis (rank 3 or more) get one."""
    examples = tuple(expectations.examples)
    if expectations.masking not in ("consume", "propagate", "use"):
        return examples
    if any(e.masked for e in examples):
        return examples
    masked = tuple(replace(e, mask=True) for e in examples)
    return examples + tuple(e for e in masked if e.masked)


class Session:
    """One layer on one backend: the class, its expectations, and the example fixtures.

    The session owns the fixtures and hands each one what it needs (the layer class, the
    backend's `TensorOps`, the `SharedRuns` of this run); a fixture never sees the
    session. The checks take the session: its tensor operations are the `TensorOps`
    ones, its failures and guards the `outcomes` ones with the example's prefix."""

    def __init__(
        self,
        keras: Any,
        layer_cls: type,
        expectations: Expectations,
        *,
        checks: list[str],
        workdir: Path,
        module: str,
        sys_path: list[str],
        full: bool = False,
        in_process: bool = False,
    ) -> None:
        self.keras = keras
        self.flavor = flavor_for(keras, expectations.target)
        self.backend = self.flavor.backend
        self.ops = TensorOps(keras, self.flavor)
        self.layer_cls = layer_cls
        self.expectations = expectations
        self.checks = checks
        self.workdir = workdir
        self.module = module
        self.sys_path = sys_path
        self.full = full
        self.in_process = in_process
        self.observed: dict[str, Any] = {}
        self._memo: dict[str, Any] = {}
        try:
            self.source_file = inspect.getsourcefile(layer_cls)
        except TypeError:
            self.source_file = None
        self.runs = SharedRuns(self.source_file)
        self.examples = with_masked_examples(expectations)
        self.fixtures = self._new_fixtures()
        self.reloader: Any = None

    def _new_fixtures(self) -> list[Fixture]:
        return [
            Fixture(
                i,
                e,
                layer_cls=self.layer_cls,
                ops=self.ops,
                runs=self.runs,
                labelled=len(self.examples) > 1,
            )
            for i, e in enumerate(self.examples)
        ]

    # -- tensors and weights (the `TensorOps` of this backend) ---------------------------
    def numpy(self, value: Any) -> Any:
        return self.ops.numpy(value)

    def flatten(self, value: Any) -> list[Any]:
        return self.ops.flatten(value)

    def convert(self, x: np.ndarray) -> Any:
        return self.ops.convert(x)

    def attach_mask(self, x: np.ndarray, mask: np.ndarray) -> Any:
        return self.ops.attach_mask(x, mask)

    def output_mask(self, outputs: Any) -> np.ndarray | None:
        return self.ops.output_mask(outputs)

    def snapshot(self, layer: Any) -> list[tuple[str, bool, np.ndarray]]:
        return self.ops.snapshot(layer)

    def refresh(self) -> None:
        """Fresh examples (new layers, models, compiled functions) for the next check: a
        failed check may leave the shared model broken (a JAX fit that fails while
        tracing leaves its variables empty)."""
        self.fixtures = self._new_fixtures()

    def random_inference(self, fixture: Fixture) -> bool:
        """Whether two inference calls of a fresh layer differ: then compiled-vs-eager and
        saved-vs-loaded comparisons cannot tell anything, and the `training` check owns
        the defect."""
        key = f"random-inference-{fixture.index}"
        if key not in self._memo:
            try:
                layer = fixture.new_layer()
                first = self.numpy(fixture.call(layer, training=False))
                second = self.numpy(fixture.call(layer, training=False))
                self._memo[key] = not allclose(first, second)
            except Exception:
                self._memo[key] = False
        return bool(self._memo[key])

    def skip_if_random_inference(self, fixture: Fixture, what: str) -> None:
        if self.random_inference(fixture):
            if self.expectations.random_inference:
                why = "the layer is declared random at inference"
            elif self.expectations.state_on == "every_call":
                why = "its state moves on every call, inference included"
            else:
                why = "random at inference, reported by the training check"
            raise CheckSkipped(
                f"{self.prefix(fixture)}{what} not compared: two inference "
                f"calls of a fresh layer already differ ({why})"
            )

    # -- reporting -----------------------------------------------------------------------
    def prefix(self, fixture: Fixture) -> str:
        return fixture.prefix

    def fail(self, fixture: Fixture | None, message: str) -> CheckFailed:
        return CheckFailed((fixture.prefix if fixture else "") + message)

    def observe(self, key: str, value: Any) -> None:
        self.observed[key] = value

    def guard(
        self, fixture: Fixture | None, what: str
    ) -> contextlib.AbstractContextManager[None]:
        """Turn an exception raised by the layer's code into the check's failure."""
        prefix = fixture.prefix if fixture else ""
        return outcomes.guard(prefix, what, self.source_file)

    def where(self, exc: BaseException) -> str:
        """` (at file.py:12 in call)`: the last frame of the layer's own file."""
        return outcomes.where(exc, self.source_file)

    def close(self) -> None:
        if self.reloader is not None:
            self.reloader.close()
            self.reloader = None


def run_checks(session: Session, emit: Callable[[dict[str, Any]], None]) -> None:
    """Run the session's checks one by one, emitting `begin`/`end` events for each, then
    `observed`. A check never stops the loop: its failure is its result."""
    table = runners()
    try:
        for check in session.checks:
            session.runs.current_check = check
            emit({"event": "begin", "check": check})
            start = time.perf_counter()
            status, message, notes = "pass", "", []
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    notes = table[check](session) or []
            except CheckFailed as exc:
                status, message = "fail", str(exc)
            except CheckSkipped as exc:
                status, message = "skip", str(exc)
            except SystemExit as exc:
                status, message = "fail", (
                    f"the layer calls sys.exit({exc.code}); raise an "
                    "exception instead of ending the process"
                )
            except Exception as exc:  # a bug in a check, or an error outside any guard
                status = "fail"
                message = (
                    f"{type(exc).__name__}: {exc}{session.where(exc)}; the check "
                    "could not complete on this layer"
                )
            if status == "fail":
                session.refresh()  # the next check starts from a fresh model
            emit(
                {
                    "event": "end",
                    "check": check,
                    "status": status,
                    "message": message,
                    "notes": notes,
                    "seconds": round(time.perf_counter() - start, 4),
                }
            )
        emit({"event": "observed", "data": session.observed})
    finally:
        session.close()
