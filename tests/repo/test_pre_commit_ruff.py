"""A src-layout project whose pre-commit already runs ruff (check --fix, format) adopts
klgen: `klgen init`, `klgen new`, `git add`, `git commit` passes on the first try, under
the real `pre-commit` (issue 13.1). Once with `[tool.klgen].post_hooks` running the same
ruff commands, once without them, on klgen's default output (already sorted as ruff's
isort wants it). The hooks are `repo: local` ones running this environment's ruff and
klgen: there is no network to clone hook repositories from."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable

import pytest

from .conftest import BIN, GitRepo

RUFF = str(BIN / "ruff") if (BIN / "ruff").exists() else shutil.which("ruff")
PRE_COMMIT_CONFIG = f"""
repos:
  - repo: local
    hooks:
      - id: ruff
        name: ruff check --fix
        entry: {RUFF} check --fix
        language: system
        types_or: [python, pyi]
      - id: ruff-format
        name: ruff format
        entry: {RUFF} format
        language: system
        types_or: [python, pyi]
"""
PROJECT = """
[project]
name = "demo"
version = "0.1.0"

[tool.ruff.lint]
extend-select = ["I"]
"""
CASES = {
    # ruff at its own line length (88): klgen's files pass through the same commands.
    "post-hooks": PROJECT
    + '\n[tool.klgen]\npost_hooks = ["ruff check --fix-only", "ruff format"]\n',
    # No hooks: klgen's default output (black at Keras's 80 columns, the project's own
    # import in a first-party block) is already what this ruff configuration wants.
    "fixed-point": PROJECT.replace(
        "[tool.ruff.lint]", "[tool.ruff]\nline-length = 80\n\n[tool.ruff.lint]"
    ),
}


@pytest.mark.slow
@pytest.mark.skipif(RUFF is None, reason="ruff is not installed")
@pytest.mark.parametrize("case", sorted(CASES))
def test_first_commit_passes_with_the_projects_ruff_hooks(
    make_repo: Callable[..., GitRepo], case: str
) -> None:
    repo = make_repo(
        {
            "pyproject.toml": CASES[case],
            "src/demo/__init__.py": '"""The demo package."""\n',
            ".pre-commit-config.yaml": PRE_COMMIT_CONFIG,
        },
        subprocess=True,
    )
    repo.run(sys.executable, "-m", "pre_commit", "install")
    repo.klgen("init")
    repo.klgen("new", "Scale", "--arg", "factor:float=2.0;min=0")
    repo.klgen("new", "--example", "group-normalization")
    test = repo.read("tests/test_scale.py")
    assert "import pytest\n\nfrom demo.layers.scale import Scale\n" in test

    repo.git("add", "-A")
    result = repo.run("git", "commit", "-q", "-m", "klgen layers", check=False)
    assert result.code == 0, result.text
    for hook in ("ruff check --fix", "ruff format", "klgen check"):
        assert any(
            line.startswith(hook) and line.endswith("Passed")
            for line in result.text.splitlines()
        ), (hook, result.text)
    assert repo.status() == []
    # And klgen agrees with what was committed: nothing to sync, nothing to report.
    repo.klgen("check")
    assert "update" not in repo.klgen("sync").out
    assert repo.status() == []
