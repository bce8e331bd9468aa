"""Parent side: one worker process per backend serves every layer of the call, with a
timeout per check.

The worker streams an event before and after each check, so a hang is attributed to the
check that hung: at its timeout the worker is asked for a stack dump (SIGABRT, caught by
faulthandler), then its whole process group is killed; that check fails, the rest of that
layer's checks are reported as not run, and a fresh worker takes the layers after it. A
worker that dies (segfault, abort, `os._exit`) fails the same way, with the signal and the
layer's line that was running when it is known.

Every worker is started in a session of its own and recorded in `PROCESSES`; `stop()` kills
every recorded process group (the worker and the reload processes it started) and refuses
new ones, so an interrupt at any moment leaves no process behind.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keraslayer_gen.harness.expectations import Expectations
from keraslayer_gen.harness.report import FAIL, SKIP, BackendRun, CheckResult
from keraslayer_gen.harness.target import LayerTarget

#: Importing Keras and a backend takes seconds, more under load: never less than this.
STARTUP_SECONDS = 180.0
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<func>\S+)')


class Stopped(Exception):
    """The run was interrupted: no new worker may start."""


class ProcessRegistry:
    """The worker processes alive, so that an interrupt can end all of them.

    A process is started and recorded under one lock, and `stop()` marks the registry
    stopped before it takes that lock: a process being started while `stop()` runs is
    either killed by it or never started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: dict[int, subprocess.Popen[str]] = {}
        self.stopping = False

    def start(self, argv: list[str], **kwargs: Any) -> subprocess.Popen[str]:
        with self._lock:
            if self.stopping:
                raise Stopped()
            process = subprocess.Popen(argv, start_new_session=True, **kwargs)
            self._live[process.pid] = process
            return process

    def forget(self, process: subprocess.Popen[str]) -> None:
        with self._lock:
            self._live.pop(process.pid, None)

    def stop(self) -> None:
        """Kill every recorded process group; no process starts after this."""
        self.stopping = True
        with self._lock:
            live = list(self._live.values())
        for process in live:
            kill_group(process)

    def reset(self) -> None:
        """Allow starting again (a library caller that handled the interrupt)."""
        with self._lock:
            self.stopping = False

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return list(self._live)


PROCESSES = ProcessRegistry()


@dataclass
class BackendOutcome:
    """What one worker reported for one layer."""

    run: BackendRun
    results: list[CheckResult] = field(default_factory=list)
    load_error: str | None = None


@dataclass
class Job:
    """One layer to verify on one backend."""

    index: int  # the layer's position in the call
    target: LayerTarget
    expectations: Expectations
    init_source: str | None = None  # where `init` came from, for a bad-argument error


#: `listener(event)`: {"kind": "worker" | "ready" | "layer" | "check-begin" | "check-end" |
#: "layer-done", "backend", "job", ...}; called from the worker's thread.
Listener = Callable[[dict[str, Any]], None]


def _env(backend: str, checks: list[str]) -> dict[str, str]:
    env = dict(os.environ)
    env["KERAS_BACKEND"] = backend
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (package_root, env.get("PYTHONPATH")) if p
    )
    if backend == "jax" and "distributed" in checks:
        flags = env.get("XLA_FLAGS", "")
        if "xla_force_host_platform_device_count" not in flags:
            env["XLA_FLAGS"] = (
                f"{flags} --xla_force_host_platform_device_count=2".strip()
            )
    return env


def _reader(stream: Any, events: queue.Queue[str | None]) -> None:
    for line in stream:
        events.put(line)
    events.put(None)


def _where(stderr: str, source: Path | None) -> str:
    """` at layer.py:12 in call`: the innermost frame of a faulthandler dump in the layer's
    file (or, failing that, outside Python's and the packages' own files)."""
    frames = [m for m in (_FRAME.match(line) for line in stderr.splitlines()) if m]

    def pick(match: re.Match[str]) -> bool:
        name = match.group("file")
        if source is not None:
            return Path(name).resolve() == source
        return (
            "site-packages" not in name
            and "keraslayer_gen" not in name
            and "/lib/python" not in name
        )

    for match in frames:  # faulthandler lists the innermost call first
        if pick(match):
            return (
                f" at {Path(match.group('file')).name}:{match.group('line')} in "
                f"{match.group('func')}"
            )
    return ""


def _fatal(stderr: str) -> str:
    for line in stderr.splitlines():
        if line.startswith("Fatal Python error:"):
            return line.removeprefix("Fatal Python error:").strip()
    return ""


def _last_error(stderr: str) -> str:
    """The last `SomeError: ...` line of a Python traceback on stderr."""
    for line in reversed(stderr.splitlines()):
        if re.match(r"^[A-Za-z_.]+(Error|Exception|Exit)\b", line.strip()):
            return line.strip()[:300]
    return ""


def _phase_name(phase: str) -> str:
    return {
        "startup": "importing Keras and the backend",
        "import": "importing the layer",
        "between": "between checks",
    }.get(phase, f"the {phase} check")


def run_backend(
    target: LayerTarget,
    expectations: Expectations,
    backend: str,
    checks: list[str],
    *,
    full: bool = False,
    timeout: float = 180.0,
) -> BackendOutcome:
    """Run the runtime `checks` for one `target` in a fresh worker on `backend`."""
    return run_jobs(
        backend, [Job(0, target, expectations)], checks, full=full, timeout=timeout
    )[0]


def run_jobs(
    backend: str,
    jobs: list[Job],
    checks: list[str],
    *,
    full: bool = False,
    timeout: float = 180.0,
    listener: Listener | None = None,
    registry: ProcessRegistry | None = None,
) -> dict[int, BackendOutcome]:
    """Every job's checks on `backend`, in as few workers as possible: one, unless a layer
    crashes or hangs its worker (then a fresh one takes the layers after it). Returns the
    outcome of each finished job by index; raises `Stopped` when the registry is stopped
    (the outcomes finished so far are in `Stopped.args[0]`)."""
    registry = registry or PROCESSES
    outcomes: dict[int, BackendOutcome] = {}
    pending = list(jobs)
    keras_target = jobs[0].expectations.target if jobs else "keras3"
    while pending:
        if registry.stopping:
            raise Stopped(outcomes)
        worker = _Worker(
            backend, checks, keras_target, full, timeout, listener, registry
        )
        try:
            worker.run(pending, outcomes)
        except Stopped:
            raise Stopped(outcomes) from None
        pending = [j for j in pending if j.index not in outcomes]
        if worker.startup_failure is not None:  # it would fail again: every layer fails
            for job in pending:
                outcomes[job.index] = worker.startup_failure(job)
            pending = []
    return outcomes


class _Worker:
    """One worker process over a list of jobs."""

    def __init__(
        self,
        backend: str,
        checks: list[str],
        keras_target: str,
        full: bool,
        timeout: float,
        listener: Listener | None,
        registry: ProcessRegistry,
    ) -> None:
        self.backend, self.checks, self.keras_target = backend, checks, keras_target
        self.full, self.timeout, self.registry = full, timeout, registry
        self.listener = listener or (lambda event: None)
        self.startup_failure: Callable[[Job], BackendOutcome] | None = None

    def _tell(self, kind: str, **data: Any) -> None:
        self.listener({"kind": kind, "backend": self.backend, **data})

    def run(self, jobs: list[Job], outcomes: dict[int, BackendOutcome]) -> None:
        with tempfile.TemporaryDirectory(prefix=f"klgen-verify-{self.backend}-") as tmp:
            workdir = Path(tmp)
            stderr_path = workdir / "stderr.txt"
            lines = [
                json.dumps(
                    {
                        "backend": self.backend,
                        "checks": self.checks,
                        "full": self.full,
                        "keras_target": self.keras_target,
                    }
                )
            ]
            for job in jobs:
                lines.append(
                    json.dumps(
                        {
                            "job": job.index,
                            "workdir": str(workdir / f"job{job.index}"),
                            "expectations": job.expectations.to_dict(),
                            "target": {
                                "module": job.target.module,
                                "class_name": job.target.class_name,
                                "sys_path": list(job.target.sys_path),
                                "text": job.target.text,
                                "init_source": job.init_source,
                            },
                        }
                    )
                )
            started = time.perf_counter()
            with open(stderr_path, "wb") as stderr:
                process = self.registry.start(
                    [sys.executable, "-m", "keraslayer_gen.harness.worker.serve"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    text=True,
                    env=_env(self.backend, self.checks),
                )
            self._tell("worker", jobs=[j.index for j in jobs])
            try:
                _Drive(self, process, jobs, outcomes, stderr_path, started).loop(
                    "\n".join(lines) + "\n"
                )
            finally:
                kill_group(process)
                self.registry.forget(process)
            if self.registry.stopping:
                raise Stopped()


class _Drive:
    """Reads one worker's events and turns them into outcomes."""

    def __init__(
        self,
        worker: _Worker,
        process: subprocess.Popen[str],
        jobs: list[Job],
        outcomes: dict[int, BackendOutcome],
        stderr_path: Path,
        started: float,
    ) -> None:
        self.worker, self.process, self.outcomes = worker, process, outcomes
        self.jobs = {j.index: j for j in jobs}
        self.stderr_path, self.started = stderr_path, started
        self.backend, self.checks = worker.backend, worker.checks
        self.current: Job | None = None
        self.outcome: BackendOutcome | None = None
        self.job_started = started
        self.startup_seconds = 0.0
        self.keras_version = ""
        self.first_job = True
        self.done: set[str] = set()

    def loop(self, payload: str) -> None:
        process = self.process
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(payload)
            process.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        events: queue.Queue[str | None] = queue.Queue()
        threading.Thread(
            target=_reader, args=(process.stdout, events), daemon=True
        ).start()
        phase, check_started = "startup", time.perf_counter()
        limit = max(self.worker.timeout, STARTUP_SECONDS)
        while True:
            remaining = check_started + limit - time.perf_counter()
            try:
                line = events.get(timeout=max(0.0, remaining))
            except queue.Empty:
                if self.worker.registry.stopping:
                    return
                stderr = _interrupt(process, self.stderr_path)
                self._stopped(
                    phase,
                    f"{_phase_name(phase)} did not finish within {limit:g} s "
                    f"on {self.backend} and was stopped{self._where(stderr)}: look "
                    "for an endless loop or a blocking call there",
                )
                return
            if line is None:
                code = process.wait()
                if self.worker.registry.stopping:
                    return
                stderr = self.stderr_path.read_text(errors="replace")
                how = (
                    f"was killed by {signal.Signals(-code).name}"
                    if code < 0
                    else f"exited with code {code}"
                )
                fatal = _fatal(stderr) or (_last_error(stderr) if code > 0 else "")
                self._stopped(
                    phase,
                    f"the {self.backend} process {how}"
                    f"{f' ({fatal})' if fatal else ''} during {_phase_name(phase)}"
                    f"{self._where(stderr)}: find what crashes the process there "
                    "(os.abort, os._exit, a crash in native code)",
                )
                return
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            check_started, limit = time.perf_counter(), self.worker.timeout
            phase = self._handle(event, phase)
            if phase == "finished":
                return

    def _where(self, stderr: str) -> str:
        return _where(stderr, self.current.target.source if self.current else None)

    def _handle(self, event: dict[str, Any], phase: str) -> str:
        kind = event.get("event")
        tell = self.worker._tell
        if kind == "ready":
            self.keras_version = str(event.get("keras", ""))
            self.startup_seconds = time.perf_counter() - self.started
            tell(
                "ready",
                seconds=round(self.startup_seconds, 3),
                keras=self.keras_version,
            )
            return "between"
        if kind == "done":  # all reported: the caller kills it, sparing its teardown
            return "finished"
        index = event.get("job")
        if kind == "job":
            self.current = self.jobs[int(index)]  # type: ignore[arg-type]
            self.outcome = BackendOutcome(
                BackendRun(self.backend, keras_version=self.keras_version)
            )
            self.job_started = time.perf_counter()
            self.done = set()
            tell("layer", job=self.current.index, layer=self.current.target.class_name)
            return "import"
        outcome, job = self.outcome, self.current
        if outcome is None or job is None:
            return phase
        run = outcome.run
        if kind == "loaded":
            run.import_seconds = round(
                float(event.get("seconds", 0.0))
                + (self.startup_seconds if self.first_job else 0.0),
                3,
            )
            return "between"
        if kind in ("load-error", "init-error"):
            outcome.load_error = str(event.get("message"))
            run.status, run.message = "failed", outcome.load_error
            why = (
                "the layer could not be loaded"
                if kind == "load-error"
                else "the layer cannot be built from its init arguments"
            )
            outcome.results = [
                CheckResult(c, self.backend, SKIP, message=f"not run: {why}")
                for c in self.checks
            ]
            return "between"
        if kind == "begin":
            tell("check-begin", job=job.index, check=str(event["check"]))
            return str(event["check"])
        if kind == "end":
            self.done.add(str(event["check"]))
            result = CheckResult(
                check=str(event["check"]),
                backend=self.backend,
                status=str(event["status"]),
                seconds=float(event.get("seconds", 0.0)),
                message=str(event.get("message", "")),
                notes=list(event.get("notes", [])),
            )
            outcome.results.append(result)
            tell(
                "check-end",
                job=job.index,
                check=result.check,
                status=result.status,
                seconds=result.seconds,
            )
            return "between"
        if kind == "observed":
            run.observed = dict(event.get("data", {}))
            return phase
        if kind == "job-done":
            self._finish(job, outcome)
            return "between"
        return phase

    def _finish(self, job: Job, outcome: BackendOutcome) -> None:
        outcome.run.seconds = round(
            time.perf_counter()
            - self.job_started
            + (self.startup_seconds if self.first_job else 0.0),
            3,
        )
        self.first_job = False
        self.outcomes[job.index] = outcome
        self.current, self.outcome = None, None
        self.worker._tell(
            "layer-done",
            job=job.index,
            status=_status(outcome),
            seconds=outcome.run.seconds,
        )

    def _stopped(self, phase: str, message: str) -> None:
        """The worker is gone: the running check failed, the others did not run."""
        backend, checks = self.backend, self.checks
        if self.current is None or self.outcome is None:
            if (
                phase == "startup"
            ):  # not the layer's fault, and the same for every layer

                def failed(job: Job) -> BackendOutcome:
                    outcome = BackendOutcome(
                        BackendRun(backend, status="failed", message=message)
                    )
                    outcome.results = [
                        CheckResult(
                            c,
                            backend,
                            SKIP,
                            message="not run: the "
                            f"{backend} process stopped during "
                            f"{_phase_name(phase)}",
                        )
                        for c in checks
                    ]
                    return outcome

                self.worker.startup_failure = failed
                for job in self.jobs.values():
                    if job.index not in self.outcomes:
                        self.worker._tell(
                            "layer-done", job=job.index, status="failed", seconds=0.0
                        )
            return
        outcome, job = self.outcome, self.current
        outcome.run.status, outcome.run.message = "failed", message
        for check in checks:
            if check in self.done or outcome.load_error is not None:
                continue
            if check == phase:
                outcome.results.append(
                    CheckResult(check, backend, FAIL, message=message)
                )
            else:
                outcome.results.append(
                    CheckResult(
                        check,
                        backend,
                        SKIP,
                        message=f"not run: the {backend} process stopped "
                        f"during {_phase_name(phase)}",
                    )
                )
        order = {c: i for i, c in enumerate(checks)}
        outcome.results.sort(key=lambda r: order.get(r.check, 0))
        self._finish(job, outcome)


def _status(outcome: BackendOutcome) -> str:
    if outcome.load_error is not None or outcome.run.status == "failed":
        return "failed"
    return FAIL if any(r.status == FAIL for r in outcome.results) else "ok"


def _interrupt(process: subprocess.Popen[str], stderr_path: Path) -> str:
    """Ask the hung worker for its stack (faulthandler dumps it on SIGABRT), then kill it."""
    try:
        process.send_signal(signal.SIGABRT)
        process.wait(timeout=2)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        pass
    kill_group(process)
    return stderr_path.read_text(errors="replace")


def kill_group(process: subprocess.Popen[str]) -> None:
    """Kill the worker and everything it started (its session's process group)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
