"""Parent side: one worker process per backend, with a timeout per check.

The worker streams an event before and after each check, so a hang is attributed to the check
that hung: at its timeout the worker is asked for a stack dump (SIGABRT, caught by
faulthandler), then its whole process group is killed; that check fails and the rest are
reported as not run. A worker that dies (segfault, abort, `os._exit`) fails the same way, with
the signal and the layer's line that was running when it is known.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .expectations import Expectations
from .report import FAIL, SKIP, BackendRun, CheckResult
from .target import LayerTarget

#: Importing Keras and a backend takes seconds, more under load: never less than this.
STARTUP_SECONDS = 180.0
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<func>\S+)')


@dataclass
class BackendOutcome:
    """What one worker reported."""

    run: BackendRun
    results: list[CheckResult] = field(default_factory=list)
    load_error: str | None = None


def _env(backend: str, checks: list[str]) -> dict[str, str]:
    env = dict(os.environ)
    env["KERAS_BACKEND"] = backend
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    if backend == "jax" and "distributed" in checks:
        flags = env.get("XLA_FLAGS", "")
        if "xla_force_host_platform_device_count" not in flags:
            env["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count=2".strip()
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
        return "site-packages" not in name and "keraslayer_gen" not in name \
            and "/lib/python" not in name
    for match in frames:  # faulthandler lists the innermost call first
        if pick(match):
            return (f" at {Path(match.group('file')).name}:{match.group('line')} in "
                    f"{match.group('func')}")
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
    return {"startup": "importing Keras and the backend", "import": "importing the layer",
            "between": "between checks"}.get(phase, f"the {phase} check")


def run_backend(target: LayerTarget, expectations: Expectations, backend: str,
                checks: list[str], *, full: bool = False, timeout: float = 180.0) -> BackendOutcome:
    """Run the runtime `checks` for `target` in a fresh worker on `backend`."""
    outcome = BackendOutcome(BackendRun(backend))
    with tempfile.TemporaryDirectory(prefix=f"klgen-verify-{backend}-") as tmp:
        workdir = Path(tmp)
        job = {"backend": backend, "checks": checks, "full": full, "workdir": tmp,
               "expectations": expectations.to_dict(),
               "target": {"module": target.module, "class_name": target.class_name,
                          "sys_path": list(target.sys_path)}}
        stderr_path = workdir / "stderr.txt"
        started = time.perf_counter()
        with open(stderr_path, "wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "keraslayer_gen.harness.worker"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True,
                env=_env(backend, checks), start_new_session=True)
        try:
            _drive(process, job, outcome, checks, timeout, stderr_path, target, started)
        finally:
            _kill_group(process)
            outcome.run.seconds = round(time.perf_counter() - started, 3)
    return outcome


def _drive(process: subprocess.Popen[str], job: dict[str, Any], outcome: BackendOutcome,
           checks: list[str], timeout: float, stderr_path: Path, target: LayerTarget,
           started: float) -> None:
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(json.dumps(job))
        process.stdin.close()
    except BrokenPipeError:
        pass
    events: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_reader, args=(process.stdout, events), daemon=True).start()
    run, backend = outcome.run, outcome.run.backend
    phase, check_started = "startup", time.perf_counter()
    limit = max(timeout, STARTUP_SECONDS)
    done: set[str] = set()
    while True:
        remaining = check_started + limit - time.perf_counter()
        try:
            line = events.get(timeout=max(0.0, remaining))
        except queue.Empty:
            stderr = _interrupt(process, stderr_path)
            _stopped(outcome, checks, done, phase, backend,
                     f"{_phase_name(phase)} did not finish within {limit:g} s on {backend} "
                     f"and was stopped{_where(stderr, target.source)}: look for an endless "
                     "loop or a blocking call there")
            return
        if line is None:
            code = process.wait()
            stderr = stderr_path.read_text(errors="replace")
            how = (f"was killed by {signal.Signals(-code).name}" if code < 0 else
                   f"exited with code {code}")
            fatal = _fatal(stderr) or (_last_error(stderr) if code > 0 else "")
            _stopped(outcome, checks, done, phase, backend,
                     f"the {backend} process {how}{f' ({fatal})' if fatal else ''} during "
                     f"{_phase_name(phase)}{_where(stderr, target.source)}: find what "
                     "crashes the process there (os.abort, os._exit, a crash in native code)")
            return
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        kind = event.get("event")
        check_started, limit = time.perf_counter(), timeout
        if kind == "ready":
            run.keras_version = str(event.get("keras", ""))
            phase = "import"
        elif kind == "loaded":
            run.import_seconds = round(time.perf_counter() - started, 3)
            phase = "between"
        elif kind == "load-error":
            outcome.load_error = str(event.get("message"))
            run.status, run.message = "failed", outcome.load_error
            phase = "between"
        elif kind == "begin":
            phase = str(event["check"])
        elif kind == "end":
            done.add(str(event["check"]))
            outcome.results.append(CheckResult(
                check=str(event["check"]), backend=backend, status=str(event["status"]),
                seconds=float(event.get("seconds", 0.0)), message=str(event.get("message", "")),
                notes=list(event.get("notes", []))))
            phase = "between"
        elif kind == "observed":
            run.observed = dict(event.get("data", {}))
        elif kind == "done":  # all reported: the caller kills it, sparing its teardown
            if outcome.load_error is not None:
                outcome.results = [CheckResult(c, backend, SKIP, message="not run: the layer "
                                               "could not be loaded") for c in checks]
            return


def _stopped(outcome: BackendOutcome, checks: list[str], done: set[str], phase: str,
             backend: str, message: str) -> None:
    """The worker is gone: the running check failed, the others did not run."""
    outcome.run.status, outcome.run.message = "failed", message
    for check in checks:
        if check in done:
            continue
        if check == phase:
            outcome.results.append(CheckResult(check, backend, FAIL, message=message))
        else:
            outcome.results.append(CheckResult(
                check, backend, SKIP, message=f"not run: the {backend} process stopped during "
                f"{_phase_name(phase)}"))
    order = {c: i for i, c in enumerate(checks)}
    outcome.results.sort(key=lambda r: order.get(r.check, 0))


def _interrupt(process: subprocess.Popen[str], stderr_path: Path) -> str:
    """Ask the hung worker for its stack (faulthandler dumps it on SIGABRT), then kill it."""
    try:
        process.send_signal(signal.SIGABRT)
        process.wait(timeout=2)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        pass
    _kill_group(process)
    return stderr_path.read_text(errors="replace")


def _kill_group(process: subprocess.Popen[str]) -> None:
    """Kill the worker and everything it started (its session's process group)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
