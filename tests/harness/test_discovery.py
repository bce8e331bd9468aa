"""Which layers `klgen verify` picks: the repository's, a folder's, the changed ones (git or
pre-commit's file list), each once, and `--shard I/N` parts. No Keras is imported."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from keraslayer_gen import api
from keraslayer_gen.errors import KlgenError
from keraslayer_gen.files.layout import load_layout
from keraslayer_gen.harness import discovery

from .conftest import SCALE, write_layer


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A repository with two spec'd layers (spec, layer and test each) and a hand-written
    layer, committed."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.klgen]\nlayers_dir = "layers"\n'
        'tests_dir = "tests"\n'
    )
    layers = tmp_path / "layers"
    layers.mkdir()
    (tmp_path / "tests").mkdir()
    for name in ("dense", "padding-mask"):
        spec = api.load_example(name).spec
        (layers / f"{spec.module_name}.klgen.yaml").write_text(_example_text(name))
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    done = subprocess.run(
        [*_klgen(), "sync"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    write_layer(layers, "scale", SCALE)
    (layers / "__init__.py").touch()
    (layers / "helpers.py").write_text("def helper():\n    return 1\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    return tmp_path


def _klgen() -> list[str]:
    import sys

    return [sys.executable, "-m", "keraslayer_gen.cli"]


def _example_text(name: str) -> str:
    from importlib import resources

    return (
        resources.files("keraslayer_gen") / "examples" / f"{name}.klgen.yaml"
    ).read_text()


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_the_repository_default_is_every_layer_once(repo: Path) -> None:
    found = discovery.repository_layers(load_layout(repo), repo)
    assert sorted(found.targets) == [
        "layers/dense.py",
        "layers/padding_mask.py",
        "layers/scale.py:Scale",
    ]
    assert found.handwritten == {"layers/scale.py:Scale"}


def test_a_folder_is_its_layers(repo: Path) -> None:
    found = discovery.folder_layers([repo / "layers"], load_layout(repo), repo)
    assert len(found.targets) == 3 and len(set(found.targets)) == 3


def test_changed_against_head_maps_spec_layer_and_test_to_one_layer(repo: Path) -> None:
    layout = load_layout(repo)
    assert discovery.changed_layers(None, layout, repo).targets == []
    spec = repo / "layers" / "dense.klgen.yaml"
    spec.write_text(spec.read_text() + "\n")
    test = repo / "tests" / "test_dense.py"
    test.write_text(test.read_text() + "\n")
    found = discovery.changed_layers(None, layout, repo)
    assert found.targets == ["layers/dense.py"]
    _git(repo, "add", "layers/dense.klgen.yaml")  # staged and unstaged alike
    assert discovery.changed_layers(None, layout, repo).targets == ["layers/dense.py"]


def test_changed_files_from_pre_commit_skip_what_is_no_layer(repo: Path) -> None:
    layout = load_layout(repo)
    files = [
        repo / p
        for p in (
            "layers/dense.klgen.yaml",
            "layers/dense.py",
            "tests/test_dense.py",
            "layers/helpers.py",
            "layers/__init__.py",
            "pyproject.toml",
            "layers/scale.py",
        )
    ]
    found = discovery.changed_layers(files, layout, repo)
    assert found.targets == ["layers/dense.py", "layers/scale.py:Scale"]


def test_a_changed_template_overlay_verifies_every_generated_layer(repo: Path) -> None:
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'templates = "klgen_templates"\n')
    overlay = repo / "klgen_templates"
    overlay.mkdir()
    (overlay / "layer.py.jinja").write_text("{# mine #}\n")
    found = discovery.changed_layers(None, load_layout(repo), repo)
    assert sorted(found.targets) == ["layers/dense.py", "layers/padding_mask.py"]
    assert any("templates overlay" in note for note in found.notes)


def test_changed_outside_git_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.klgen]\n")
    with pytest.raises(KlgenError, match="--changed: .* is not in a git repository"):
        discovery.changed_files(tmp_path)


def test_shards_are_disjoint_deterministic_and_cover_everything() -> None:
    targets = [f"layers/l{i}.py" for i in range(10)]
    parts = [discovery.shard(targets, f"{i}/3") for i in (1, 2, 3)]
    assert sorted(sum(parts, [])) == sorted(targets)
    assert all(not set(a) & set(b) for a in parts for b in parts if a is not b)
    assert discovery.shard(list(reversed(targets)), "2/3") == parts[1]
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3", "expected I/N"),
        ("0/2", "1 <= I <= N"),
        ("3/2", "1 <= I <= N"),
        ("a/b", "expected I/N"),
    ],
)
def test_a_bad_shard_is_a_located_error(text: str, message: str) -> None:
    with pytest.raises(KlgenError, match=f"--shard {text}: .*{message}"):
        discovery.shard(["a"], text)
