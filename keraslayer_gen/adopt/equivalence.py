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

from keraslayer_gen.lint.config_keys import BASE_KEYS

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
    training: bool | str = False,
    inputs: dict[str, dict[str, Any]] | None = None,
    input_list: bool = False,
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
        "inputs": inputs,
        "input_list": input_list,
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
    return _tensor(
        example["input_shape"],
        example.get("dtype", "float32"),
        example.get("min"),
        example.get("max"),
        example.get("padding"),
        0,
    )


def _tensor(
    shape: list[int],
    dtype: str,
    low: float | None,
    high: float | None,
    padding: float | None,
    seed: int,
) -> tuple[Any, Any]:
    """One input tensor and its padding mask (None below rank 2): normal floats, or
    integers drawn from `low..high`; the last step of each row but the first padded."""
    import numpy as np

    rng = np.random.default_rng(seed)
    if dtype.startswith(("float", "bfloat")):
        x = rng.normal(size=shape).astype("float32" if dtype == "bfloat16" else dtype)
        if low is not None or high is not None:
            lo = low if low is not None else (high or 0.0) - 1.0
            hi = high if high is not None else lo + 1.0
            x = rng.uniform(lo, hi, size=shape).astype(x.dtype)
    elif dtype == "bool":
        x = rng.integers(0, 2, size=shape).astype(bool)
    else:
        lo = int(low) if low is not None else 1
        hi = int(high) if high is not None else 9
        x = rng.integers(lo, hi + 1, size=shape).astype(dtype)
    if len(shape) < 2:
        return x, None
    # float features: one mask entry per step; integer ids: one per id
    mask = np.ones(x.shape[:-1] if x.dtype.kind == "f" else x.shape, dtype=bool)
    mask[..., -1] = False
    mask[0, ...] = True
    if padding is not None:
        x[~mask] = padding
    elif x.dtype.kind == "f":
        x[~mask] = 0.0
    return x, mask


def _example_tensors(
    example: dict[str, Any], decls: dict[str, dict[str, Any]]
) -> list[tuple[str, Any, Any]]:
    """(name, tensor, mask or None) per declared input of the example."""
    out = []
    for i, (name, decl) in enumerate(decls.items()):
        given = (example.get("inputs") or {}).get(name)
        if given is None:
            if decl.get("optional"):
                continue
            raise ValueError(f"the example has no tensor for input `{name}`")
        if isinstance(given, list):
            given = {"shape": given}
        x, mask = _tensor(
            given["shape"],
            given.get("dtype") or decl.get("dtype") or "float32",
            given.get("min"),
            given.get("max"),
            given.get("padding"),
            i,
        )
        out.append((name, x, mask if given.get("mask") else None))
    return out


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
    keys_a = set(a.get_config()) - BASE_KEYS
    keys_b = set(b.get_config()) - BASE_KEYS
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
    try:
        call = _Call(job, example)
    except Exception as exc:
        _emit(f"{label}: inputs", False, f"{type(exc).__name__}: {exc}")
        return
    try:
        call.build(a)
        call.build(b)
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
    modes = [False, True] if job["training"] else [None]
    for masked in call.mask_modes():
        for training in modes:
            what = f"{label}: {'training' if training else 'inference'}" + (
                ", masked" if masked else ""
            )
            try:
                _seed(keras, 7)
                out_a = call(a, masked, training)
                _seed(keras, 7)
                out_b = call(b, masked, training)
            except Exception as exc:
                _emit(what, False, f"{type(exc).__name__}: {exc}")
                continue
            parts_a, parts_b = _parts(out_a), _parts(out_b)
            if len(parts_a) != len(parts_b):
                _emit(
                    what + ": outputs",
                    False,
                    f"{len(parts_a)} outputs vs {len(parts_b)}",
                )
                continue
            for k, (pa, pb) in enumerate(zip(parts_a, parts_b, strict=True)):
                diff = _compare(pa, pb, keras)
                name = ": outputs" if len(parts_a) == 1 else f": output {k}"
                _emit(what + name, not diff, diff)
            if masked:
                _output_masks(keras, call, a, b, len(parts_a), what)
            if training:
                for k, (va, vb) in enumerate(zip(a.weights, b.weights, strict=True)):
                    diff = _compare(va, vb, keras)
                    if diff:
                        _emit(what + f": weight {k} after the call", False, diff)
                        break
                else:
                    _emit(what + ": weights after the call (state)", True)
            try:
                declared = _parts(call.output_shape(b), shapes=True)
            except Exception as exc:
                _emit(
                    what + ": compute_output_shape",
                    False,
                    f"{type(exc).__name__}: {exc}",
                )
                continue
            actual = [tuple(_numpy(p, keras).shape) for p in parts_a]
            same = [tuple(d) for d in declared] == actual
            _emit(
                what + ": compute_output_shape",
                same,
                (
                    ""
                    if same
                    else f"regenerated says {declared}, the original gives {actual}"
                ),
            )


def _parts(value: Any, shapes: bool = False) -> list[Any]:
    """The outputs (or output shapes) as a list: one, or each of a tuple."""
    if isinstance(value, (tuple, list)) and (
        not shapes or (value and isinstance(value[0], (tuple, list)))
    ):
        return list(value)
    return [value]


def _output_masks(
    keras: Any,
    call: _Call,
    a: Any,
    b: Any,
    parts: int,
    what: str,
) -> None:
    """`compute_mask` of both, as Keras calls it after `call`: on the first tensor
    argument and its mask (the list and its masks for a list input)."""
    tensors = [x for _, x, _ in call.tensors]
    masks = [m for _, _, m in call.tensors]
    first, mask = (tensors, masks) if call.input_list else (tensors[0], masks[0])
    try:
        ma = a.compute_mask(first, mask)
        mb = b.compute_mask(first, mask)
    except Exception as exc:
        _emit(what + ": output mask", False, f"{type(exc).__name__}: {exc}")
        return
    pa = _parts(ma) if parts > 1 else [ma]
    pb = _parts(mb) if parts > 1 else [mb]
    if len(pa) < parts:
        pa += [None] * (parts - len(pa))  # Keras masks the first outputs only
    if len(pb) < parts:
        pb += [None] * (parts - len(pb))
    for k, (x, y) in enumerate(zip(pa, pb, strict=True)):
        diff = _compare(x, y, keras)
        name = ": output mask" if parts == 1 else f": output mask {k}"
        _emit(what + name, not diff, diff)


class _Call:
    """How the layer is called on one example: one tensor, several tensor arguments,
    or one list; masks per input; the example's call arguments."""

    def __init__(self, job: dict[str, Any], example: dict[str, Any]) -> None:
        self.masking = job["masking"]
        self.input_list = bool(job.get("input_list"))
        self.call_args = dict(example.get("call_args") or {})
        decls = job.get("inputs")
        if decls:
            self.tensors = _example_tensors(example, decls)
            self.single = len(decls) == 1 and not self.input_list
        else:
            x, mask = _data(example)
            self.tensors = [("inputs", x, mask)]
            self.single = True
        self.takes_mask = self.masking in ("consume", "custom", "use")

    def mask_modes(self) -> list[bool]:
        modes = [False]
        if self.masking != "none" and any(m is not None for _, _, m in self.tensors):
            modes.append(True)
        return modes

    def shapes(self) -> list[tuple[int, ...]]:
        return [tuple(x.shape) for _, x, _ in self.tensors]

    def build(self, layer: Any) -> None:
        """`build` as Keras calls it, then one inference call (sub-layers that `build`
        leaves to the first call are built too), so that every weight exists."""
        shapes = self.shapes()
        if self.single:
            layer.build(shapes[0])
        elif self.input_list:
            layer.build(shapes)
        else:
            names = [name for name, _, _ in self.tensors]
            layer.build(**{f"{n}_shape": s for n, s in zip(names, shapes, strict=True)})
        self(layer, False, False if "training" in _params(layer) else None)

    def output_shape(self, layer: Any) -> Any:
        shapes = self.shapes()
        if self.single:
            return layer.compute_output_shape(shapes[0])
        if self.input_list:
            return layer.compute_output_shape(shapes)
        return layer.compute_output_shape(*shapes)

    def __call__(self, layer: Any, masked: bool, training: bool | None) -> Any:
        kwargs: dict[str, Any] = dict(self.call_args)
        if training is not None:
            kwargs["training"] = training
        masks = [m if masked else None for _, _, m in self.tensors]
        tensors = [x for _, x, _ in self.tensors]
        if self.single:
            if masked and masks[0] is not None and self.takes_mask:
                kwargs["mask"] = masks[0]  # `call` takes it; a propagating one does not
            return layer(tensors[0], **kwargs)
        if self.input_list:
            if masked and "mask" in _params(layer):
                kwargs["mask"] = masks
            return layer(tensors, **kwargs)
        params = _params(layer)
        first, *rest = self.tensors
        for name, x, _ in rest:
            kwargs[name] = x
        for (name, _, _), m in zip(self.tensors, masks, strict=True):
            if m is not None and f"{name}_mask" in params:
                kwargs[f"{name}_mask"] = m
        return layer(first[1], **kwargs)


def _params(layer: Any) -> set[str]:
    import inspect

    return set(inspect.signature(layer.call).parameters)


if __name__ == "__main__":  # pragma: no cover - run as a worker subprocess
    sys.exit(_worker(sys.argv[1]))
