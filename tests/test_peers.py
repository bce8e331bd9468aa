"""The harness on Keras's own layers: correct layers, honestly declared, must pass.

Each peer is verified as a user would (`klgen verify keras.layers:Dense ...`) on every
installed backend, with the contract Keras documents for it. A peer that fails a check
is either a harness false alarm (a bug to fix in klgen) or a real defect of Keras; the
latter are listed in `KNOWN` with the words their message must contain, and explained in
the Known issues of README.md. A known issue that stops failing fails this test, so the list
stays true.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.corpus import BACKENDS
from tests.corpus._verify import (
    ReportPool,
    installed_backends,
    legit_skip,
    run_verify,
    table,
    verify_argv,
)

PEERS: dict[str, dict[str, Any]] = {
    "Dense": {
        "input_shape": (3, 5),
        "init": {"units": 4},
        "output_shape": (3, 4),
        # Dense.call takes `training` (for LoRA/quantization) but does not depend on it.
        "training": False,
        "masking": "propagate",
        "mask": True,
        "trainable": 2,
        "non_trainable": 0,
        "seed_generators": 0,
    },
    "Dropout": {
        "input_shape": (3, 6, 4),
        "init": {"rate": 0.5, "seed": 1},
        "training": True,
        "stochastic": True,
        "masking": "propagate",
        "mask": True,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 1,
    },
    "BatchNormalization": {
        "input_shape": (3, 6, 4),
        "init": {},
        "training": True,
        "stochastic": False,
        "state": ("moving_mean", "moving_variance"),
        # call(inputs, training=None, mask=None): masked steps are left out of the
        # batch statistics, and the mask passes through.
        "masking": "propagate",
        "mask": True,
        "trainable": 2,
        "non_trainable": 2,
        "seed_generators": 0,
    },
    "GroupNormalization": {
        "input_shape": (3, 6, 4),
        "init": {"groups": 2},
        "training": False,
        "masking": "propagate",
        "mask": True,
        "trainable": 2,
        "non_trainable": 0,
        "seed_generators": 0,
    },
    "GlobalAveragePooling1D": {
        "input_shape": (3, 6, 4),
        "init": {},
        "output_shape": (3, 4),
        "training": False,
        "masking": "consume",
        "mask": True,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 0,
    },
    "Masking": {
        "input_shape": (3, 6, 4),
        "init": {"mask_value": 0.0},
        "training": False,
        "masking": "custom",
        "mask": True,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 0,
    },
}

#: Real defects of Keras 3.15 that the harness rightly reports (the Known issues of README.md):
#: peer -> {check: words its failure message must contain}.
KNOWN: dict[str, dict[str, tuple[str, ...]]] = {
    # supports_masking is True, but the group statistics include the padded steps.
    "GroupNormalization": {"masking": ("masked positions",)},
}


def _backends() -> list[str]:
    return [b for b in BACKENDS if b in installed_backends()]


def _argv(name: str) -> list[str]:
    return verify_argv(f"keras.layers:{name}", PEERS[name], _backends())


@pytest.fixture(scope="module")
def peer_reports(request: pytest.FixtureRequest) -> Iterator[ReportPool]:
    """Starts every selected peer's harness run at once."""
    pool = ReportPool()
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if item.module is request.module and callspec is not None and _backends():
            name = callspec.params["name"]
            pool.submit(name, _argv(name))
    yield pool
    pool.close()


@pytest.mark.harness
@pytest.mark.parametrize("name", sorted(PEERS))
def test_keras_layer_passes_the_contract(name: str, peer_reports: ReportPool) -> None:
    if not _backends():
        pytest.skip("no Keras backend is installed")
    layer = peer_reports.get(name, _argv(name))
    report = table(layer)
    assert layer["error"] is None, layer["error"]
    assert [b["backend"] for b in layer["backends"]] == _backends()
    assert all(b["status"] == "ok" for b in layer["backends"]), layer["backends"]
    known = KNOWN.get(name, {})
    for result in layer["results"]:
        words = known.get(result["check"])
        if words is None:
            assert result["status"] == "pass" or legit_skip(result), (
                f"keras.layers.{name} fails {result['check']} on "
                f"{result['backend'] or 'static'}:\n{report}"
            )
        elif result["status"] != "skip":
            assert result["status"] == "fail", (
                f"known issue of {name} no longer shows: update the Known issues of README.md\n"
                f"{report}"
            )
            missing = [w for w in words if w.lower() not in result["message"].lower()]
            assert not missing, report
    # Every check the expectations make meaningful really ran somewhere.
    ran = {r["check"] for r in layer["results"] if r["status"] in ("pass", "fail")}
    assert {"config-roundtrip", "build", "shapes", "training", "masking"} <= ran, report
    if PEERS[name].get("state"):
        assert "state" in ran, report
    if PEERS[name]["trainable"]:
        assert "gradients" in ran, report


@pytest.mark.harness
@pytest.mark.slow
def test_batch_normalization_statistics_drift_across_replicas() -> None:
    """Keras 3's BatchNormalization keeps per-replica moving statistics under
    MirroredStrategy (aggregation "none"); DataParallel on JAX updates them from the
    global batch. the Known issues of README.md."""
    backends = [b for b in ("tensorflow", "jax") if b in installed_backends()]
    if "tensorflow" not in backends:
        pytest.skip("TensorFlow is not installed")
    argv = verify_argv(
        "keras.layers:BatchNormalization", PEERS["BatchNormalization"], backends
    ) + ["--only", "distributed"]
    layer = run_verify(argv)
    report = table(layer)
    results = {r["backend"]: r for r in layer["results"] if r["check"] == "distributed"}
    assert results["tensorflow"]["status"] == "fail", report
    message = results["tensorflow"]["message"]
    assert "moving_" in message and "replicas" in message, report
    if "jax" in results:
        assert results["jax"]["status"] == "pass", report
