"""`verify`: expectations for each target, the static checks, then one worker per backend."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..diagnostics import KlgenError
from ..spec import Example as SpecExample
from .checklist import RUNTIME_CHECKS
from .expectations import Expectations, expectations_for, expectations_from_spec
from .report import SKIP, CheckResult, LayerReport, Report
from .runner import run_backend
from .static import run_static_checks
from .target import LayerTarget

#: Default seconds a single check may run (all examples) before it is stopped.
DEFAULT_TIMEOUT = 180.0


def expectations_for_target(target: LayerTarget, *,
                            input_shapes: Sequence[Sequence[int]] | None = None,
                            **overrides: Any) -> Expectations:
    """The spec's expectations, or the options' for a layer without one; options win.

    `input_shapes` replaces the examples (each with the `init`, `mask` and `dtype` given);
    with a spec, the weight counts of the new examples still come from the spec."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if target.target == "tf-keras":  # Keras 2 layers have no SeedGenerator objects
        overrides = {"target": "tf-keras", "seed_generators": 0, **overrides}
    if target.spec is not None:
        spec = target.spec
        if input_shapes or {"init", "mask", "dtype"} & set(overrides):
            # new examples: the spec still says which weights their init creates
            shapes = input_shapes or [e.input_shape for e in spec.examples]
            examples = [SpecExample(input_shape=list(s),
                                    init=overrides.get("init", old.init if old else {}),
                                    mask=overrides.get("mask", old.mask if old else False),
                                    dtype=overrides.get("dtype", old.dtype if old else "float32"))
                        for s, old in zip(shapes, _olds(spec, input_shapes), strict=True)]
            spec = spec.model_copy(update={"examples": examples})
        return expectations_from_spec(spec).with_overrides(**overrides)
    if not input_shapes:
        raise KlgenError(f"{target.text}: the layer has no spec to take examples from; give "
                         "--input-shape (with the batch dimension, e.g. --input-shape 2,5,8)")
    return expectations_for([tuple(s) for s in input_shapes], **overrides)


def _olds(spec: Any, input_shapes: Sequence[Sequence[int]] | None) -> list[Any]:
    """The spec's own examples when only their fields change, else nothing to inherit."""
    return [None] * len(input_shapes) if input_shapes else list(spec.examples)


def verify(targets: Sequence[tuple[LayerTarget, Expectations]], *, backends: list[str],
           checks: list[str], full: bool = False, timeout: float = DEFAULT_TIMEOUT,
           progress: Callable[[str], None] | None = None) -> Report:
    """Run `checks` on every target: the static ones here, the runtime ones in one worker
    process per backend. `progress` (if given) hears one line per worker started."""
    report = Report()
    runtime = [c for c in checks if c in RUNTIME_CHECKS]
    for target, expectations in targets:
        layer = LayerReport(target=target.text, class_name=target.class_name,
                            module=target.module,
                            source=str(target.source) if target.source else None,
                            spec=target.spec_label, expectations=expectations,
                            checks=list(checks))
        layer.results.extend(run_static_checks(checks, target.source, target.class_name))
        for backend in backends if runtime else []:
            if expectations.target == "tf-keras" and backend != "tensorflow":
                layer.results.extend(skipped_for_all(runtime, [backend], "tf-keras layers "
                                                     "run on TensorFlow only"))
                continue
            if progress is not None:
                progress(f"verifying {target.class_name} on {backend} ...")
            outcome = run_backend(target, expectations, backend, runtime, full=full,
                                  timeout=timeout)
            layer.backends.append(outcome.run)
            layer.results.extend(outcome.results)
            if outcome.load_error is not None:
                layer.error = outcome.load_error
                break
        report.layers.append(layer)
    return report


def skipped_for_all(checks: list[str], backends: list[str], reason: str) -> list[CheckResult]:
    return [CheckResult(c, b, SKIP, message=reason) for c in checks for b in backends]
