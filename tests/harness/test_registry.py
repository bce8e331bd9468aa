"""The check registry: one declaration per check, everything else derived from it; and the
harness's two sides importing only what they may (no Keras needed, nothing started)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from keraslayer_gen.harness import checklist, registry
from keraslayer_gen.harness.registry import runtime_check

HARNESS = Path(checklist.__file__).resolve().parent
WORKER = HARNESS / "worker"


def test_every_runtime_check_has_one_runner_in_the_checks_package() -> None:
    runners = registry.runners()
    assert tuple(runners) == checklist.RUNTIME_CHECKS
    for check_id, runner in runners.items():
        assert runner.__module__.startswith(registry.RUNTIME_PACKAGE + "."), check_id


def test_the_tables_derive_from_the_registry_in_contract_order() -> None:
    numbers = [c.number for c in checklist.CHECKS]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(set(checklist.CHECK_IDS)) == len(checklist.CHECK_IDS)
    assert checklist.CHECK_IDS == tuple(c.id for c in checklist.CHECKS)
    assert checklist.STATIC_CHECKS + checklist.RUNTIME_CHECKS == checklist.CHECK_IDS
    assert checklist.select_checks(full=True) == list(checklist.CHECK_IDS)


def test_a_runner_binds_only_to_a_runtime_check_and_only_once() -> None:
    with pytest.raises(ValueError, match="'structure' is not a runtime check"):
        runtime_check("structure")(lambda session: [])
    with pytest.raises(ValueError, match="'nope' is not a runtime check"):
        runtime_check("nope")(lambda session: [])
    registry.runners()
    with pytest.raises(ValueError, match="'build' has two runners"):
        runtime_check("build")(lambda session: [])


def _imports(path: Path) -> list[str]:
    """Every module `path` imports, at any depth (lazy imports included)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return names


def test_the_worker_imports_of_the_parent_side_only_shared_data() -> None:
    shared = {"keraslayer_gen.harness.expectations", "keraslayer_gen.harness.registry"}
    wrong = [
        f"{path.relative_to(HARNESS)}: {name}"
        for path in sorted(WORKER.rglob("*.py"))
        for name in _imports(path)
        if name.startswith("keraslayer_gen.harness.")
        and not name.startswith("keraslayer_gen.harness.worker")
        and name not in shared
    ]
    assert not wrong


def test_the_parent_side_never_imports_keras_or_a_worker_module() -> None:
    """`inprocess.py` is the one bridge: it runs the worker's session in a process that has
    already imported Keras (`keraslayer_gen.testing`), its imports inside the function.
    (Only the worker's `registry.runners()` imports the checks' package.)"""
    banned = ("keras", "tf_keras", "tensorflow", "jax", "torch")
    wrong = []
    for path in sorted(HARNESS.glob("*.py")):
        for name in _imports(path):
            if name.split(".")[0] in banned:
                wrong.append(f"{path.name}: {name}")
            if name.startswith("keraslayer_gen.harness.worker"):
                if path.name != "inprocess.py":
                    wrong.append(f"{path.name}: {name}")
    assert not wrong


def test_reading_the_registry_imports_no_keras_backend_or_numpy() -> None:
    probe = (
        "import json, sys\n"
        "from keraslayer_gen import harness\n"
        "assert len(harness.CHECKS) == 14\n"
        "banned = {'keras', 'tf_keras', 'tensorflow', 'jax', 'torch', 'numpy'}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in banned)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == []
