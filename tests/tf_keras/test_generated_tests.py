"""The test files klgen writes for tf-keras layers pass, for every catalogue layer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from keraslayer_gen import api
from tests.catalogue import examples_for

pytestmark = pytest.mark.backend


def test_generated_test_files_pass(tf_keras_catalogue: Path) -> None:
    names = sorted(p.name for p in tf_keras_catalogue.glob("test_*.py"))
    assert names == sorted(
        f"test_{api.load_example(n).spec.module_name}.py"
        for n in examples_for("tf-keras")
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore::DeprecationWarning",
            str(tf_keras_catalogue),
        ],
        cwd=tf_keras_catalogue,
        env={**os.environ, "KERAS_BACKEND": "tensorflow"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
    assert "skipped" not in result.stdout
