"""`verify`: expectations for each target, the static checks, then one worker per backend
serving every target, the backends side by side."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import replace
from typing import Any

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.harness.checklist import RUNTIME_CHECKS
from keraslayer_gen.harness.expectations import (
    Example,
    Expectations,
    expectations_for,
    expectations_from_spec,
)
from keraslayer_gen.harness.report import SKIP, CheckResult, LayerReport, Report
from keraslayer_gen.harness.runner import (
    PROCESSES,
    BackendOutcome,
    Job,
    Listener,
    Stopped,
    run_jobs,
)
from keraslayer_gen.harness.static import run_static_checks
from keraslayer_gen.harness.target import LayerTarget
from keraslayer_gen.spec.model import Example as SpecExample
from keraslayer_gen.spec.registry import TARGETS

#: Default seconds a single check may run (all examples) before it is stopped.
DEFAULT_TIMEOUT = 180.0


def expectations_for_target(
    target: LayerTarget,
    *,
    input_shapes: Sequence[Sequence[int]] | None = None,
    examples: Sequence[Example] | None = None,
    **overrides: Any,
) -> Expectations:
    """The spec's expectations, or the options' for a layer without one; options win.

    `input_shapes` replaces the examples (each with the `init`, `mask` and `dtype` given);
    with a spec, the weight counts of the new examples still come from the spec.
    `examples` (from `--inputs`: several tensors, call arguments) are added after the
    `input_shapes` ones; with a spec they replace its examples, and their weight counts
    come from the spec example with the same `init` (else they are observed)."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if target.target == "tf-keras":  # Keras 2 layers have no SeedGenerator objects
        overrides = {"target": "tf-keras", "seed_generators": 0, **overrides}
    if examples:
        given = [
            Example(input_shape=tuple(int(d) for d in s)) for s in input_shapes or ()
        ]
        given += list(examples)
        if target.spec is None:
            return Expectations(examples=tuple(given)).with_overrides(**overrides)
        base = expectations_from_spec(target.spec)
        init = overrides.get("init")
        chosen = []
        for example in given:
            wanted = base.examples[0].init if init is None else init
            same = [e for e in base.examples if e.init == wanted]
            counts: dict[str, Any] = (
                dict(
                    trainable=same[0].trainable,
                    non_trainable=same[0].non_trainable,
                    seed_generators=same[0].seed_generators,
                )
                if same
                else {}
            )
            chosen.append(replace(example, init=dict(wanted), **counts))
        return replace(base, examples=tuple(chosen)).with_overrides(**overrides)
    if target.spec is not None:
        spec = target.spec
        if input_shapes or {"init", "mask", "dtype"} & set(overrides):
            # new examples: the spec still says which weights their init creates
            olds = _olds(spec, input_shapes)
            shapes: list[Any] = (
                list(input_shapes) if input_shapes else [e.input_shape for e in olds]
            )
            rebuilt = []
            for s, old in zip(shapes, olds, strict=True):
                update: dict[str, Any] = {
                    k: overrides[k] for k in ("init", "mask", "dtype") if k in overrides
                }
                if old is not None:
                    rebuilt.append(old.model_copy(update=update))
                else:
                    rebuilt.append(
                        SpecExample.model_validate({"input_shape": list(s), **update})
                    )
            spec = spec.model_copy(update={"examples": rebuilt})
        return expectations_from_spec(spec).with_overrides(**overrides)
    if not input_shapes:
        raise KlgenError(
            f"{target.text}: the layer has no spec to take examples from; give "
            "--input-shape (with the batch dimension, e.g. --input-shape 2,5,8) or "
            "--inputs (several tensors, e.g. --inputs '[[2, 4], [2, 4]]')"
        )
    return expectations_for([tuple(s) for s in input_shapes], **overrides)


def _olds(spec: Any, input_shapes: Sequence[Sequence[int]] | None) -> list[Any]:
    """The spec's own examples when only their fields change, else nothing to inherit."""
    return [None] * len(input_shapes) if input_shapes else list(spec.examples)


class Interrupted(KeyboardInterrupt):
    """`verify` was interrupted (Ctrl-C, SIGTERM): every process it started is gone.
    `report` holds the layers and backends that finished; `unfinished` names the rest.
    """

    def __init__(self, report: Report, unfinished: list[str]) -> None:
        super().__init__("interrupted")
        self.report = report
        self.unfinished = unfinished


def default_jobs() -> int:
    """How many workers run at once by default: one per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def verify(
    targets: Sequence[tuple[LayerTarget, Expectations]],
    *,
    backends: list[str],
    checks: list[str],
    full: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[str], None] | None = None,
    listener: Listener | None = None,
    jobs: int | None = None,
    init_from: str | None = None,
) -> Report:
    """Run `checks` on every target: the static ones here, the runtime ones in one worker
    process per backend that serves every target, the backends side by side (at most
    `jobs` workers at once, default one per CPU). `progress` (if given) hears one line per
    layer started on a backend; `listener` every event (see `runner.Listener`).
    `init_from` says where the examples' `init` came from (e.g. "--init"), for the error
    when it does not fit the layer's `__init__`.

    Raises `Interrupted` (a `KeyboardInterrupt`) on an interrupt, after killing every
    process it started; a target that fails the static pre-flight (not valid Python, no
    such class, not a Layer) is reported with its `error`, and never sent to a worker.
    """
    from keraslayer_gen.harness.preflight import preflight

    runtime = [c for c in checks if c in RUNTIME_CHECKS]
    layers: list[LayerReport] = []
    runnable: list[Job] = []
    for index, (target, expectations) in enumerate(targets):
        layer = LayerReport(
            target=target.text,
            class_name=target.class_name,
            module=target.module,
            source=str(target.source) if target.source else None,
            spec=target.spec_label,
            expectations=expectations,
            checks=list(checks),
        )
        layers.append(layer)
        problem = preflight(target)
        if problem is not None:
            layer.error = problem
            continue
        runnable.append(
            Job(index, target, expectations, _init_source(target, init_from))
        )
    tasks = _tasks(runnable, backends, isolate=_isolated(runtime)) if runtime else []
    outcomes: dict[tuple[str, int], BackendOutcome] = {}
    unfinished: list[str] = []

    def on_event(event: dict[str, Any]) -> None:
        if progress is not None and event["kind"] == "layer":
            progress(f"verifying {event['layer']} on {event['backend']} ...")
        if listener is not None:
            listener(event)

    pool = ThreadPoolExecutor(
        max_workers=max(1, min(jobs or default_jobs(), len(tasks) or 1)),
        thread_name_prefix="klgen-verify",
    )
    futures: dict[Future[dict[int, BackendOutcome]], tuple[str, list[Job]]] = {}
    try:
        for backend, group in tasks:
            futures[
                pool.submit(
                    run_jobs,
                    backend,
                    group,
                    runtime,
                    full=full,
                    timeout=timeout,
                    listener=on_event,
                )
            ] = (backend, group)
        for layer, (target, _) in zip(layers, targets, strict=True):
            if layer.error is None:
                layer.results.extend(
                    run_static_checks(checks, target.source, target.class_name)
                )
        for future in as_completed(futures):
            backend, _ = futures[future]
            for index, outcome in future.result().items():
                outcomes[(backend, index)] = outcome
    except KeyboardInterrupt:
        PROCESSES.stop()
        pool.shutdown(wait=True, cancel_futures=True)
        for future, (backend, group) in futures.items():
            done: dict[int, BackendOutcome] = {}
            if future.done() and not future.cancelled():
                error = future.exception()
                if error is None:
                    done = future.result()
                elif isinstance(error, Stopped) and error.args:
                    done = error.args[0]
            for index, outcome in done.items():
                outcomes[(backend, index)] = outcome
            unfinished += [
                f"{layers[j.index].class_name or j.target.text} on {backend}"
                for j in group
                if j.index not in done
            ]
        PROCESSES.reset()
        report = _assemble(layers, targets, backends, runtime, outcomes, partial=True)
        raise Interrupted(report, unfinished) from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return _assemble(layers, targets, backends, runtime, outcomes, partial=False)


def _init_source(target: LayerTarget, init_from: str | None) -> str:
    if init_from is not None:
        return init_from
    if target.spec is not None and target.spec_label:
        return f"{target.spec_label}: examples[{{n}}].init"
    return "--init"


def _isolated(checks: list[str]) -> set[str]:
    """Backends whose worker serves one layer only for these checks: TensorFlow under
    `distributed`, whose MirroredStrategy state outlives `clear_session` in the process (a
    layer verified after another's distributed fit failed with a graph execution error it
    does not have alone)."""
    return {"tensorflow"} if "distributed" in checks else set()


def _tasks(
    jobs: list[Job], backends: list[str], isolate: set[str] | None = None
) -> list[tuple[str, list[Job]]]:
    """(backend, jobs) per worker to start: one per backend and Keras flavour, split where
    two layers' modules share a top-level name from different folders (one process cannot
    import both), one per layer on the `isolate` backends. The first group of every backend
    comes first, so all backends start."""
    per_backend: list[list[tuple[str, list[Job]]]] = []
    for backend in backends:
        groups: list[tuple[str, list[Job]]] = []
        for flavour in TARGETS:
            mine = [
                j
                for j in jobs
                if j.expectations.target == flavour
                and (flavour == "keras3" or backend == "tensorflow")
            ]
            split = (
                [[j] for j in mine]
                if backend in (isolate or set())
                else _split_modules(mine)
            )
            for group in split:
                groups.append((backend, group))
        per_backend.append(groups)
    ordered: list[tuple[str, list[Job]]] = []
    for rank in range(max((len(g) for g in per_backend), default=0)):
        ordered += [groups[rank] for groups in per_backend if rank < len(groups)]
    return ordered


def _split_modules(jobs: list[Job]) -> list[list[Job]]:
    groups: list[tuple[dict[str, str], list[Job]]] = []
    for job in jobs:
        module = job.target.module
        top = module.split(".")[0]
        if "." in module:  # a package: where its root is
            origin = "|".join(job.target.sys_path)
        else:  # a plain module: its file
            origin = str(job.target.source or "|".join(job.target.sys_path))
        for roots, group in groups:
            if roots.setdefault(top, origin) == origin:
                group.append(job)
                break
        else:
            groups.append(({top: origin}, [job]))
    return [group for _, group in groups]


def _assemble(
    layers: list[LayerReport],
    targets: Sequence[tuple[LayerTarget, Expectations]],
    backends: list[str],
    runtime: list[str],
    outcomes: dict[tuple[str, int], BackendOutcome],
    *,
    partial: bool,
) -> Report:
    report = Report(interrupted=partial)
    for index, layer in enumerate(layers):
        if layer.error is not None:
            report.layers.append(layer)
            continue
        target, expectations = targets[index]
        finished = 0
        for backend in backends if runtime else []:
            if expectations.target == "tf-keras" and backend != "tensorflow":
                layer.results.extend(
                    skipped_for_all(
                        runtime, [backend], "tf-keras layers run on TensorFlow only"
                    )
                )
                continue
            outcome = outcomes.get((backend, index))
            if outcome is None:
                continue
            finished += 1
            layer.backends.append(outcome.run)
            layer.results.extend(outcome.results)
            if outcome.load_error is not None and layer.error is None:
                layer.error = outcome.load_error
        if partial and runtime and not finished:
            continue
        report.layers.append(layer)
    return report


def skipped_for_all(
    checks: list[str], backends: list[str], reason: str
) -> list[CheckResult]:
    return [CheckResult(c, b, SKIP, message=reason) for c in checks for b in backends]
