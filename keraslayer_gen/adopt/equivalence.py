"""The proof of `adopt --write`: the original and the regenerated class, side by side.

`prove(...)` starts one worker per backend (`python -m keraslayer_gen.adopt.equivalence`,
with `KERAS_BACKEND` set before Keras is imported) and collects its checks. The worker
builds both classes from the same config, copies the weights by order (and the seed
generators' state, so random draws agree), then compares, on each example of the spec:
outputs at inference and in training (weights after the training call too: state), with
and without a mask where the layer takes masks, the output masks, `compute_output_shape`
against the outputs, and the `get_config` keys.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: `Layer.get_config` keys (`layer_structure.BASE_KEYS`, repeated here so that the worker
#: imports nothing of klgen's static side).
_BASE_KEYS = frozenset(
    {
        "name",
        "trainable",
        "dtype",
        "activity_regularizer",
        "autocast",
        "input_dim",
        "input_shape",
        "batch_input_shape",
        "batch_size",
        "dynamic",
    }
)
#: What a worker may take before it is stopped (it imports a backend and runs a few calls).
TIMEOUT = 600


@dataclass(frozen=True)
class Check:
    """One comparison on one backend: `ok`, or what differed."""

    backend: str
    name: str
    ok: bool
    detail: str = ""

    def __str__(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        return f"{mark} [{self.backend}] {self.name}" + (
            f": {self.detail}" if self.detail else ""
        )


def prove(
    original: Path,
    regenerated_text: str,
    class_name: str,
    examples: list[dict[str, Any]],
    *,
    backends: list[str],
    target: str = "keras3",
    masking: str = "none",
    training: bool = False,
    workdir: Path,
) -> list[Check]:
    """Run the worker on each backend; every check of every backend, in order."""
    regenerated = workdir / f"klgen_adopted_{original.stem}.py"
    regenerated.write_text(regenerated_text, encoding="utf-8")
    job = {
        "original": str(original.resolve()),
        "regenerated": str(regenerated.resolve()),
        "class_name": class_name,
        "examples": examples,
        "target": target,
        "masking": masking,
        "training": training,
    }
    job_path = workdir / "job.json"
    job_path.write_text(json.dumps(job), encoding="utf-8")
    checks: list[Check] = []
    for backend in backends:
        env = dict(os.environ, KERAS_BACKEND=backend, PYTHONHASHSEED="0")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        if target == "tf-keras":
            # `tensorflow.keras` of a tf-keras layer is tf-keras, not Keras 3.
            env["TF_USE_LEGACY_KERAS"] = "1"
        try:
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "keraslayer_gen.adopt.equivalence",
                    str(job_path),
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                cwd=str(original.resolve().parent),
            )
        except subprocess.TimeoutExpired:
            checks.append(
                Check(backend, "worker", False, f"timed out after {TIMEOUT} s")
            )
            continue
        lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
        if proc.returncode != 0 or not lines:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            checks.append(
                Check(backend, "worker", False, f"exit {proc.returncode}: {tail}")
            )
            continue
        for line in lines:
            data = json.loads(line)
            checks.append(
                Check(backend, data["name"], data["ok"], data.get("detail", ""))
            )
    return checks


# --------------------------------------------------------------------------- the worker


def _emit(name: str, ok: bool, detail: str = "") -> None:
    print(json.dumps({"name": name, "ok": bool(ok), "detail": detail}), flush=True)


def _load(path: str, module_name: str, keras: Any) -> Any:
    """Import a file as `module_name`, then unregister what it registered: both classes
    register the same `package>Name`, which Keras refuses twice."""
    import importlib.util

    objects = keras.saving.get_custom_objects()
    before = set(objects)
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    for key in set(objects) - before:
        objects.pop(key, None)
    return module


def _numpy(value: Any, keras: Any) -> Any:
    import numpy as np

    if value is None:
        return None
    if hasattr(keras, "ops"):
        return np.asarray(keras.ops.convert_to_numpy(value))
    return np.asarray(value)


def _compare(a: Any, b: Any, keras: Any) -> str:
    """'' when equal (within float tolerance), else what differs."""
    import numpy as np

    x, y = _numpy(a, keras), _numpy(b, keras)
    if x is None or y is None:
        return "" if x is None and y is None else f"{x is None=} vs {y is None=}"
    if x.shape != y.shape:
        return f"shapes {x.shape} vs {y.shape}"
    if x.dtype != y.dtype:
        return f"dtypes {x.dtype} vs {y.dtype}"
    if x.dtype == bool or np.issubdtype(x.dtype, np.integer):
        same = np.array_equal(x, y)
    else:
        same = np.allclose(x, y, rtol=1e-6, atol=1e-6, equal_nan=True)
    if same:
        return ""
    diff = np.max(np.abs(x.astype("float64") - y.astype("float64")))
    return f"max abs difference {diff:.3g}"


def _data(example: dict[str, Any]) -> tuple[Any, Any]:
    """The same inputs and padding mask as the generated test (`_data`)."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=example["input_shape"]).astype(example.get("dtype", "float32"))
    if len(example["input_shape"]) < 2:
        return x, None
    mask = np.ones(x.shape[:-1], dtype=bool)
    mask[..., -1] = False
    mask[0, ...] = True
    x[~mask] = 0.0
    return x, mask


def _plain(value: Any) -> bool:
    """A config value compared as is (Keras objects serialise in more than one form)."""
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def _listed(value: Any) -> Any:
    return [_listed(v) for v in value] if isinstance(value, (list, tuple)) else value


def _worker(job_path: str) -> int:
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if job["target"] == "tf-keras":
        import tf_keras as keras  # type: ignore[import-untyped]
    else:
        import keras  # type: ignore[import-untyped]
    sys.path.insert(0, str(Path(job["original"]).parent))
    try:
        original = getattr(
            _load(job["original"], "klgen_original", keras), job["class_name"]
        )
        regenerated = getattr(
            _load(job["regenerated"], "klgen_regenerated", keras), job["class_name"]
        )
    except Exception as exc:  # the user's module: any import error is a failed check
        _emit("import", False, f"{type(exc).__name__}: {exc}")
        return 0
    _emit("import", True)
    for i, example in enumerate(job["examples"]):
        _example(keras, backend, job, original, regenerated, i, example)
    return 0


def _seed(keras: Any, value: int = 1337) -> None:
    if hasattr(keras.utils, "set_random_seed"):
        keras.utils.set_random_seed(value)


def _example(
    keras: Any,
    backend: str,
    job: dict[str, Any],
    original: Any,
    regenerated: Any,
    i: int,
    example: dict[str, Any],
) -> None:
    label = f"example {i}"
    init = example.get("init", {})
    try:
        _seed(keras)
        a = original(**init)
        _seed(keras)
        b = regenerated(**init)
    except Exception as exc:
        _emit(f"{label}: construct", False, f"{type(exc).__name__}: {exc}")
        return
    # Keys of Layer's own constructor are left out: Keras's automatic config of a class
    # without `get_config` adds `autocast` and `activity_regularizer`, which both classes
    # accept back through `**kwargs`.
    keys_a = set(a.get_config()) - _BASE_KEYS
    keys_b = set(b.get_config()) - _BASE_KEYS
    _emit(
        f"{label}: get_config keys",
        keys_a == keys_b,
        (
            ""
            if keys_a == keys_b
            else f"only original: {sorted(keys_a - keys_b)}; "
            f"only regenerated: {sorted(keys_b - keys_a)}"
        ),
    )
    config_a, config_b = a.get_config(), b.get_config()
    differing = [
        key
        for key in sorted(keys_a & keys_b)
        if key != "name"  # each instance gets its own unique name
        and _plain(config_a[key])
        and _plain(config_b[key])
        and _listed(config_a[key]) != _listed(config_b[key])
    ]
    _emit(
        f"{label}: get_config values",
        not differing,
        ", ".join(f"{k}: {config_a[k]!r} vs {config_b[k]!r}" for k in differing),
    )
    x, mask = _data(example)
    shape = tuple(x.shape)
    try:
        a.build(shape)
        b.build(shape)
    except Exception as exc:
        _emit(f"{label}: build", False, f"{type(exc).__name__}: {exc}")
        return
    wa, wb = a.get_weights(), b.get_weights()
    if [w.shape for w in wa] != [w.shape for w in wb]:
        _emit(
            f"{label}: weights",
            False,
            f"original {[w.shape for w in wa]} vs regenerated {[w.shape for w in wb]}",
        )
        return
    b.set_weights(wa)
    names = [w.name.split("/")[-1].split(":")[0] for w in a.weights]
    _emit(f"{label}: weights", True, f"{len(wa)} copied by order ({', '.join(names)})")
    for sa, sb in zip(
        getattr(a, "_seed_generators", []),
        getattr(b, "_seed_generators", []),
        strict=False,
    ):
        sb.state.assign(sa.state)
    masks: list[Any] = [None]
    if job["masking"] != "none" and mask is not None:
        masks.append(mask)
    modes = [False, True] if job["training"] else [None]
    for m in masks:
        for training in modes:
            what = f"{label}: {'training' if training else 'inference'}" + (
                ", masked" if m is not None else ""
            )
            kwargs: dict[str, Any] = {}
            if training is not None:
                kwargs["training"] = training
            if m is not None and job["masking"] in ("consume", "custom"):
                kwargs["mask"] = m  # `call` takes it; a propagating one does not
            try:
                _seed(keras, 7)
                out_a = a(x, **kwargs)
                _seed(keras, 7)
                out_b = b(x, **kwargs)
            except Exception as exc:
                _emit(what, False, f"{type(exc).__name__}: {exc}")
                continue
            diff = _compare(out_a, out_b, keras)
            _emit(what + ": outputs", not diff, diff)
            if m is not None:
                try:
                    ma = a.compute_mask(x, m)
                    mb = b.compute_mask(x, m)
                except Exception as exc:
                    _emit(what + ": output mask", False, f"{type(exc).__name__}: {exc}")
                    ma = mb = None
                else:
                    diff = _compare(ma, mb, keras)
                    _emit(what + ": output mask", not diff, diff)
            if training:
                for k, (va, vb) in enumerate(zip(a.weights, b.weights, strict=True)):
                    diff = _compare(va, vb, keras)
                    if diff:
                        _emit(what + f": weight {k} after the call", False, diff)
                        break
                else:
                    _emit(what + ": weights after the call (state)", True)
            try:
                declared = tuple(b.compute_output_shape(shape))
            except Exception as exc:
                _emit(
                    what + ": compute_output_shape",
                    False,
                    f"{type(exc).__name__}: {exc}",
                )
                continue
            actual = tuple(_numpy(out_a, keras).shape)
            same = tuple(d for d in declared) == actual
            _emit(
                what + ": compute_output_shape",
                same,
                (
                    ""
                    if same
                    else f"regenerated says {declared}, the original gives {actual}"
                ),
            )


if __name__ == "__main__":  # pragma: no cover - run as a worker subprocess
    sys.exit(_worker(sys.argv[1]))
