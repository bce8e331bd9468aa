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
from keraslayer_gen.harness.registry import Check, register, runtime_check

HARNESS = Path(checklist.__file__).resolve().parent
WORKER = HARNESS / "worker"


def test_every_runtime_check_declares_its_runner_in_its_own_module() -> None:
    runners = registry.runners()
    assert tuple(runners) == checklist.RUNTIME_CHECKS
    for check in checklist.CHECKS:
        if check.static:
            assert check.runner is None, check.id
            continue
        assert check.runner is not None, check.id
        assert check.runner.__module__.startswith(
            registry.RUNTIME_PACKAGE + "."
        ), check.id


def test_the_tables_derive_from_the_registry_in_contract_order() -> None:
    numbers = [c.number for c in checklist.CHECKS]
    assert numbers == list(range(1, len(numbers) + 1))
    assert checklist.CHECK_IDS == tuple(c.id for c in checklist.CHECKS)
    assert checklist.STATIC_CHECKS + checklist.RUNTIME_CHECKS == checklist.CHECK_IDS
    assert checklist.select_checks(full=True) == list(checklist.CHECK_IDS)


@pytest.fixture
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, Check]:
    """The registry with its real checks, on a copy a test may add to."""
    copy = dict(registry._REGISTERED)
    monkeypatch.setattr(registry, "_REGISTERED", copy)
    return copy


def test_an_id_or_a_number_registered_twice_is_refused(
    scratch_registry: dict[str, Check],
) -> None:
    with pytest.raises(ValueError, match="'build' is registered twice"):
        register(Check("build", 99, False, False, "again"))
    with pytest.raises(ValueError, match="'build' and 'other' have the same number 5"):
        register(Check("other", 5, False, False, "a clash"))


def test_a_new_runtime_check_needs_only_its_declaration(
    scratch_registry: dict[str, Check],
) -> None:
    @runtime_check("extra", len(scratch_registry) + 1, "a defect", full_only=True)
    def check_extra(session: object) -> list[str]:
        return ["seen"]

    assert registry.checks()[-1].id == "extra"
    assert registry.runners()["extra"] is check_extra
    assert scratch_registry["extra"].full_only


def test_a_gap_in_the_numbers_is_refused(scratch_registry: dict[str, Check]) -> None:
    register(Check("later", len(scratch_registry) + 2, False, False, "a gap"))
    with pytest.raises(ValueError, match=r"not 1\.\.15: \[1, 2, .*, 14, 16\]"):
        registry.checks()


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
    (The registry reads the runtime checks' declarations by importing their package by
    name; the next test shows that this imports no Keras.)"""
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


def test_reading_the_registry_imports_no_keras_or_backend() -> None:
    probe = (
        "import json, sys\n"
        "from keraslayer_gen import harness\n"
        "assert len(harness.CHECKS) == 14\n"
        "banned = {'keras', 'tf_keras', 'tensorflow', 'jax', 'torch'}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in banned)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == []
