"""Worker side: the state one backend's run shares across checks, and the check loop.

Used by the worker process, and in-process by `keraslayer_gen.testing` when the caller has
already imported Keras. Keras must be imported before this module is used.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import re
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from keraslayer_gen.harness.expectations import Example, Expectations
from keraslayer_gen.harness.worker.fixtures import Fixture
from keraslayer_gen.harness.worker.flavor import flavor_for

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def describe(exc: BaseException) -> str:
    """The first informative line of an exception's message. Keras wraps an error raised
    in `call` as "Exception encountered when calling X.call().\n\n<the error>": the
    first line alone says nothing."""
    lines = [_ANSI.sub("", line).strip() for line in str(exc).splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > 1 and lines[0].startswith("Exception encountered when calling"):
        return lines[1]
    return lines[0] if lines else ""


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


class CheckFailed(Exception):
    """A check found the layer wrong; the message is the sentence for the report."""


class CheckSkipped(Exception):
    """A check does not apply; the message says why."""


class Session:
    """One layer on one backend: the class, its expectations, and the example fixtures."""

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
        self.current_check = ""
        self.shared_failures: dict[tuple[int, str], str] = {}
        self.examples = with_masked_examples(expectations)
        self.fixtures = [Fixture(self, i, e) for i, e in enumerate(self.examples)]
        self.reloader: Any = None
        try:
            self.source_file = inspect.getsourcefile(layer_cls)
        except TypeError:
            self.source_file = None

    # -- tensors and weights -------------------------------------------------------------
    def numpy(self, value: Any) -> Any:
        """One output as an array; several outputs (a tuple, list or dict) as a list of
        arrays in `keras.tree.flatten` order."""
        if isinstance(value, (list, tuple, dict)):
            return [self.flavor.numpy(v) for v in self.flatten(value)]
        return self.flavor.numpy(value)

    def flatten(self, value: Any) -> list[Any]:
        """The tensors of a (possibly nested) output, in `keras.tree.flatten` order."""
        tree = getattr(self.keras, "tree", None)
        if tree is not None:
            return list(tree.flatten(value))
        import tensorflow as tf  # type: ignore[import-untyped]

        return list(tf.nest.flatten(value))

    def mask_from_padding(self, source: Any, tensor: Any) -> Any:
        """A symbolic input with the mask of its padding values: `Masking` for floats,
        `not_equal` to the padding for integer ids."""
        value = 0 if tensor.padding is None else tensor.padding
        if "float" in tensor.dtype:
            return self.keras.layers.Masking(mask_value=value)(source)
        return self._helpers["ValueMask"](value)(source)

    def convert(self, x: np.ndarray) -> Any:
        return self.flavor.convert(x)

    def attach_mask(self, x: np.ndarray, mask: np.ndarray) -> Any:
        """`x` as a tensor carrying `mask`, attached by a layer as `Masking` does."""
        return self._helpers["MaskFrom"]()([self.convert(x), self.convert(mask)])

    def output_mask(self, outputs: Any) -> np.ndarray | None:
        """The mask Keras attached to `outputs`, read by a downstream layer's `call`."""
        probe = self._helpers["MaskProbe"]()
        probe(outputs)
        return None if probe.seen is None else self.numpy(probe.seen)

    @functools.cached_property
    def _helpers(self) -> dict[str, type]:
        flavor = self.flavor
        base: Any = self.keras.layers.Layer

        class MaskFrom(base):  # type: ignore[misc, valid-type]
            def __init__(self, **kwargs: Any) -> None:
                super().__init__(**kwargs)
                self.supports_masking = True

            def call(self, inputs: Any) -> Any:
                return flavor.copy(inputs[0])

            def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
                return inputs[1]

        class MaskProbe(base):  # type: ignore[misc, valid-type]
            def __init__(self, **kwargs: Any) -> None:
                super().__init__(**kwargs)
                self.supports_masking = True
                self.seen = None

            def call(self, inputs: Any, mask: Any = None) -> Any:
                self.seen = mask
                return inputs

        keras = self.keras

        class ValueMask(base):  # type: ignore[misc, valid-type]
            def __init__(self, value: Any = 0, **kwargs: Any) -> None:
                super().__init__(**kwargs)
                self.value = value
                self.supports_masking = True

            def call(self, inputs: Any) -> Any:
                return flavor.copy(inputs)

            def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
                ops = getattr(keras, "ops", None)
                if ops is not None:
                    return ops.not_equal(inputs, self.value)
                import tensorflow as tf  # type: ignore[import-untyped]

                return tf.not_equal(inputs, self.value)

            def get_config(self) -> dict[str, Any]:
                return {**super().get_config(), "value": self.value}

        return {"MaskFrom": MaskFrom, "MaskProbe": MaskProbe, "ValueMask": ValueMask}

    def snapshot(self, layer: Any) -> list[tuple[str, bool, np.ndarray]]:
        """(name, trainable, value) of every weight, in order."""
        return [
            (self.flavor.name(w), bool(w.trainable), self.numpy(w).copy())
            for w in layer.weights
        ]

    def shared(self, fixture: Fixture, what: str, compute: Callable[[], Any]) -> Any:
        """Run an operation on the example's shared model (the fit step, a predict) that
        several checks reuse. When it raises, the check running it reports the failure;
        a later check that needs it skips, naming that check, rather than report the
        same defect again (or a symptom of the broken model) as its own."""
        key = (fixture.index, what)
        earlier = self.shared_failures.get(key)
        if earlier is not None and earlier != self.current_check:
            raise CheckSkipped(
                f"{self.prefix(fixture)}skipped: {what} fails, as the "
                f"{earlier} check reports; fix that first"
            )
        try:
            return compute()
        except (CheckFailed, CheckSkipped, KeyboardInterrupt, SystemExit):
            raise
        except Exception:
            self.shared_failures[key] = self.current_check
            with self.guard(fixture, what):
                raise

    def refresh(self) -> None:
        """Fresh examples (new layers, models, compiled functions) for the next check: a
        failed check may leave the shared model broken (a JAX fit that fails while
        tracing leaves its variables empty)."""
        self.fixtures = [Fixture(self, i, e) for i, e in enumerate(self.examples)]

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
                from keraslayer_gen.harness.worker.fixtures import allclose

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
        return f"{fixture.label}: " if len(self.fixtures) > 1 else ""

    def fail(self, fixture: Fixture | None, message: str) -> CheckFailed:
        return CheckFailed((self.prefix(fixture) if fixture else "") + message)

    def observe(self, key: str, value: Any) -> None:
        self.observed[key] = value

    @contextlib.contextmanager
    def guard(self, fixture: Fixture | None, what: str) -> Iterator[None]:
        """Turn an exception raised by the layer's code into the check's failure."""
        try:
            yield
        except (CheckFailed, CheckSkipped, KeyboardInterrupt):
            raise
        except SystemExit as exc:
            raise self.fail(
                fixture,
                f"the layer calls sys.exit({exc.code}) in {what}; raise "
                "an exception instead of ending the process",
            ) from None
        except Exception as exc:
            text = describe(exc)
            where = self.where(exc)
            raise self.fail(
                fixture,
                f"{what} raises {type(exc).__name__}"
                f"{': ' + text[:300] if text else ''}{where}; fix the layer so "
                "that it handles this input",
            ) from None

    def where(self, exc: BaseException) -> str:
        """` (at file.py:12 in call)`: the last frame of the layer's own file."""
        frames = traceback.extract_tb(exc.__traceback__)
        mine = [
            f for f in frames if self.source_file and f.filename == self.source_file
        ]
        if not mine:
            return ""
        frame = mine[-1]
        return f" (at {Path(frame.filename).name}:{frame.lineno} in {frame.name})"

    def close(self) -> None:
        if self.reloader is not None:
            self.reloader.close()
            self.reloader = None


def run_checks(session: Session, emit: Callable[[dict[str, Any]], None]) -> None:
    """Run the session's checks one by one, emitting `begin`/`end` events for each, then
    `observed`. A check never stops the loop: its failure is its result."""
    from keraslayer_gen.harness.worker.checks import RUNNERS

    try:
        for check in session.checks:
            session.current_check = check
            emit({"event": "begin", "check": check})
            start = time.perf_counter()
            status, message, notes = "pass", "", []
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    notes = RUNNERS[check](session) or []
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
