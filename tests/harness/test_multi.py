"""Layers with several inputs, several outputs and call arguments: `klgen verify
FILE:Class --inputs ... --call-args ...` on every installed backend, the same through
`assert_layer_contract(inputs=..., call_args=...)`, defects of such layers named, and
installed keras-hub layers with several inputs or call arguments."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from keraslayer_gen.harness import installed_backends
from keraslayer_gen.testing import assert_layer_contract

HERE = Path(__file__).parent
LAYERS = HERE / "multi_layers.py"
BROKEN = HERE / "multi_broken.py"
STATIC = "structure,config-complete,state-hygiene"


def verify(*args: str, cwd: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "keraslayer_gen.cli", "verify", *args, "--json"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
        timeout=1500,
    )
    assert done.stdout, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def results(report: dict[str, Any]) -> dict[tuple[str, str | None], dict[str, Any]]:
    layer = report["layers"][0]
    return {(r["check"], r["backend"]): r for r in layer["results"]}


def failures(report: dict[str, Any]) -> list[str]:
    return [
        f"{r['check']} [{r['backend']}]: {r['message']}"
        for r in report["layers"][0]["results"]
        if r["status"] == "fail"
    ]


def observed(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["backend"]: b["observed"] for b in report["layers"][0]["backends"]}


CASES = {
    "CrossAttend": [
        "--inputs",
        '{"query": {"shape": [2, 4, 8], "mask": true}, '
        '"value": {"shape": [2, 6, 8], "mask": true}}',
        "--init",
        "{units: 4}",
    ],
    "GatedSum": ["--inputs", "[[2, 3, 4], [2, 3, 4]]"],
    "ScaledHalves": ["--input-shape", "2,5,6"],
    "OffsetPositions": ["--inputs", "[2, 5, 3]", "--call-args", '{"start_index": 2}'],
    "IdEmbedding": [
        "--inputs",
        '{"shape": [2, 6], "dtype": "int32", "min": 1, "max": 9, "padding": 0}',
        "--init",
        "{vocabulary: 10, units: 4}",
    ],
}

#: What each layer shows on every backend (observed, not declared).
OBSERVED = {
    "CrossAttend": {"masking": "propagate", "trainable": 4},
    "GatedSum": {"trainable": 2, "masking": "none"},
    "ScaledHalves": {"trainable": 1},
    "OffsetPositions": {"trainable": 1},
    "IdEmbedding": {"trainable": 1},
}


@pytest.mark.harness
@pytest.mark.parametrize("name", sorted(CASES))
def test_hand_written_layers_verify_on_every_backend(name: str, tmp_path: Path) -> None:
    report = verify(f"{LAYERS}:{name}", *CASES[name], cwd=tmp_path)
    assert report["exit_code"] == 0, failures(report)
    backends = observed(report)
    assert set(backends) == set(installed_backends())
    for backend, seen in backends.items():
        for key, value in OBSERVED[name].items():
            assert seen.get(key) == value, (backend, key, seen)
    ran = results(report)
    assert all(ran[("save-load", b)]["status"] == "pass" for b in backends), failures(
        report
    )


@pytest.mark.backend
def test_assert_layer_contract_takes_inputs_and_call_args(keras_backend: str) -> None:
    spec = importlib.util.spec_from_file_location("klgen_multi_layers", LAYERS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["klgen_multi_layers"] = module
    spec.loader.exec_module(module)
    report = assert_layer_contract(
        module.CrossAttend,
        inputs={"query": {"shape": [2, 4, 8], "mask": True}, "value": [2, 6, 8]},
        masking="propagate",
        only=["build", "shapes", "training", "masking", "mixed-precision"],
    )
    layer = report.layers[0]
    assert layer.backends[0].backend == keras_backend
    assert {r.status for r in layer.results} == {"pass"}
    assert layer.backends[0].observed["trainable"] == 4
    report = assert_layer_contract(
        module.OffsetPositions,
        inputs=[2, 5, 3],
        call_args={"start_index": 3},
        trainable=1,
        only=["build", "shapes", "training", "jit-parity"],
    )
    assert {r.status for r in report.layers[0].results} <= {"pass", "skip"}


@pytest.mark.harness
def test_defects_of_multi_input_layers_are_named(
    tmp_path: Path, fast_backend: str
) -> None:
    leaky = verify(
        f"{BROKEN}:LeakyCross",
        "--inputs",
        '{"query": {"shape": [2, 4, 8], "mask": true}, '
        '"value": {"shape": [2, 6, 8], "mask": true}}',
        "--masking",
        "propagate",
        "--only",
        "masking",
        "--backend",
        fast_backend,
        cwd=tmp_path,
    )
    message = results(leaky)[("masking", fast_backend)]["message"]
    assert message.startswith(
        "changing the values at masked positions changes unmasked outputs"
    ), message
    halves = verify(
        f"{BROKEN}:WrongHalves",
        "--input-shape",
        "2,3,6",
        "--only",
        "shapes",
        "--backend",
        fast_backend,
        cwd=tmp_path,
    )
    message = results(halves)[("shapes", fast_backend)]["message"]
    assert message.startswith(
        "output 1: compute_output_shape((1, 3, 6)) returns (1, 3, 4) but call() "
        "returns (1, 3, 3)"
    ), message
    lazy = verify(
        f"{BROKEN}:LazyGate",
        "--inputs",
        "[[2, 5], [2, 5]]",
        "--only",
        "build",
        "--backend",
        fast_backend,
        cwd=tmp_path,
    )
    message = results(lazy)[("build", fast_backend)]["message"]
    assert "leaves the sub-layer(s) dense unbuilt" in message, message
    assert message.startswith("build([(2, 5), (2, 5)])"), message
    needs = verify(
        f"{BROKEN}:NeedsStart",
        "--input-shape",
        "2,3",
        "--call-args",
        '{"start_index": 1}',
        "--only",
        "build,shapes,training",
        "--backend",
        fast_backend,
        cwd=tmp_path,
    )
    assert needs["exit_code"] == 0, failures(needs)
    missing = verify(
        f"{BROKEN}:NeedsStart",
        "--input-shape",
        "2,3",
        "--only",
        "build",
        "--backend",
        fast_backend,
        cwd=tmp_path,
    )
    message = results(missing)[("build", fast_backend)]["message"]
    assert "start_index" in message, message


@pytest.mark.harness
@pytest.mark.skipif(
    importlib.util.find_spec("keras_hub") is None, reason="keras-hub not installed"
)
def test_keras_hub_layers_with_several_inputs_and_call_args(
    tmp_path: Path, fast_backend: str
) -> None:
    decoder = verify(
        "keras_hub.layers:TransformerDecoder",
        "--init",
        "{intermediate_dim: 16, num_heads: 2}",
        "--inputs",
        '{"decoder_sequence": {"shape": [2, 4, 8], "mask": true}, '
        '"encoder_sequence": {"shape": [2, 6, 8], "mask": true}}',
        "--skip",
        STATIC,
        "--backend",
        fast_backend,
        cwd=tmp_path,
    )
    assert decoder["exit_code"] == 0, failures(decoder)
    assert {s["masking"] for s in observed(decoder).values()} == {"propagate"}
    rotary = verify(
        "keras_hub.layers:RotaryEmbedding",
        "--inputs",
        "[2, 6, 8]",
        "--call-args",
        '{"start_index": 2}',
        "--skip",
        STATIC,
        "--backend",
        fast_backend,
        cwd=tmp_path,
    )
    assert rotary["exit_code"] == 0, failures(rotary)
    assert {s["trainable"] for s in observed(rotary).values()} == {0}
