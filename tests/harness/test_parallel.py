"""One worker per backend serves every layer of a call; backends run side by side (-j);
a spec and its generated file are one target; `--shard`; generated tests under xdist."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from keraslayer_gen.harness import (
    expectations_for,
    installed_backends,
    resolve_target,
    verify,
)

from .conftest import SCALE, broken_call, write_layer

KLGEN = [sys.executable, "-m", "keraslayer_gen.cli"]


def klgen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KLGEN, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=1800,
    )


def _two(tmp_path: Path, first: str = SCALE) -> None:
    write_layer(tmp_path, "first", first.replace("class Scale", "class First"))
    write_layer(tmp_path, "second", SCALE.replace("class Scale", "class Second"))


@pytest.mark.harness
def test_one_worker_serves_every_layer_of_a_call(
    tmp_path: Path, fast_backend: str
) -> None:
    _two(tmp_path)
    done = klgen(
        "verify",
        "first.py",
        "second.py",
        "--input-shape",
        "2,3",
        "--backend",
        fast_backend,
        "--only",
        "build,shapes,save-load",
        "--json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert [layer["class"] for layer in report["layers"]] == ["First", "Second"]
    # Keras was imported once: by the first layer's run, not the second's
    assert done.stderr.count("imported in") == 1, done.stderr
    first, second = (layer["backends"][0] for layer in report["layers"])
    assert second["import_seconds"] < first["import_seconds"] / 2
    assert all(
        r["status"] == "pass" for layer in report["layers"] for r in layer["results"]
    )


@pytest.mark.harness
def test_a_layer_that_kills_its_worker_does_not_stop_the_layers_after_it(
    tmp_path: Path, fast_backend: str
) -> None:
    _two(tmp_path, broken_call("os.abort()\n", "import os"))
    done = klgen(
        "verify",
        "first.py",
        "second.py",
        "--input-shape",
        "2,3",
        "--backend",
        fast_backend,
        "--only",
        "build,shapes",
        "--json",
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    first, second = json.loads(done.stdout)["layers"]
    assert first["results"][0]["status"] == "fail"
    assert "killed by SIGABRT" in first["results"][0]["message"]
    assert [r["status"] for r in second["results"]] == ["pass", "pass"]
    assert done.stderr.count("imported in") == 2  # a fresh worker took the second layer


def test_a_spec_and_its_file_are_one_target(tmp_path: Path) -> None:
    done = klgen(
        "new",
        "--example",
        "dense",
        "--out",
        str(tmp_path),
        "--save-spec",
        str(tmp_path / "dense.klgen.yaml"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    done = klgen(
        "verify",
        "dense.klgen.yaml",
        "dense.py",
        "--only",
        "structure",
        "--json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(json.loads(done.stdout)["layers"]) == 1


def test_shards_of_a_cli_run_split_the_targets(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        write_layer(tmp_path, name, SCALE.replace("class Scale", f"class L{name}"))
    classes = []
    for part in ("1/2", "2/2"):
        done = klgen(
            "verify",
            "a.py",
            "b.py",
            "c.py",
            "--input-shape",
            "2,3",
            "--only",
            "structure",
            "--shard",
            part,
            "--json",
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        classes.append([layer["class"] for layer in json.loads(done.stdout)["layers"]])
    assert classes == [["La", "Lc"], ["Lb"]]
    done = klgen("verify", "a.py", "--shard", "2/1", cwd=tmp_path)
    assert done.returncode == 2 and "--shard 2/1: expected 1 <= I <= N" in done.stderr


def _events(
    backends: list[str], jobs: int, tmp_path: Path
) -> list[tuple[float, str, str]]:
    path = write_layer(tmp_path, "scale", SCALE)
    seen: list[tuple[float, str, str]] = []

    def listener(event: dict[str, Any]) -> None:
        seen.append((time.perf_counter(), event["backend"], event["kind"]))

    report = verify(
        [(resolve_target(str(path)), expectations_for([(2, 3)]))],
        backends=backends,
        checks=["build"],
        listener=listener,
        jobs=jobs,
    )
    assert report.exit_code == 0, report.render()
    return seen


@pytest.mark.harness
@pytest.mark.slow
def test_backends_run_side_by_side_and_jobs_bounds_them(tmp_path: Path) -> None:
    backends = [b for b in ("jax", "torch", "tensorflow") if b in installed_backends()][
        :2
    ]
    if len(backends) < 2:
        pytest.skip("needs two backends")
    events = _events(backends, 2, tmp_path)
    started = [t for t, _, kind in events if kind == "worker"]
    finished = [t for t, _, kind in events if kind == "layer-done"]
    assert len(started) == 2 and max(started) < min(finished)  # both ran at once
    events = _events(backends, 1, tmp_path)
    started = sorted(t for t, _, kind in events if kind == "worker")
    finished = sorted(t for t, _, kind in events if kind == "layer-done")
    assert started[1] >= finished[0]  # -j 1: one after the other


@pytest.mark.harness
@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("xdist") is None,
    reason="pytest-xdist is not installed (the test extra has it)",
)
def test_generated_tests_pass_under_pytest_xdist(
    tmp_path: Path, fast_backend: str
) -> None:
    for example in ("dense", "decaying-dropout"):
        done = klgen("new", "--example", example, "--out", str(tmp_path), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "test_dense.py",
            "test_decaying_dropout.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "KERAS_BACKEND": fast_backend},
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "bringing up nodes" in done.stdout and " passed" in done.stdout


# One reload process serves every layer of a worker, and forgets each layer before the next.

_HELPER = """
import keras


@keras.saving.register_keras_serializable(package="iso")
class Helper(keras.layers.Layer):
    def call(self, inputs):
        return inputs * 3.0
"""

_SAVE = """
import sys

import keras
import numpy as np

sys.path.insert(0, sys.argv[1])
import helper  # noqa: E402

out = sys.argv[1]
x = np.arange(6, dtype="float32").reshape(2, 3)
keras.Sequential([keras.Input((3,)), helper.Helper()]).save(f"{out}/helper.keras")
np.savez(f"{out}/one.npz", x=x)
a, b = keras.Input((3,)), keras.Input((3,))
pair = [keras.layers.Add()([a, b]), keras.layers.Subtract()([a, b])]
keras.Model([a, b], pair).save(f"{out}/pair.keras")
p, q = keras.Input((3,), name="p"), keras.Input((3,), name="q")
by_name = keras.Model({"p": p, "q": q}, keras.layers.Subtract()([p, q]))
by_name.save(f"{out}/by_name.keras")
np.savez(f"{out}/two.npz", x0=x, x1=x * 10)
"""


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory: pytest.TempPathFactory, fast_backend: str) -> Path:
    """`helper.keras` needs the class `iso>Helper`, which only `helper.py` registers;
    `unrelated.py` registers a layer of its own; two models of several inputs."""
    folder = tmp_path_factory.mktemp("reload")
    write_layer(folder, "helper", _HELPER)
    write_layer(folder, "unrelated", SCALE)
    (folder / "save.py").write_text(_SAVE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(folder / "save.py"), str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "KERAS_BACKEND": fast_backend},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return folder


def _reloader(folder: Path, module: str, backend: str) -> Any:
    from keraslayer_gen.harness.worker.checks.saving import Reloader

    return Reloader(module, [str(folder)], backend, "keras", shared=True)


def _load(reloader: Any, folder: Path, model: str, inputs: str, **job: Any) -> Any:
    out = folder / f"out-{model}-{reloader.module}-{time.monotonic_ns()}.npz"
    answer = reloader.load(
        {
            "model": str(folder / f"{model}.keras"),
            "inputs": str(folder / f"{inputs}.npz"),
            "out": str(out),
            **job,
        }
    )
    return answer, out


@pytest.mark.harness
def test_a_shared_reload_process_forgets_the_layers_before(
    saved_models: Path, fast_backend: str
) -> None:
    import numpy as np

    folder = saved_models
    shared = _reloader(folder, "helper", fast_backend)
    fresh = _reloader(folder, "unrelated", fast_backend)
    try:
        answer, out = _load(shared, folder, "helper", "one")
        assert answer == {"ok": True}
        with np.load(out) as data:
            assert np.allclose(data["predicted"], np.arange(6).reshape(2, 3) * 3.0)
        # the next layer's module does not register iso>Helper: the model must not load,
        # exactly as in a process that never imported helper.py
        shared.serve("unrelated", [str(folder)])
        again, _ = _load(shared, folder, "helper", "one")
        alone, _ = _load(fresh, folder, "helper", "one")
        assert not again["ok"] and not alone["ok"]
        assert "iso>Helper" in again["error"]
        assert again["error"] == alone["error"]
        # and the layer that registers it loads again after that (imported afresh)
        shared.serve("helper", [str(folder)])
        assert _load(shared, folder, "helper", "one")[0] == {"ok": True}
        assert shared.process.pid != fresh.process.pid and shared.alive
    finally:
        shared.close(force=True)
        fresh.close(force=True)


@pytest.mark.harness
def test_the_reload_process_takes_several_inputs_and_outputs(
    saved_models: Path, fast_backend: str
) -> None:
    import numpy as np

    folder = saved_models
    reloader = _reloader(folder, "unrelated", fast_backend)
    x = np.arange(6, dtype="float32").reshape(2, 3)
    try:
        answer, out = _load(reloader, folder, "pair", "two", input_list=True)
        assert answer == {"ok": True}
        with np.load(out) as data:
            assert "predicted" not in data.files
            assert np.allclose(data["predicted0"], x + x * 10)
            assert np.allclose(data["predicted1"], x - x * 10)
        # a model whose inputs are a dict is called by the job's input names
        answer, out = _load(
            reloader, folder, "by_name", "two", input_list=False, input_names=["q", "p"]
        )
        assert answer == {"ok": True}
        with np.load(out) as data:
            assert np.allclose(data["predicted"], x * 10 - x)  # p = x1, q = x0
    finally:
        reloader.close(force=True)
