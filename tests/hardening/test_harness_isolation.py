"""Harness isolation re-verified under load: with every CPU busy, a layer whose import
hangs, one that aborts its process and one that loops forever in `call` are each reported
as a failure of that backend, within the timeout, through `klgen verify --json`.

The harness's own tests show the isolation on a quiet machine; here the same guarantees
must hold when the workers start slowly and the timeouts are tight.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import KLGEN

pytestmark = [pytest.mark.harness, pytest.mark.slow]

TIMEOUT = 10.0
LAYER = '''
"""Multiplies by a constant factor."""

import keras
{imports}

{at_import}


@keras.saving.register_keras_serializable(package="isolation")
class Scale(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
{in_call}
        return inputs * self.factor

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {{**super().get_config(), "factor": self.factor}}
'''
CASES = {
    "import-hangs": {
        "imports": "import time",
        "at_import": "while True:\n    time.sleep(0.1)",
    },
    "call-aborts": {"imports": "import os", "in_call": "os.abort()"},
    "call-loops": {"in_call": "while True:\n    pass"},
}


@pytest.fixture
def cpu_load() -> Iterator[None]:
    """One busy process per CPU for the duration of the test."""
    burners = [
        subprocess.Popen([sys.executable, "-c", "while True:\n    pass"])
        for _ in range(os.cpu_count() or 2)
    ]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def _backend() -> str:
    import importlib.util

    for name in ("jax", "tensorflow", "torch"):
        if importlib.util.find_spec(name) is not None:
            return name
    pytest.skip("no Keras backend is installed")


def _layer(folder: Path, case: str) -> Path:
    parts = {"imports": "", "at_import": "", "in_call": "pass", **CASES[case]}
    parts["in_call"] = textwrap.indent(parts["in_call"], " " * 8)
    path = folder / f"{case.replace('-', '_')}.py"
    path.write_text(LAYER.format(**parts).lstrip(), encoding="utf-8")
    return path


def _verify(path: Path, backend: str) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [
            KLGEN,
            "verify",
            f"{path}:Scale",
            "--input-shape",
            "2,3",
            "--backend",
            backend,
            "--only",
            "build,shapes",
            "--timeout",
            str(TIMEOUT),
            "--json",
        ],
        cwd=path.parent,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,  # a hang guard only: the harness must stop the layer itself
    )
    return done.returncode, json.loads(done.stdout)


def _run_of(report: dict[str, Any]) -> dict[str, Any]:
    (layer,) = report["layers"]
    (run,) = layer["backends"]
    return {"run": run, "results": {r["check"]: r for r in layer["results"]}}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_layer_is_a_failure_under_load(
    case: str, tmp_path: Path, cpu_load: None
) -> None:
    backend = _backend()
    code, report = _verify(_layer(tmp_path, case), backend)
    assert code == 1, report
    seen = _run_of(report)
    text = json.dumps(report)
    if case == "import-hangs":
        assert seen["run"]["status"] == "failed"
        assert f"did not finish within {TIMEOUT:g} s" in seen["run"]["message"]
        assert all(r["status"] == "skip" for r in seen["results"].values())
    elif case == "call-aborts":
        assert seen["results"]["build"]["status"] == "fail"
        assert "SIGABRT" in seen["results"]["build"]["message"]
    else:
        failed = [r for r in seen["results"].values() if r["status"] == "fail"]
        assert failed, text
        assert f"{TIMEOUT:g} s" in failed[0]["message"], failed[0]["message"]
