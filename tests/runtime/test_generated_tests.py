"""The test files klgen writes pass, for every catalogue layer, on the current backend."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.backend


def test_generated_test_files_pass(catalogue_dir: Path, keras_backend: str) -> None:
    env = {**os.environ, "KERAS_BACKEND": keras_backend}
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
            # The contract of every catalogue layer is proven on all backends by
            # tests/harness/test_catalogue.py; running it again here only costs time.
            "-k",
            "not test_layer_contract",
            str(catalogue_dir),
        ],
        cwd=catalogue_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
