"""`keraslayer_gen.testing.assert_layer_contract` in workers and in-process."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from keraslayer_gen.testing import assert_layer_contract

from .conftest import SCALE, write_layer

QUICK = ["structure", "config-roundtrip", "build", "shapes", "masking"]


@pytest.mark.harness
def test_a_target_string_runs_in_a_worker(tmp_path: Path, fast_backend: str) -> None:
    path = write_layer(tmp_path, "scale_worker", SCALE)
    report = assert_layer_contract(
        f"{path}:Scale",
        backends=fast_backend,
        only=QUICK,
        input_shape=(2, 4, 3),
        mask=True,
        masking="propagate",
        trainable=0,
        non_trainable=0,
        seed_generators=0,
    )
    layer = report.layers[0]
    assert [b.backend for b in layer.backends] == [fast_backend]
    assert {r.status for r in layer.results} == {"pass"}


@pytest.mark.harness
def test_a_broken_expectation_raises_one_assertion_with_the_report(
    tmp_path: Path, fast_backend: str
) -> None:
    path = write_layer(tmp_path, "scale_wrong", SCALE)
    with pytest.raises(AssertionError) as caught:
        assert_layer_contract(
            str(path),
            backends=[fast_backend],
            only="build",
            input_shape=(2, 3),
            trainable=3,
        )
    text = str(caught.value)
    assert text.startswith("the layer contract does not hold:")
    assert "build() creates 0 trainable weight(s) but 3 are expected" in text


@pytest.mark.backend
def test_in_process_on_the_current_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keras_backend: str
) -> None:
    import keras

    assert keras.backend.backend() == keras_backend
    write_layer(tmp_path, "scale_here", SCALE)
    monkeypatch.syspath_prepend(str(tmp_path))
    scale = importlib.import_module("scale_here").Scale
    report = assert_layer_contract(
        scale,
        input_shape=(2, 4, 3),
        init={"factor": 0.5},
        mask=True,
        masking="propagate",
        training=False,
        skip="gradients",
    )
    layer = report.layers[0]
    assert [b.backend for b in layer.backends] == [keras_backend]  # no worker
    assert layer.backends[0].keras_version == keras.__version__
    assert layer.result("save-load", keras_backend).status == "pass"  # a fresh process
    assert layer.backends[0].observed["trainable"] == 0
    with pytest.raises(AssertionError, match="supports_masking is True"):
        assert_layer_contract(scale, input_shape=(2, 3), masking="none", only="masking")
    assert "scale_here" in sys.modules
