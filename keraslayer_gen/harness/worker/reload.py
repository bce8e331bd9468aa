"""The fresh process of `save-load`: imports Keras and one layer's module, loads models.

Run as a script (`python reload.py KERAS_MODULE [MODULE SYS_PATH_JSON]`), never imported by
klgen in that process, so that a layer that loads here loads for users too. One process
serves every layer of a worker: before each job it forgets what the jobs before it brought
in (their modules, their `register_keras_serializable` registrations and custom objects,
Keras's global state and `sys.path`), so a model that only loads because an earlier layer
registered something fails here as it would in a user's fresh process.

Each stdin line is a job::

    {"model": PATH.keras or PATH.h5, "inputs": PATH.npz, "out": PATH.npz,
     "module": "pkg.layer", "sys_path": [...],           # default: the command line's
     "input_list": bool, "input_names": [...]}           # several inputs only

The inputs file holds `x` (one input) or `x0`, `x1`, ... in order: the model is called with
that list, or with a dict by `input_names` when the loaded model's inputs are a dict. The
answer file holds `predicted` (one output) or `predicted0..N` (several, in
`keras.tree.flatten` order; tf-keras: `tf.nest.flatten`), `w0..` and `names` (the weights).
Each answer is one stdout line `{"ok": true}` or `{"ok": false, "error": "..."}`.
"""

from __future__ import annotations

import faulthandler
import gc
import importlib
import json
import os
import sys
import sysconfig
from typing import Any


def _answer(stream, data: dict) -> None:  # type: ignore[no-untyped-def]
    stream.write(json.dumps(data) + "\n")
    stream.flush()


def _die_with_parent() -> None:
    """Linux: the kernel kills this process when the worker that started it dies, so a
    worker killed at any moment leaves no reload process behind (klgen is not imported
    here, so this is prctl(PR_SET_PDEATHSIG) inline)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:
        os._exit(1)


def _installed_roots() -> tuple[str, ...]:
    """Where installed packages and the standard library live: modules from there that a
    job imported stay imported (a user's process would have them too, and extension
    modules cannot be imported twice); everything else a job imported is forgotten."""
    roots = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(os.path.realpath(path) + os.sep)
    for path in sys.path:
        if "site-packages" in path or "dist-packages" in path:
            roots.add(os.path.realpath(path) + os.sep)
    return tuple(sorted(roots))


class _Fresh:
    """The state of the process right after Keras was imported, restored before each job."""

    def __init__(self, keras: Any, keras_module: str) -> None:
        self.keras, self.tf_keras = keras, keras_module == "tf_keras"
        self.modules = set(sys.modules)
        self.path = list(sys.path)
        self.roots = _installed_roots()
        registration = sys.modules[keras.saving.register_keras_serializable.__module__]
        self.registries = [
            getattr(registration, name)
            for name in (
                "GLOBAL_CUSTOM_OBJECTS",
                "GLOBAL_CUSTOM_NAMES",
                "_GLOBAL_CUSTOM_OBJECTS",
                "_GLOBAL_CUSTOM_NAMES",
            )
            if isinstance(getattr(registration, name, None), dict)
        ]
        objects = keras.saving.get_custom_objects()
        if all(objects is not r for r in self.registries):
            self.registries.append(objects)
        self.saved = [dict(r) for r in self.registries]
        backend = keras.backend
        self.settings = (
            backend.floatx(),
            backend.epsilon(),
            backend.image_data_format(),
        )

    def _installed(self, module: Any) -> bool:
        files = [getattr(module, "__file__", None)]
        if files[0] is None:
            files = list(getattr(module, "__path__", None) or [])
            if not files:  # built in, or made at run time by a job
                return getattr(module, "__spec__", None) is not None and (
                    getattr(module.__spec__, "origin", None) in ("built-in", "frozen")
                )
        return all(os.path.realpath(f).startswith(self.roots) for f in files if f)

    def restore(self) -> None:
        """Forget the previous job: its modules, registrations, settings and sys.path."""
        dropped = {
            name
            for name, module in list(sys.modules.items())
            if name not in self.modules and not self._installed(module)
        }
        for name in dropped:
            sys.modules.pop(name, None)
        importlib.invalidate_caches()
        for registry, saved in zip(self.registries, self.saved, strict=True):
            for key in list(registry):
                if key in saved:
                    registry[key] = saved[key]
                    continue
                obj = registry[key] if isinstance(key, str) else key
                owner = getattr(obj, "__module__", None)
                if owner is None or owner in dropped or owner not in sys.modules:
                    del registry[key]
        sys.path[:] = self.path
        keras, backend = self.keras, self.keras.backend
        try:
            backend.clear_session()
            if self.tf_keras:
                keras.mixed_precision.set_global_policy("float32")
            else:
                keras.config.set_dtype_policy("float32")
            floatx, epsilon, data_format = self.settings
            backend.set_floatx(floatx)
            backend.set_epsilon(epsilon)
            backend.set_image_data_format(data_format)
        except Exception:  # noqa: BLE001 - a reset that fails leaves what the job set
            pass
        if self.tf_keras:  # Keras 3's clear_session collects garbage itself
            gc.collect()


def _call(model: Any, data: Any, job: dict[str, Any]) -> Any:
    if "x" in data.files:
        return model(data["x"], training=False)  # eager: no graph to trace here
    xs: list[Any] = []
    while f"x{len(xs)}" in data.files:
        xs.append(data[f"x{len(xs)}"])
    names = list(job.get("input_names") or [])
    if (
        not job.get("input_list")
        and len(names) == len(xs)
        and isinstance(getattr(model, "input", None), dict)
    ):
        return model(dict(zip(names, xs, strict=True)), training=False)
    return model(xs, training=False)


def _outputs(keras: Any, predicted: Any, tf_keras: bool) -> list[Any] | None:
    """The outputs in flatten order, or None for one tensor."""
    if tf_keras:
        import tensorflow as tf  # type: ignore[import-untyped]

        nest = tf.nest
        flat = nest.flatten(predicted)
        nested = not (len(flat) == 1 and flat[0] is predicted)
    else:
        nested = keras.tree.is_nested(predicted)
        flat = keras.tree.flatten(predicted)
    return list(flat) if nested else None


def main() -> int:
    _die_with_parent()
    # Running a script puts its folder first on sys.path; klgen's modules must not be there.
    sys.path.pop(0)
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever the layer prints goes to stderr, not into the answers
    faulthandler.enable()
    keras_module = sys.argv[1]
    default_module = sys.argv[2] if len(sys.argv) > 2 else None
    default_path = json.loads(sys.argv[3]) if len(sys.argv) > 3 else []
    import numpy as np

    keras = importlib.import_module(keras_module)  # or tf_keras for Keras 2 layers
    ops = getattr(keras, "ops", None)
    to_numpy = ops.convert_to_numpy if ops is not None else np.asarray
    tf_keras = keras_module == "tf_keras"
    fresh = _Fresh(keras, keras_module)

    _answer(out, {"ready": True})
    for line in sys.stdin:
        job = json.loads(line)
        model = predicted = None
        try:
            fresh.restore()
            extra = job.get("sys_path", default_path)
            sys.path[:0] = [p for p in extra if p not in sys.path]
            module = job.get("module") or default_module
            if not module:
                raise ValueError("the job names no layer module")
            importlib.import_module(str(module))
            model = keras.saving.load_model(job["model"])
            with np.load(job["inputs"]) as data:
                predicted = _call(model, data, job)
            names = [getattr(w, "path", w.name) for w in model.weights]
            arrays: dict[str, Any] = {
                f"w{i}": to_numpy(w) for i, w in enumerate(model.weights)
            }
            flat = _outputs(keras, predicted, tf_keras)
            if flat is None:
                arrays["predicted"] = to_numpy(predicted)
            else:
                arrays.update(
                    {f"predicted{i}": to_numpy(p) for i, p in enumerate(flat)}
                )
            arrays["names"] = np.array(names, dtype=str)
            np.savez(job["out"], **arrays)
            _answer(out, {"ok": True})
        except Exception as exc:  # reported to the worker, which words the failure
            _answer(out, {"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        finally:
            del model, predicted
    return 0


if __name__ == "__main__":
    sys.exit(main())
