"""The backend worker: `python -m keraslayer_gen.harness.worker.serve` runs the checks of every
layer of one `klgen verify` call on one backend, paying the Keras import once.

The parent (`runner.py`) starts it with `KERAS_BACKEND` set, in a session of its own (so
that killing its process group also ends the reload processes it starts), writes JSON
lines to its stdin and closes it, then reads JSON lines from stdout, one event at a time,
so that a check that hangs is known:

    stdin:  {"backend", "checks": [ids], "full": bool, "keras_target": "keras3" | "tf-keras"}
            then one line per layer: {"job": n, "workdir": path, "expectations",
                                      "target": {"module", "class_name", "sys_path", "text",
                                                 "init_source"}}
    events: {"event": "ready", "keras": version, "seconds"}      Keras and backend imported
            then per layer, in order:
            {"event": "job", "job": n}                           this layer starts
            {"event": "loaded", "job", "seconds"}                its module imported
            {"event": "load-error", "job", "message"}            ... or not: nothing runs
            {"event": "init-error", "job", "message"}            --init does not fit __init__
            {"event": "begin", "job", "check"}  then  {"event": "end", "job", "check",
             "status", "message", "notes", "seconds"}            per check, in order
            {"event": "observed", "job", "data"}  then  {"event": "job-done", "job"}
            and last {"event": "done"}

Between layers the worker resets Keras's global state (`clear_session`, the dtype policy,
the seed), so a layer's results do not depend on the layers verified before it in the same
process. Whatever a layer prints goes to stderr, never into the events.
"""

from __future__ import annotations

import faulthandler
import importlib
import inspect
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any, TextIO

#: Linux's prctl(PR_SET_PDEATHSIG): the kernel sends the signal when the parent dies.
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent dies (Linux; elsewhere the
    parent's process-group kill is the only guard)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


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
        raise LookupError(
            f"{module_name}.{class_name} is not a keras.layers.Layer subclass"
        )
    return found


def init_problem(cls: type, init: dict[str, Any]) -> str | None:
    """Why `cls(**init)` cannot be called: an unknown or a missing argument (with a
    did-you-mean), or None when the arguments fit. Builds the layer once to find out."""
    from keraslayer_gen.spec.names import did_you_mean

    try:
        cls(**init)
        return None
    except TypeError as exc:
        error = str(exc)
    except Exception:  # the layer's own validation or a bug: the checks report it
        return None
    own = _own_init(cls)
    if own is None:
        return None
    named, required, takes_kwargs = own
    missing = [p for p in required if p not in init]
    if takes_kwargs:  # unknown names reach a base's __init__, which names them
        choices = _known_arguments(cls)
        unknown = [
            k
            for k in init
            if k not in choices
            and (repr(k) in error or did_you_mean(k, choices) or missing)
        ]
    else:
        choices = named
        unknown = [k for k in init if k not in named]
    problems = [
        f"unknown argument `{key}`{did_you_mean(key, choices)}" for key in unknown
    ]
    problems += [f"missing required argument `{key}`" for key in missing]
    if not problems:
        return None
    takes = ", ".join(named) if named else "no arguments"
    return (
        f"{cls.__name__}(**init): {'; '.join(problems)}; {cls.__name__}.__init__ takes "
        f"{takes}"
    )


def _own_init(cls: type) -> tuple[list[str], list[str], bool] | None:
    """(named arguments, required ones, takes **kwargs) of the nearest `__init__` defined by
    `cls` or a base below `keras.layers.Layer`."""
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            params = list(inspect.signature(init).parameters.values())[1:]
        except (TypeError, ValueError):
            return None
        named = [
            p.name
            for p in params
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
        required = [
            p.name
            for p in params
            if p.default is p.empty
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
        return named, required, any(p.kind is p.VAR_KEYWORD for p in params)
    return None


def _known_arguments(cls: type) -> list[str]:
    """Every named `__init__` argument along the MRO (what `**kwargs` may pass on)."""
    names: list[str] = []
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        try:
            params = list(inspect.signature(init).parameters.values())[1:]
        except (TypeError, ValueError):
            continue
        names += [
            p.name
            for p in params
            if p.name not in names
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
    return names


def _reset(keras: Any, keras_target: str) -> None:
    """A blank Keras for the next layer: global state, dtype policy and seed."""
    try:
        keras.backend.clear_session()
        if keras_target == "tf-keras":
            keras.mixed_precision.set_global_policy("float32")
        else:
            keras.config.set_dtype_policy("float32")
    except Exception:  # noqa: BLE001 - a reset that fails leaves the defaults in place
        pass
    keras.utils.set_random_seed(1234)


class _Reloaders:
    """The `save-load` process of this worker: one for all its layers (`reload.py` forgets
    each layer's modules and registrations before the next), started before the worker
    imports Keras so that the two imports overlap, and started again after a layer that
    crashed it. It dies with the worker."""

    def __init__(self, backend: str, keras_target: str, enabled: bool) -> None:
        self.backend, self.keras_target, self.enabled = backend, keras_target, enabled
        self.reloader: Any = None

    def start(self, job: dict[str, Any] | None) -> None:
        if job is None or not self.enabled:
            return
        if self.reloader is not None and self.reloader.alive:
            return
        from keraslayer_gen.harness.worker.checks.saving import Reloader
        from keraslayer_gen.harness.worker.flavor import KERAS_MODULES

        if self.reloader is not None:
            self.reloader.close(force=True)
        target = job["target"]
        self.reloader = Reloader(
            target["module"],
            list(target.get("sys_path", [])) + sys.path,
            self.backend,
            KERAS_MODULES[self.keras_target],
            shared=True,
        )

    def take(self, job: dict[str, Any]) -> Any:
        """The process, set to load `job`'s layer (None when save-load does not run)."""
        self.start(job)
        if self.reloader is None:
            return None
        target = job["target"]
        return self.reloader.serve(
            target["module"], list(target.get("sys_path", [])) + sys.path
        )

    def close(self) -> None:
        if self.reloader is not None:
            self.reloader.close(force=True)
            self.reloader = None


def run_job(
    keras: Any, header: dict[str, Any], job: dict[str, Any], reloader: Any, emit: Any
) -> None:
    """One layer: import it, build it once from its `init`, run the checks."""
    from keraslayer_gen.harness.expectations import Expectations
    from keraslayer_gen.harness.worker.session import Session, run_checks

    index, checks = job["job"], list(header["checks"])
    target = job["target"]
    expectations = Expectations.from_dict(job["expectations"])
    start = time.perf_counter()
    try:
        cls = load_class(keras, target)
    except LookupError as exc:
        emit({"event": "load-error", "job": index, "message": str(exc)})
        if reloader is not None:
            reloader.close()
        return
    emit(
        {
            "event": "loaded",
            "job": index,
            "seconds": round(time.perf_counter() - start, 3),
        }
    )
    for number, example in enumerate(expectations.examples):
        problem = init_problem(cls, dict(example.init))
        if problem is not None:
            where = target.get("init_source") or "--init"
            if "{n}" in where:
                where = where.replace("{n}", str(number))
            emit(
                {"event": "init-error", "job": index, "message": f"{where}: {problem}"}
            )
            if reloader is not None:
                reloader.close()
            return
    _reset(
        keras, header.get("keras_target", "keras3")
    )  # as if never built: names, seed
    workdir = Path(job["workdir"])
    workdir.mkdir(parents=True, exist_ok=True)
    session = Session(
        keras,
        cls,
        expectations,
        checks=checks,
        workdir=workdir,
        module=target["module"],
        sys_path=list(target.get("sys_path", [])) + sys.path,
        full=bool(header.get("full")),
    )
    session.reloader = reloader
    tagged = _tagged(emit, index)
    run_checks(session, tagged)


def _tagged(emit: Any, index: int) -> Any:
    def tagged(event: dict[str, Any]) -> None:
        emit({**event, "job": index})

    return tagged


def run(header: dict[str, Any], jobs: list[dict[str, Any]], emit: Any) -> None:
    from keraslayer_gen.harness.worker.flavor import import_keras

    backend, checks = header["backend"], list(header["checks"])
    keras_target = header.get("keras_target", "keras3")
    reloaders = _Reloaders(backend, keras_target, "save-load" in checks)
    reloaders.start(jobs[0] if jobs else None)  # its imports overlap ours
    start = time.perf_counter()
    _configure_devices(backend, checks)
    keras = import_keras(keras_target)
    emit(
        {
            "event": "ready",
            "keras": keras.__version__,
            "backend": keras.backend.backend(),
            "seconds": round(time.perf_counter() - start, 3),
        }
    )
    for job in jobs:
        emit({"event": "job", "job": job["job"]})
        _reset(keras, keras_target)
        reloader = reloaders.take(job)
        run_job(keras, header, job, reloader, emit)
        emit({"event": "job-done", "job": job["job"]})
    reloaders.close()


def main() -> int:
    die_with_parent()
    events = os.fdopen(os.dup(1), "w")
    os.dup2(
        2, 1
    )  # the layer's prints and Keras's logs go to stderr, not into the events
    faulthandler.enable()
    lines = [line for line in sys.stdin.read().splitlines() if line.strip()]
    header = json.loads(lines[0])
    jobs = [json.loads(line) for line in lines[1:]]
    os.environ["KERAS_BACKEND"] = header["backend"]
    emit = _emitter(events)
    run(header, jobs, emit)
    emit({"event": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
