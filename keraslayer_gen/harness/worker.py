"""The backend worker: `python -m keraslayer_gen.harness.worker` runs one layer's checks.

The parent (`runner.py`) starts it with `KERAS_BACKEND` set, writes one JSON job to stdin and
reads JSON lines from stdout, one event at a time, so that a check that hangs is known:

    job:    {"backend", "target": {"module", "class_name", "sys_path"}, "expectations",
             "checks": [ids], "full": bool, "workdir": path}
    events: {"event": "ready", "keras": version, "seconds"}      Keras and backend imported
            {"event": "loaded", "seconds"}                       the layer's module imported
            {"event": "load-error", "message"}                   ... or not: nothing runs
            {"event": "begin", "check"}  then  {"event": "end", "check", "status",
             "message", "notes", "seconds"}                      per check, in order
            {"event": "observed", "data"}  then  {"event": "done"}

Whatever the layer prints goes to stderr, never into the events.
"""

from __future__ import annotations

import faulthandler
import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any, TextIO


def _emitter(stream: TextIO) -> Any:
    def emit(event: dict[str, Any]) -> None:
        stream.write(json.dumps(event) + "\n")
        stream.flush()

    return emit


def _configure_devices(backend: str, checks: list[str]) -> None:
    """Two CPU devices for `distributed`; only possible before the backend starts."""
    if "distributed" not in checks:
        return
    if backend == "jax":
        flag = "--xla_force_host_platform_device_count=2"
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_force_host_platform_device_count" not in flags:
            os.environ["XLA_FLAGS"] = f"{flags} {flag}".strip()
    elif backend == "tensorflow":
        import tensorflow as tf  # type: ignore[import-untyped]

        cpus = tf.config.list_physical_devices("CPU")
        config = tf.config.LogicalDeviceConfiguration
        tf.config.set_logical_device_configuration(cpus[0], [config(), config()])


def describe_import_error(module: str, exc: BaseException) -> str:
    """`importing m raises ValueError: ... (at m.py:3)`: why the layer cannot be loaded."""
    if isinstance(exc, SystemExit):
        return f"importing {module} calls sys.exit({exc.code})"
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    for frame in reversed(frames):
        if "importlib" not in frame.filename and "keraslayer_gen" not in frame.filename:
            where = f" (at {Path(frame.filename).name}:{frame.lineno})"
            break
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"importing {module} raises {type(exc).__name__}{': ' + text if text else ''}{where}"


def load_class(keras: Any, target: dict[str, Any]) -> type:
    """Import the layer's module and return its class; raises `LookupError` with a message
    for people when that fails."""
    module_name, class_name = target["module"], target["class_name"]
    sys.path[:0] = [p for p in target.get("sys_path", []) if p not in sys.path]
    try:
        module = importlib.import_module(module_name)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        raise LookupError(describe_import_error(module_name, exc)) from None
    found: Any = module
    for part in class_name.split("."):
        found = getattr(found, part, None)
        if found is None:
            raise LookupError(f"{module_name} has no class `{class_name}`")
    if not isinstance(found, type) or not issubclass(found, keras.layers.Layer):
        raise LookupError(f"{module_name}.{class_name} is not a keras.layers.Layer subclass")
    return found


def run(job: dict[str, Any], emit: Any) -> None:
    from .checks.saving import Reloader
    from .expectations import Expectations
    from .flavor import KERAS_MODULES, import_keras

    backend, checks = job["backend"], list(job["checks"])
    expectations = Expectations.from_dict(job["expectations"])
    target = job["target"]
    reloader = None
    if "save-load" in checks:  # start the fresh process now: its imports overlap ours
        reloader = Reloader(target["module"], list(target.get("sys_path", [])) + sys.path,
                            backend, KERAS_MODULES[expectations.target])
    start = time.perf_counter()
    _configure_devices(backend, checks)
    keras = import_keras(expectations.target)
    emit({"event": "ready", "keras": keras.__version__, "backend": keras.backend.backend(),
          "seconds": round(time.perf_counter() - start, 3)})
    keras.utils.set_random_seed(1234)
    start = time.perf_counter()
    try:
        cls = load_class(keras, target)
    except LookupError as exc:
        emit({"event": "load-error", "message": str(exc)})
        if reloader is not None:
            reloader.close()
        return
    emit({"event": "loaded", "seconds": round(time.perf_counter() - start, 3)})
    from .session import Session, run_checks

    session = Session(keras, cls, expectations, checks=checks,
                      workdir=Path(job["workdir"]), module=target["module"],
                      sys_path=list(target.get("sys_path", [])) + sys.path,
                      full=bool(job.get("full")))
    session.reloader = reloader
    run_checks(session, emit)


def main() -> int:
    events = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the layer's prints and Keras's logs go to stderr, not into the events
    faulthandler.enable()
    job = json.loads(sys.stdin.read())
    os.environ["KERAS_BACKEND"] = job["backend"]
    emit = _emitter(events)
    run(job, emit)
    emit({"event": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
