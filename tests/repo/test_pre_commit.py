"""klgen's hooks under the real `pre-commit`, installed as the git hook of a temporary
repository (`repo: local` hooks from `klgen init`, running this environment's `klgen`).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from keraslayer_gen.files.layout import load_layout
from keraslayer_gen.workflows.init import hooks

from .conftest import GitRepo

ROOT = Path(__file__).resolve().parents[2]
LAYER, SPEC = "demo/layers/scale.py", "demo/layers/scale.klgen.yaml"
HAND_WRITTEN = """
    import keras


    @keras.saving.register_keras_serializable(package="demo")
    class Shift(keras.layers.Layer):
        def __init__(self, amount=1.0, **kwargs):
            super().__init__(**kwargs)
            self.amount = amount

        def call(self, inputs):
            return inputs + self.amount

        def get_config(self):
            return super().get_config()
"""


def commit(repo: GitRepo, message: str) -> tuple[bool, str]:
    """`git add -A && git commit`; whether it went through, and the hook's output."""
    repo.git("add", "-A")
    result = repo.run("git", "commit", "-q", "-m", message, check=False)
    return result.code == 0, result.text


@pytest.fixture
def repo(make_repo: Callable[..., GitRepo]) -> GitRepo:
    repo = make_repo(
        {"pyproject.toml": '[project]\nname = "demo"\n', "demo/__init__.py": ""},
        subprocess=True,
    )
    repo.klgen("init")
    repo.klgen("new", "Scale", "--arg", "factor:float=2.0;min=0")
    repo.commit("klgen")
    repo.run(sys.executable, "-m", "pre_commit", "install")
    return repo


@pytest.mark.slow  # real pre-commit runs: its hook environments take seconds
def test_pre_commit_stops_drift_hand_edits_and_contract_breaks(repo: GitRepo) -> None:
    repo.replace(
        LAYER, "        outputs = inputs\n", "        outputs = inputs * self.factor\n"
    )
    ok, output = commit(repo, "a body in its region")
    assert ok, output
    assert "klgen check" in output and "Passed" in output
    assert "klgen verify" not in output  # manual stage only

    repo.replace(SPEC, "default: 2.0", "default: 3.0")
    ok, output = commit(repo, "spec without sync")
    assert not ok
    assert f"{LAYER}: out of date with {SPEC} (first difference" in output
    repo.klgen("sync")
    ok, output = commit(repo, "spec and sync")
    assert ok, output

    repo.replace(
        LAYER, "        self.factor = factor\n", "        self.factor = factor or 1\n"
    )
    ok, output = commit(repo, "hand edit")
    assert not ok
    assert (
        f"{LAYER}: edited outside its user regions; move the edit into {SPEC}" in output
    )
    repo.klgen("sync", "--force")
    assert "outputs = inputs * self.factor" in repo.read(LAYER)

    repo.write({"demo/layers/shift.py": HAND_WRITTEN})
    ok, output = commit(repo, "a hand-written layer")
    assert not ok
    assert (
        "demo/layers/shift.py:13:5: config-complete: `Shift.get_config()` does not return "
        "`amount`"
    ) in output
    repo.replace(
        "demo/layers/shift.py",
        "return super().get_config()",
        'return {**super().get_config(), "amount": self.amount}',
    )
    ok, output = commit(repo, "a hand-written layer, complete")
    assert ok, output
    assert repo.status() == []


def test_published_hooks_match_what_init_writes(tmp_path: Path) -> None:
    manifest = ROOT / ".pre-commit-hooks.yaml"
    validate = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(manifest)],
        capture_output=True,
        text=True,
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr
    published = {
        h["id"]: h for h in yaml.safe_load(manifest.read_text(encoding="utf-8"))
    }
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    local = {h["id"]: h for h in hooks(load_layout(tmp_path))}
    # `klgen-templates` is for repositories with a templates overlay (docs/templates.md);
    # `klgen init` does not write it.
    assert sorted(published) == ["klgen-check", "klgen-templates", "klgen-verify"]
    assert sorted(local) == ["klgen-check", "klgen-verify"]
    for hook_id, hook in local.items():
        for key in ("entry", "pass_filenames", "stages", "exclude"):
            assert hook.get(key) == published[hook_id].get(key), (hook_id, key)
    assert published["klgen-check"]["files"] == local["klgen-check"]["files"]


@pytest.mark.harness
def test_verify_hook_runs_the_contract_on_the_changed_layer(
    make_repo: Callable[..., GitRepo],
) -> None:
    repo = make_repo(
        {
            "pyproject.toml": '[project]\nname = "demo"\n\n[tool.klgen]\nbackends = ["jax"]\n',
            "demo/__init__.py": "",
        },
        subprocess=True,
    )
    repo.klgen("init")
    repo.klgen("new", "Scale", "--arg", "factor:float=2.0;min=0")
    repo.replace(
        LAYER, "        outputs = inputs\n", "        outputs = inputs * self.factor\n"
    )
    repo.git("add", "-A")
    result = repo.run(
        sys.executable,
        "-m",
        "pre_commit",
        "run",
        "--hook-stage",
        "manual",
        "klgen-verify",
        check=False,
    )
    assert result.code == 0, result.text
    assert "klgen verify" in result.text and "Passed" in result.text
    # The contract failing blocks the hook: a get_config that drops the argument.
    repo.replace(LAYER, '            "factor": self.factor,\n', "")
    repo.git("add", "-A")
    result = repo.run(
        sys.executable,
        "-m",
        "pre_commit",
        "run",
        "--hook-stage",
        "manual",
        "klgen-verify",
        check=False,
    )
    assert result.code != 0
    assert "config-complete" in result.text
