"""Layers that hang, loop or kill their process: failures of that backend, within the timeout."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from keraslayer_gen.harness import expectations_for, resolve_target, verify

from .conftest import SCALE, broken_call, write_layer

pytestmark = pytest.mark.harness
TIMEOUT = 8.0


def run(path: Path, backend: str, only: list[str], timeout: float = TIMEOUT):  # type: ignore[no-untyped-def]
    target = resolve_target(str(path))
    expectations = expectations_for([(2, 3)])
    started = time.perf_counter()
    report = verify(
        [(target, expectations)], backends=[backend], checks=only, timeout=timeout
    )
    return report, report.layers[0], time.perf_counter() - started


def test_a_layer_whose_import_hangs_fails_that_backend(
    tmp_path: Path, fast_backend: str
) -> None:
    path = write_layer(
        tmp_path, "hangs", "import time\nwhile True:\n    time.sleep(0.1)\n" + SCALE
    )
    report, layer, seconds = run(path, fast_backend, ["build", "shapes"])
    assert report.exit_code == 1
    run_ = layer.backends[0]
    assert run_.status == "failed"
    assert f"importing the layer did not finish within {TIMEOUT:g} s" in run_.message
    assert (
        "hangs.py:3 in <module>" in run_.message
    )  # faulthandler's stack names the line
    assert [r.status for r in layer.results] == ["skip", "skip"]
    assert all(r.message.startswith("not run") for r in layer.results)
    assert seconds < 120


def test_os_abort_in_call_fails_the_running_check(
    tmp_path: Path, fast_backend: str
) -> None:
    path = write_layer(tmp_path, "aborts", broken_call("os.abort()\n", "import os"))
    report, layer, _ = run(path, fast_backend, ["config-roundtrip", "build", "shapes"])
    assert report.exit_code == 1
    by_check = {r.check: r for r in layer.results}
    assert by_check["config-roundtrip"].status == "pass"  # no call there
    failed = by_check["build"]
    assert failed.status == "fail"
    assert (
        "killed by SIGABRT" in failed.message
        and "during the build check" in failed.message
    )
    assert "aborts.py" in failed.message and "in call" in failed.message
    assert by_check["shapes"].status == "skip"
    assert by_check["shapes"].message.startswith("not run")


def test_an_endless_loop_in_call_is_stopped_at_the_timeout(
    tmp_path: Path, fast_backend: str
) -> None:
    path = write_layer(tmp_path, "loops", broken_call("while True:\n    pass\n"))
    report, layer, _ = run(path, fast_backend, ["shapes", "masking"], timeout=5)
    assert report.exit_code == 1
    shapes = layer.result("shapes", fast_backend)
    assert shapes is not None and shapes.status == "fail"
    assert "the shapes check did not finish within 5 s" in shapes.message
    assert "loops.py" in shapes.message and "in call" in shapes.message
    masking = layer.result("masking", fast_backend)
    assert masking is not None and masking.status == "skip"


def test_sys_exit_in_call_is_a_check_failure_not_the_end(
    tmp_path: Path, fast_backend: str
) -> None:
    path = write_layer(tmp_path, "exits", broken_call("sys.exit(3)\n", "import sys"))
    report, layer, _ = run(path, fast_backend, ["build", "masking"])
    assert report.exit_code == 1
    build = layer.result("build", fast_backend)
    assert build is not None and build.status == "fail"
    assert "calls sys.exit(3)" in build.message
    masking = layer.result("masking", fast_backend)  # the worker went on
    assert masking is not None and not masking.message.startswith("not run")


def test_an_import_error_is_a_load_error_exit_2(
    tmp_path: Path, fast_backend: str
) -> None:
    path = write_layer(tmp_path, "missing", "import no_such_module_klgen\n" + SCALE)
    report, layer, _ = run(path, fast_backend, ["build"])
    assert report.exit_code == 2
    assert layer.error is not None
    assert "importing missing raises ModuleNotFoundError" in layer.error
    assert "no_such_module_klgen" in layer.error


ARGMAX = '''
"""Indices of the largest feature: an integer output, and a chatty layer."""

import keras
from keras import ops

print("importing argmax")  # must not disturb the worker's events


@keras.saving.register_keras_serializable(package="tests")
class ArgMax(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def call(self, inputs):
        print("call", flush=True)
        return ops.argmax(inputs, axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1])

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs.shape[:-1], dtype="int32")

    def get_config(self):
        return super().get_config()
'''


def test_an_integer_output_skips_gradients_and_says_so(
    tmp_path: Path, fast_backend: str
) -> None:
    path = write_layer(tmp_path, "argmax", ARGMAX)
    target = resolve_target(str(path))
    expectations = expectations_for(
        [(3, 4, 5)],
        masking="none",
        training=False,
        trainable=0,
        non_trainable=0,
        seed_generators=0,
    )
    report = verify(
        [(target, expectations)],
        backends=[fast_backend],
        checks=[
            "build",
            "shapes",
            "training",
            "gradients",
            "mixed-precision",
            "jit-parity",
            "save-load",
        ],
        timeout=120,
    )
    layer = report.layers[0]
    assert report.exit_code == 0, report.render()
    gradients = layer.result("gradients", fast_backend)
    assert gradients is not None and gradients.status == "skip"
    assert "not floating point" in gradients.message
    save = layer.result("save-load", fast_backend)
    assert save is not None and save.status == "pass"
    assert any("without a fit step" in note for note in save.notes)
