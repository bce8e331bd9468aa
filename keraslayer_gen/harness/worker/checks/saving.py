"""Check 13, `save-load`: a fitted model saved to `.keras` (tf-keras: and to the legacy `.h5`)
reloads in a fresh process with the same outputs and weights."""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from keraslayer_gen.harness.registry import runtime_check
from keraslayer_gen.harness.worker.fixtures import allclose, max_difference
from keraslayer_gen.harness.worker.flavor import KERAS_MODULES

if TYPE_CHECKING:
    from keraslayer_gen.harness.worker.session import Session

RELOAD_SCRIPT = Path(__file__).resolve().parent.parent / "reload.py"


class Reloader:
    """The fresh process, started early so that its Keras import overlaps other checks.

    One process serves every layer it is given: `reload.py` forgets each job's modules and
    registrations before the next, so a model loads there only if the layer's own module
    makes it load (as in a user's fresh process). `module` and `sys_path` name the layer
    the next `load` is for (set them before each layer); a `shared` one outlives the
    sessions it serves (`close()` leaves it running, `close(force=True)` ends it)."""

    def __init__(
        self,
        module: str,
        sys_path: list[str],
        backend: str,
        keras_module: str,
        shared: bool = False,
    ) -> None:
        handle, name = tempfile.mkstemp(prefix="klgen-reload-", suffix=".txt")
        os.close(handle)
        self.log = Path(name)
        self.shared = shared
        self.module, self.sys_path = module, list(sys_path)
        self.backend, self.keras_module = backend, keras_module
        env = {**os.environ, "KERAS_BACKEND": backend}
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    str(RELOAD_SCRIPT),
                    keras_module,
                    module,
                    json.dumps(self.sys_path),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=env,
            )
        self.ready = False

    def serve(self, module: str, sys_path: list[str]) -> Reloader:
        """Load the next models for the layer in `module` (importable from `sys_path`)."""
        self.module, self.sys_path = module, list(sys_path)
        return self

    def _read(self) -> dict[str, Any] | None:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        return json.loads(line) if line else None

    def load(self, job: dict[str, Any]) -> dict[str, Any]:
        """Load `job["model"]` (fields as in `reload.py`; the module and path are this
        reloader's unless the job names them)."""
        if not self.ready:
            if self._read() is None:
                return {"ok": False, "error": self._died()}
            self.ready = True
        assert self.process.stdin is not None
        job = {"module": self.module, "sys_path": self.sys_path, **job}
        try:
            self.process.stdin.write(json.dumps(job) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            return {"ok": False, "error": self._died()}
        answer = self._read()
        return answer if answer is not None else {"ok": False, "error": self._died()}

    def _died(self) -> str:
        code = self.process.wait()
        tail = [
            x for x in self.log.read_text(errors="replace").splitlines() if x.strip()
        ]
        last = tail[-1].strip() if tail else ""
        return f"the process exited with code {code}" + (f" ({last})" if last else "")

    def close(self, force: bool = False) -> None:
        if self.shared and not force:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.log.unlink(missing_ok=True)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


_SHARED: dict[tuple[str, ...], Reloader] = {}
_MAX_SHARED = 2


def _close_shared() -> None:
    for reloader in _SHARED.values():
        reloader.close(force=True)


def shared_reloader(
    module: str, sys_path: list[str], backend: str, keras_module: str
) -> Reloader:
    """The fresh process of in-process runs: one per backend and Keras, serving every
    layer until exit (start it early, as a worker does, so that its Keras import overlaps
    other work)."""
    key = (backend, keras_module)
    reloader = _SHARED.pop(key, None)
    if reloader is None or not reloader.alive:
        if not _SHARED:
            atexit.register(_close_shared)
        while (
            len(_SHARED) >= _MAX_SHARED
        ):  # each holds a Keras in memory: keep the newest
            _SHARED.pop(next(iter(_SHARED))).close(force=True)
        reloader = Reloader(module, sys_path, backend, keras_module, shared=True)
    _SHARED[key] = reloader  # most recently used last
    return reloader.serve(module, sys_path)


def start_reloader(session: Session) -> None:
    """Start the fresh process now (called before the checks run)."""
    if session.reloader is not None:
        return
    keras_module = KERAS_MODULES[session.flavor.target]
    if session.in_process:
        session.reloader = shared_reloader(
            session.module, session.sys_path, session.backend, keras_module
        )
    else:
        session.reloader = Reloader(
            session.module, session.sys_path, session.backend, keras_module
        )


def _cause(error: str) -> str:
    """The line of a load_model error that names its cause. Keras wraps a layer's failure
    in "<class 'Functional'> could not be deserialized properly ... Exception encountered:
    <the cause>", so the first line alone says nothing."""
    text = str(error)
    for marker in ("Could not locate", "Exception encountered:"):
        at = text.find(marker)
        if at >= 0:
            cause = text[at:].removeprefix("Exception encountered:").strip()
            return (cause.splitlines() or [""])[0][:300]
    return (text.splitlines() or [""])[0][:300]


def _hint(error: str) -> str:
    if "Could not locate" in error:
        return (
            "load_model could not locate the class, which is not registered: decorate "
            "it with @keras.saving.register_keras_serializable(package=...)"
        )
    if "could not be loaded" in error and "built=False" in error:
        return (
            "a sub-layer is still unbuilt after build(), which load_model calls before "
            "it loads the weights: build the sub-layers in build"
        )
    if "required positional argument" in error or "unexpected keyword" in error:
        return "make get_config() return exactly the __init__ arguments"
    return "make the layer rebuild from its config and weights alone"


@runtime_check("save-load")
def check_save_load(session: Session) -> list[str]:
    start_reloader(session)
    notes = []
    for fx in session.fixtures:
        if not fx.output_is_float:
            notes.append("the output is not floating point: saved without a fit step")
        with session.guard(fx, "predict()"):
            expected = fx.predict()["value"]  # after the fit step, if any
        model = fx.model
        if _helper_masks(fx):
            # integer inputs masked by the harness's own helper layer, which a fresh
            # process cannot load: save the fitted layer in a model without it
            model = session.keras.Model(*fx.symbolic(fx.layer))
            with session.guard(fx, "predict() of the model without masks"):
                expected = session.numpy(model.predict_on_batch(fx.x))
            notes.append(
                f"{session.prefix(fx)}integer inputs with a mask: saved without the "
                "mask (the harness's mask layer is not part of the layer)"
            )
        for suffix in session.flavor.save_formats:
            _round_trip(session, fx, expected, suffix, model)
    return notes


def _helper_masks(fx: Any) -> bool:
    """Whether the shared model masks an integer input with the harness's helper."""
    return any(
        mask is not None and "float" not in t.dtype
        for t, mask in zip(fx.tensors, fx.masks, strict=True)
    )


def _round_trip(
    session: Session, fx: Any, expected: Any, suffix: str, model: Any
) -> None:
    """Save the fitted model to `suffix` (`.keras`, or the legacy `.h5` of Keras 2) and
    compare what the fresh process loads. Several inputs go to the fresh process as
    `x0`, `x1`, ... (with `input_list` and `input_names`), several outputs come back as
    `predicted0..N` in flatten order."""
    fmt = "" if suffix == ".keras" else f" (saved as {suffix})"
    if suffix == ".h5":
        # the legacy format stores a layer's weights by their full names: a sub-layer's
        # are `<layer>/<sub-layer>/bias:0`, so two sub-layers' `bias` do not clash
        names = [session.flavor.path(fx.layer, w) for w in fx.layer.weights]
        shared = sorted({n for n in names if names.count(n) > 1})
        if shared:
            raise session.fail(
                fx,
                f"two weights share the name '{shared[0]}', so "
                "model.save() to the legacy .h5 format fails (it stores "
                "weights by name): give every add_weight a unique name=, and "
                "build each sub-layer in its own name scope",
            )
    path = session.workdir / f"model-{fx.index}{suffix}"
    with session.guard(fx, f"model.save('{path.name}')"):
        model.save(path)
    weights = [(session.flavor.path(model, w), session.numpy(w)) for w in model.weights]
    moved = None
    if session.expectations.state_on == "every_call":
        # the state moves in every call, the fresh process's call included: compare
        # with the original model after the same call
        with session.guard(fx, "an eager call of the saved model"):
            expected = session.numpy(model(fx.x, training=False))
        moved = [session.numpy(w) for w in model.weights]
    inputs = session.workdir / f"inputs-{fx.index}.npz"
    out = session.workdir / f"reloaded-{fx.index}.npz"
    job: dict[str, Any] = {"model": str(path), "inputs": str(inputs), "out": str(out)}
    if fx.single:
        np.savez(inputs, x=fx.x)
    else:
        np.savez(inputs, **{f"x{i}": x for i, x in enumerate(fx.xs)})
        job["input_list"] = fx.example.input_style == "list"
        job["input_names"] = [t.name for t in fx.tensors]
    answer = session.reloader.load(job)
    if not answer.get("ok"):
        error = _cause(str(answer.get("error", "")))
        raise session.fail(
            fx,
            f"load_model{fmt} fails in a fresh process that imports "
            f"only the layer's module ({error}): {_hint(error)}",
        )
    with np.load(out) as data:
        predicted: Any = (
            data["predicted"]
            if "predicted" in data.files
            else [
                data[f"predicted{i}"]
                for i in range(sum(1 for f in data.files if f.startswith("predicted")))
            ]
        )
        names = [str(n) for n in data["names"]]
        restored = [data[f"w{i}"] for i in range(len(names))]
    if len(weights) != len(names):
        raise session.fail(
            fx,
            f"the reloaded model{fmt} has {len(names)} weights instead "
            f"of {len(weights)}: create every weight in build() with a "
            "fixed, unique name",
        )
    if moved is not None and all(
        a.shape == b.shape and np.array_equal(a, b)
        for a, b in zip(moved, restored, strict=False)
    ):
        weights = [(n, v) for (n, _), v in zip(weights, moved, strict=True)]
    for (name, value), again in zip(weights, restored, strict=False):
        if value.shape != again.shape or not np.array_equal(value, again):
            raise session.fail(
                fx,
                f"weight '{name}' differs after load_model{fmt}: create "
                "it with add_weight in build() so that saving tracks it",
            )
    if not allclose(expected, predicted):
        session.skip_if_random_inference(fx, "the reloaded model's predictions")
        raise session.fail(
            fx,
            f"the reloaded model{fmt} predicts differently (max "
            f"difference {max_difference(expected, predicted):.3g}): keep "
            "everything call depends on in get_config() or in weights",
        )
