"""`klgen verify` calibrated on real Keras 3 patterns (issue 14): the false alarms it
used to raise are gone, and the defects it mis-explained are named by their cause.

Each test runs `klgen verify --json` on small layers (tests/corpus/_calibration.py, and
corpus members whose report a test reads beyond their own check). Harness runs: marked
`harness`; about a minute in all on two cores.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.corpus._verify import installed_backends, run_verify, table, verify_argv

pytestmark = pytest.mark.harness

LAYERS = "tests/corpus/_calibration.py"


def _backends(*wanted: str) -> list[str]:
    found = [b for b in wanted if b in installed_backends()]
    if not found:
        pytest.skip(f"none of {', '.join(wanted)} is installed")
    return found


def _verify(target: str, backends: list[str], **expect: Any) -> dict[str, Any]:
    expect = {"input_shape": (3, 5), "init": {}, **expect}
    argv = verify_argv(target, expect, backends)
    for key in ("output_dtype",):
        if key in expect:
            argv += [f"--{key.replace('_', '-')}", str(expect[key])]
    return run_verify(argv)


def _results(layer: dict[str, Any], check: str) -> list[dict[str, Any]]:
    return [r for r in layer["results"] if r["check"] == check]


def test_unnamed_weights_of_one_shape_pass_build() -> None:
    layer = _verify(f"{LAYERS}:TwinScales", _backends("jax", "torch"))
    assert layer["exit_code"] == 0, table(layer)


def test_no_compute_output_shape_compares_symbolic_and_eager() -> None:
    backends = _backends("jax", "torch")
    layer = _verify(f"{LAYERS}:NoOutputShape", backends)
    assert layer["exit_code"] == 0, table(layer)
    for result in _results(layer, "shapes"):
        assert result["status"] == "pass"
        assert any("gives (3, 2)" in note for note in result["notes"]), result


def test_a_cast_layer_declares_its_output_dtype() -> None:
    backends = _backends("jax")
    undeclared = _verify(f"{LAYERS}:CastToFloat32", backends)
    [mixed] = _results(undeclared, "mixed-precision")
    assert mixed["status"] == "fail" and "--output-dtype float32" in mixed["message"]
    declared = _verify(f"{LAYERS}:CastToFloat32", backends, output_dtype="float32")
    assert declared["exit_code"] == 0, table(declared)


def test_torch_float32_symbolic_output_is_keras_s_not_the_layer_s() -> None:
    layer = _verify(f"{LAYERS}:SubDense", _backends("torch"), init={"units": 3})
    assert layer["exit_code"] == 0, table(layer)
    [mixed] = _results(layer, "mixed-precision")
    assert any("Keras's torch backend" in note for note in mixed["notes"]), mixed


def test_gradients_count_weights_after_a_call() -> None:
    """build() leaves the Dense unbuilt: `build` says so, and `gradients` still runs
    (the weights exist after a call) instead of skipping "no trainable weights"."""
    layer = _verify(
        "tests/corpus/build_skips_sublayers.py:Broken",
        _backends("jax"),
        init={"units": 4},
    )
    [build] = _results(layer, "build")
    assert (
        build["status"] == "fail"
        and "build the sub-layers in build" in build["message"]
    )
    [gradients] = _results(layer, "gradients")
    assert gradients["status"] == "pass", table(layer)
    [save] = _results(layer, "save-load")
    assert "build the sub-layers in build" in save["message"], table(layer)


def test_save_load_of_an_unregistered_class_names_the_cause() -> None:
    layer = _verify(
        "tests/corpus/unregistered.py:Broken", _backends("jax"), init={"units": 4}
    )
    [save] = _results(layer, "save-load")
    assert save["status"] == "fail"
    assert "could not locate" in save["message"].lower(), save["message"]
    assert "rebuild from its config" not in save["message"]


def test_one_failed_fit_is_reported_once() -> None:
    """On JAX, fit refuses an unseeded keras.random call: `training` reports the failed
    fit step; the later checks that need it skip and name that check, instead of
    reporting "predict() raises" on a model the failed fit left broken."""
    layer = _verify(
        "tests/corpus/random_without_seed_generator.py:Broken",
        _backends("jax"),
        init={"stddev": 0.5, "seed": 3},
    )
    [training] = _results(layer, "training")
    assert training["status"] == "fail", table(layer)
    for check in ("state", "gradients", "jit-parity", "save-load"):
        [result] = _results(layer, check)
        assert "predict() raises" not in result["message"], table(layer)
        if result["status"] == "skip" and "fit step" in result["message"]:
            assert "as the training check reports" in result["message"], table(layer)
