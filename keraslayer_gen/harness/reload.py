"""The fresh process of `save-load`: imports Keras and the layer's module only, loads models.

Run as a script (`python reload.py MODULE SYS_PATH_JSON KERAS_MODULE`), never imported by
klgen in that process, so that a layer that loads here loads for users too. Each stdin line is
a job `{"model": PATH.keras or PATH.h5, "inputs": PATH.npz, "out": PATH.npz}`; each answer one
stdout line `{"ok": true}` or `{"ok": false, "error": "..."}`.
"""

from __future__ import annotations

import faulthandler
import importlib
import json
import os
import sys
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


def main() -> int:
    _die_with_parent()
    # Running a script puts its folder first on sys.path; klgen's modules must not be there.
    sys.path.pop(0)
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever the layer prints goes to stderr, not into the answers
    faulthandler.enable()
    module, extra, keras_module = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    sys.path[:0] = [p for p in extra if p not in sys.path]
    import numpy as np

    keras = importlib.import_module(
        keras_module
    )  # keras, or tf_keras for Keras 2 layers
    ops = getattr(keras, "ops", None)
    to_numpy = ops.convert_to_numpy if ops is not None else np.asarray

    _answer(out, {"ready": True})
    for line in sys.stdin:
        job = json.loads(line)
        try:
            importlib.import_module(module)
            model = keras.saving.load_model(job["model"])
            x = np.load(job["inputs"])["x"]
            predicted = model(x, training=False)  # eager: no graph to trace here
            names = [getattr(w, "path", w.name) for w in model.weights]
            arrays: dict[str, Any] = {
                f"w{i}": to_numpy(w) for i, w in enumerate(model.weights)
            }
            arrays["predicted"] = to_numpy(predicted)
            arrays["names"] = np.array(names, dtype=str)
            np.savez(job["out"], **arrays)
            _answer(out, {"ok": True})
        except Exception as exc:  # reported to the worker, which words the failure
            _answer(out, {"ok": False, "error": f"{type(exc).__name__}: {exc}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
