"""`klgen init`: `[tool.klgen]` and the pre-commit hooks, everything else kept byte for byte."""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import pytest

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.files.layout import load_layout
from keraslayer_gen.files.plan import write_all
from keraslayer_gen.workflows.init import plan_init

PYPROJECT = """\
# Build settings: keep this comment.
[build-system]
requires = ["hatchling"]   # aligned comment
build-backend = "hatchling.build"

[project]
name = "my-proj"
dependencies = [
    "numpy",  # arrays
]

[tool.black]
line-length = 100
"""
STYLES = {
    # pre-commit's own sample: four-space items, dashes at the key's column
    "pre-commit sample": """\
# See https://pre-commit.com for more information
repos:
-   repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v4.6.0  # pinned
    hooks:
    -   id: trailing-whitespace
    -   id: check-yaml
# CI settings
ci:
    autofix_prs: false
""",
    "indented dashes": """\
default_stages: [pre-commit]
repos:
  # formatting
  - repo: https://github.com/psf/black
    rev: "24.1.0"
    hooks:
      - id: black
        args: ['--line-length=100']
""",
    "empty list": "repos: []\n",
    "comments only": "# nothing yet\n",
}


def init(root: Path, **overrides: str) -> list[tuple[str, str]]:
    plan = plan_init(load_layout(root, overrides or None))
    write_all(plan)
    return [(c.status, c.path.name) for c in plan.changes]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (tmp_path / "src" / "my_proj").mkdir(parents=True)
    (tmp_path / "src" / "my_proj" / "__init__.py").write_text("", encoding="utf-8")
    return tmp_path


def test_pyproject_gains_only_the_table(project: Path) -> None:
    assert init(project) == [
        ("update", "pyproject.toml"),
        ("create", ".pre-commit-config.yaml"),
        ("create", "klgen-spec.schema.json"),
    ]
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == PYPROJECT + (
        '\n[tool.klgen]\npackage = "my_proj"\nlayers_dir = "src/my_proj/layers"\n'
        'tests_dir = "tests"\ntarget = "keras3"\n'
    )
    assert init(project) == [
        ("identical", "pyproject.toml"),
        ("identical", ".pre-commit-config.yaml"),
        ("identical", "klgen-spec.schema.json"),
    ]


def test_existing_table_keeps_its_values_and_comments_unless_a_flag_says(
    project: Path,
) -> None:
    (project / "pyproject.toml").write_text(
        PYPROJECT + '\n[tool.klgen]\nlayers_dir = "src/my_proj/nn"  # ours\n',
        encoding="utf-8",
    )
    init(project)
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert 'layers_dir = "src/my_proj/nn"  # ours\n' in text
    assert 'package = "my_proj"\n' in text and text.count("[tool.klgen]") == 1
    init(project, tests_dir="tests/layers", specs="specs", target="tf-keras")
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert 'tests_dir = "tests/layers"\n' in text and 'specs = "specs"\n' in text
    assert (
        'target = "tf-keras"\n' in text
        and 'layers_dir = "src/my_proj/nn"  # ours\n' in text
    )


@pytest.mark.parametrize("style", sorted(STYLES))
def test_pre_commit_config_is_edited_in_its_own_style(
    project: Path, style: str
) -> None:
    config = project / ".pre-commit-config.yaml"
    config.write_text(STYLES[style], encoding="utf-8")
    init(project)
    text = config.read_text(encoding="utf-8")
    if style != "empty list":  # a flow list is rewritten as a block list
        diff = difflib.ndiff(STYLES[style].splitlines(), text.splitlines())
        assert [line for line in diff if line.startswith("- ")] == []  # nothing lost
    if style == "pre-commit sample":
        assert (
            "    stages: [manual]\n# CI settings\nci:\n    autofix_prs: false\n" in text
        )
        assert "\n-   repo: local\n    hooks:\n    -   id: klgen-check\n" in text
    assert text.count("id: klgen-check") == 1 and text.count("id: klgen-verify") == 1
    assert "entry: klgen check" in text and "stages: [manual]" in text
    assert init(project)[1] == ("identical", ".pre-commit-config.yaml")
    validate = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(config)],
        capture_output=True,
        text=True,
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr


def test_a_config_with_one_hook_already_gains_the_other(project: Path) -> None:
    config = project / ".pre-commit-config.yaml"
    config.write_text(
        "repos:\n- repo: local\n  hooks:\n  - id: klgen-check\n"
        "    name: mine\n    entry: klgen check\n    language: system\n",
        encoding="utf-8",
    )
    init(project)
    text = config.read_text(encoding="utf-8")
    assert text.count("klgen-check") == 1 and text.count("id: klgen-verify") == 1
    assert "name: mine" in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("repos: [\n", "not valid YAML"),
        ("- just a list\n", "expected a mapping with a `repos` list"),
    ],
)
def test_unusable_pre_commit_config(project: Path, text: str, message: str) -> None:
    (project / ".pre-commit-config.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(KlgenError, match=message):
        plan_init(load_layout(project))


def test_unusable_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.klgen\n", encoding="utf-8")
    with pytest.raises(KlgenError, match="not valid TOML"):
        plan_init(
            load_layout(
                tmp_path, {"layers_dir": "layers", "tests_dir": "tests", "package": "p"}
            )
        )


def test_cli_dry_run_and_no_pre_commit(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from keraslayer_gen.cli import app

    monkeypatch.chdir(project)
    result = CliRunner().invoke(app, ["init", "--dry-run", "--diff"])
    assert result.exit_code == 0, result.output
    assert (
        "+[tool.klgen]" in result.stdout
        and "dry run: nothing was written" in result.stderr
    )
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == PYPROJECT
    assert not (project / ".pre-commit-config.yaml").exists()
    result = CliRunner().invoke(
        app, ["init", "--no-pre-commit", "--layers-dir", "src/my_proj/nn"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "update    pyproject.toml\ncreate    src/my_proj/nn/klgen-spec.schema.json\n"
    )
    assert "klgen: inferred tests_dir = 'tests'" in result.stderr
    assert not (project / ".pre-commit-config.yaml").exists()
