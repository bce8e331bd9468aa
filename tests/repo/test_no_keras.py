"""`klgen new/sync/check/lint/init` never import Keras or a backend, nor libcst."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

from .conftest import GitRepo

HEAVY = ("keras", "tensorflow", "tf_keras", "jax", "torch", "libcst")
PROBE = f"""
import atexit, sys
def report():
    heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))
    sys.stderr.write("HEAVY=" + ",".join(heavy) + "\\n")
atexit.register(report)
sys.argv = ["klgen", *sys.argv[1:]]
from keraslayer_gen.cli import app
app()
"""


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["init", "--dry-run"], 0),
        (["new", "Gate", "--arg", "units:int=4"], 0),  # edits demo/layers/__init__.py
        (["sync"], 0),
        (["sync", "--dry-run", "--diff"], 0),
        (
            ["check", "--diff"],
            1,
        ),  # the spec changed: check reads and renders everything
        (["lint"], 0),
    ],
)
def test_commands_import_no_backend(
    make_repo: Callable[..., GitRepo], args: list[str], code: int
) -> None:
    repo = make_repo(
        {
            "pyproject.toml": '[project]\nname = "demo"\n',
            "demo/__init__.py": "",
            "demo/layers/__init__.py": '"""Layers."""\n\nfrom .old import Old\n',
            "demo/layers/old.py": "class Old:\n    pass\n",
        }
    )
    repo.klgen("new", "Scale", "--arg", "factor:float=2.0;min=0")
    repo.replace("demo/layers/scale.klgen.yaml", "default: 2.0", "default: 3.0")
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=repo.path,
        env=repo.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "HEAVY=\n" in proc.stderr, proc.stderr
