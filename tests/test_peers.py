"""Keras's own layers under the harness: correct layers, honestly declared, must pass.

Keras's `Dense`, `Dropout`, `BatchNormalization`, `GroupNormalization`,
`GlobalAveragePooling1D` and `Masking` are verified with the other peer layers, in one run
(`tests/test_peer_verify.py`, declared in `tests/peers/layers.py`). A peer that fails a
check is either a harness false alarm (a bug to fix in klgen) or a real defect of Keras;
the defects are in `PEER_KNOWN` with the words their message must contain, explained in the
Known issues of README.md and shown with plain Keras here. A known issue that stops failing
fails the run's test, so the list stays true.
"""

from __future__ import annotations

import pytest

from tests.corpus._verify import installed_backends, run_verify, table, verify_argv
from tests.peers.layers import PEER_KNOWN, PEER_LAYERS


@pytest.mark.backend
def test_group_normalization_counts_padded_steps() -> None:
    """GroupNormalization sets supports_masking, but its group statistics include the
    padded steps, so padding changes the normalised values of the real ones (the
    `masking` failure in PEER_KNOWN)."""
    import numpy as np

    keras = pytest.importorskip("keras")
    assert "masking" in PEER_KNOWN["keras.layers:GroupNormalization"]
    rng = np.random.default_rng(0)
    short = rng.normal(size=(1, 3, 4)).astype("float32")
    padded = np.concatenate([short, np.zeros((1, 3, 4), "float32")], axis=1)
    inputs = keras.Input((None, 4))
    layer = keras.layers.GroupNormalization(groups=2)
    model = keras.Model(inputs, layer(keras.layers.Masking(0.0)(inputs)))
    assert layer.supports_masking
    moved = keras.ops.convert_to_numpy(model(short)[0] - model(padded)[0, :3])
    assert np.abs(moved).max() > 0.1
    # LayerNormalization normalises each step on its own: the padding does not move it.
    norm = keras.Model(inputs, keras.layers.LayerNormalization()(inputs))
    same = keras.ops.convert_to_numpy(norm(short)[0] - norm(padded)[0, :3])
    assert np.abs(same).max() < 1e-5


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
        "keras.layers:BatchNormalization",
        PEER_LAYERS["keras.layers:BatchNormalization"],
        backends,
    ) + ["--only", "distributed"]
    layer = run_verify(argv)
    report = table(layer)
    results = {r["backend"]: r for r in layer["results"] if r["check"] == "distributed"}
    assert results["tensorflow"]["status"] == "fail", report
    message = results["tensorflow"]["message"]
    assert "moving_" in message and "replicas" in message, report
    if "jax" in results:
        assert results["jax"]["status"] == "pass", report
