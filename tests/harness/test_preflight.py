"""The pre-flight of `klgen verify`: a broken file or a wrong class in about a second, before
any backend starts; an `--init` that does not fit `__init__` as one located error."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from keraslayer_gen.harness import resolve_target
from keraslayer_gen.harness.preflight import preflight

from .conftest import SCALE, write_layer

KLGEN = [sys.executable, "-m", "keraslayer_gen.cli"]


def klgen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KLGEN, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=900,
    )


def test_syntax_error_wrong_class_and_non_layer_are_all_reported_at_once(
    tmp_path: Path,
) -> None:
    (tmp_path / "broken.py").write_text(
        "import keras\nclass A(keras.layers.Layer)\n    x = 1\n"
    )
    (tmp_path / "plain.py").write_text(
        "class Helper:\n    pass\n\n\nclass Other(dict):\n    pass\n"
    )
    write_layer(tmp_path, "scale", SCALE)
    started = time.perf_counter()
    done = klgen(
        "verify",
        "broken.py:A",
        "plain.py:Helper",
        "plain.py:Other",
        "scale.py:Scal",
        "--input-shape",
        "2,3",
        cwd=tmp_path,
    )
    seconds = time.perf_counter() - started
    assert done.returncode == 2, done.stdout + done.stderr
    err = done.stderr
    assert "broken.py:2:" in err and "not valid Python" in err
    assert "plain.py:1: class Helper is not a keras.layers.Layer subclass" in err
    assert "plain.py:5: class Other is not a keras.layers.Layer subclass (dict)" in err
    assert "no class `Scal` (did you mean `Scale`?)" in err
    assert "Traceback" not in err and done.stdout == ""
    assert seconds < 15  # no backend was started (they take 10 s and more to import)


def test_preflight_trusts_bases_it_cannot_see(tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    path.write_text(
        "from my_base import Base\nimport keras\n\n\nclass Local(keras.layers."
        "Dense):\n    pass\n\n\nclass Derived(Local):\n    pass\n\n\n"
        "class Foreign(Base):\n    pass\n"
    )
    for name in ("Local", "Derived", "Foreign"):
        assert preflight(resolve_target(f"{path}:{name}")) is None


@pytest.mark.harness
def test_unknown_and_missing_init_arguments_are_one_located_error(
    tmp_path: Path, fast_backend: str
) -> None:
    write_layer(tmp_path, "scale", SCALE.replace("factor=2.0", "factor"))
    done = klgen(
        "verify",
        "scale.py",
        "--input-shape",
        "2,3",
        "--init",
        '{"facter": 2}',
        "--backend",
        fast_backend,
        "--quiet",
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    out = done.stdout
    assert (
        "error: --init: Scale(**init): unknown argument `facter` (did you mean "
        "`factor`?); missing required argument `factor`"
    ) in out
    assert "FAIL" not in out  # not one failure per check: nothing ran
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.harness
def test_a_spec_init_that_does_not_fit_names_the_spec(
    tmp_path: Path, fast_backend: str
) -> None:
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
    layer = tmp_path / "dense.py"
    layer.write_text(
        layer.read_text().replace("        units,\n", "        size,\n", 1)
    )
    done = klgen(
        "verify",
        "dense.py",
        "--backend",
        fast_backend,
        "--quiet",
        "--only",
        "build",
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert (
        "dense.klgen.yaml: examples[0].init: Dense(**init): unknown argument `units`; "
        "missing required argument `size`"
    ) in done.stdout
