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
