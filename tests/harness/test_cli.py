"""`klgen verify` from the command line: targets, options, exit codes and --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keraslayer_gen.cli import app

from .conftest import SCALE, write_layer

KLGEN = [sys.executable, "-m", "keraslayer_gen.cli"]


def klgen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KLGEN, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
        timeout=900,
    )


@pytest.fixture()
def dense(tmp_path: Path) -> Path:
    """The dense example generated with its spec saved next to it."""
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
    return tmp_path


# -- bad input: exit 2, no worker started --------------------------------------------------
def test_unknown_check_is_exit_2_with_did_you_mean(dense: Path) -> None:
    done = klgen("verify", "dense.py", "--only", "biuld", cwd=dense)
    assert done.returncode == 2
    assert "--only biuld: unknown check (did you mean `build`?)" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere.py"], "no such file"),
        (["nowhere.klgen.yaml"], "no such spec file"),
        (["dense.py:Nope"], "defines no class `Nope`"),
        (["dense"], "not a target"),
        (["dense.py", "--input-shape", "2,x"], "--input-shape 2,x: expected integers"),
        (["dense.py", "--init", "{units: ["], "--init {units: [: not a YAML or JSON"),
        (["dense.py", "--init", "[3]"], "--init [3]: expected a mapping"),
        (["dense.py", "--masking", "hide"], "--masking hide: expected none, propagate"),
        (["dense.py", "--backend", "theano"], "unknown backend `theano`"),
        (["dense.py", "--timeout", "0"], "expected a positive number"),
    ],
)
def test_bad_input_is_exit_2(dense: Path, args: list[str], message: str) -> None:
    done = klgen("verify", *args, cwd=dense)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_layer_without_spec_needs_an_example_shape(tmp_path: Path) -> None:
    write_layer(tmp_path, "scale", SCALE)
    done = klgen("verify", "scale.py", cwd=tmp_path)
    assert done.returncode == 2
    assert "no spec to take examples from; give --input-shape" in done.stderr


def test_a_missing_backend_names_its_extra(
    monkeypatch: pytest.MonkeyPatch, dense: Path
) -> None:
    import keraslayer_gen.harness.backends as backends

    real = backends.find_spec
    monkeypatch.setattr(
        backends, "find_spec", lambda name: None if name == "torch" else real(name)
    )
    monkeypatch.chdir(dense)
    result = CliRunner().invoke(app, ["verify", "dense.py", "--backend", "torch"])
    assert result.exit_code == 2
    assert (
        "--backend torch: the torch backend is not installed: pip install "
        "'keraslayer-gen[torch]'"
    ) in result.output


# -- static checks only: no worker, and never Keras in this process ------------------------
def test_static_only_json_schema(dense: Path) -> None:
    done = klgen(
        "verify",
        "dense.klgen.yaml",
        "--only",
        "structure,config-complete",
        "--json",
        cwd=dense,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["schema"], data["ok"], data["exit_code"]) == (1, True, 0)
    layer = data["layers"][0]
    assert layer["class"] == "Dense" and layer["module"] == "dense"
    assert layer["spec"].endswith("dense.klgen.yaml")
    assert layer["checks"] == ["structure", "config-complete"]
    assert layer["expectations"]["masking"] == "propagate"
    assert [r["backend"] for r in layer["results"]] == [None, None]
    assert {r["status"] for r in layer["results"]} == {"pass"}
    assert layer["backends"] == []


@pytest.mark.harness  # `klgen verify --only build` starts a backend worker
def test_the_parent_process_never_imports_keras(dense: Path, fast_backend: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "keraslayer_gen.cli",
            "verify",
            "dense.py",
            "--only",
            "build",
            "--backend",
            fast_backend,
        ],
        cwd=dense,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    imported = {
        line.split("|")[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert not imported & {"keras", "tensorflow", "jax", "torch", "numpy"}


# -- which layers: the repository, folders, each layer once ---------------------------------
@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A repository whose layers folder holds a spec'd layer and a hand-written one."""
    (tmp_path / "pyproject.toml").write_text('[tool.klgen]\nlayers_dir = "layers"\n')
    layers = tmp_path / "layers"
    done = klgen(
        "new",
        "--example",
        "dense",
        "--out",
        str(layers),
        "--save-spec",
        str(layers / "dense.klgen.yaml"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    write_layer(layers, "scale", SCALE)
    return tmp_path


def test_no_target_is_every_layer_of_the_repository(repo: Path) -> None:
    done = klgen("verify", "--only", "structure", "--json", cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [x["class"] for x in json.loads(done.stdout)["layers"]] == ["Dense"]
    assert (
        "skipped layers/scale.py:Scale: a hand-written layer without a spec; verify it "
        "with `klgen verify layers/scale.py:Scale --input-shape ...`"
    ) in done.stderr
    done = klgen(
        "verify", "--only", "structure", "--input-shape", "2,8", "--json", cwd=repo
    )
    assert [x["class"] for x in json.loads(done.stdout)["layers"]] == ["Dense", "Scale"]


def test_a_folder_is_a_target(repo: Path) -> None:
    done = klgen("verify", "layers", "--only", "structure", "--json", cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [x["target"] for x in json.loads(done.stdout)["layers"]] == [
        "layers/dense.py"
    ]
    (repo / "empty").mkdir()
    done = klgen("verify", "empty", cwd=repo)
    assert done.returncode == 0 and "empty: no layer in this folder" in done.stderr


def test_changed_without_changes_verifies_nothing(repo: Path) -> None:
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
    ):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    done = klgen("verify", "--changed", cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no layer among the changes against HEAD: nothing to verify" in done.stderr
    spec = repo / "layers" / "dense.klgen.yaml"
    spec.write_text(spec.read_text() + "\n")
    done = klgen("verify", "--changed", "--only", "structure", "--json", cwd=repo)
    assert [x["class"] for x in json.loads(done.stdout)["layers"]] == ["Dense"]


# -- runtime: one worker per backend serves every target -----------------------------------
@pytest.mark.harness
def test_every_kind_of_target_is_one_layer(dense: Path, fast_backend: str) -> None:
    done = klgen(
        "verify",
        "dense.klgen.yaml",
        "dense.py",
        "dense.py:Dense",
        "dense:Dense",
        "--only",
        "build,shapes",
        "--backend",
        fast_backend,
        "--json",
        cwd=dense,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    layers = json.loads(done.stdout)["layers"]
    assert [x["target"] for x in layers] == ["dense.klgen.yaml"]  # verified once
    layer = layers[0]
    assert layer["class"] == "Dense" and layer["spec"] is not None  # the header's spec
    assert [(r["check"], r["backend"], r["status"]) for r in layer["results"]] == [
        ("build", fast_backend, "pass"),
        ("shapes", fast_backend, "pass"),
    ]
    assert layer["backends"][0]["keras_version"]


@pytest.mark.harness
def test_options_for_a_layer_without_spec(tmp_path: Path, fast_backend: str) -> None:
    write_layer(tmp_path, "scale", SCALE)
    common = [
        "--input-shape",
        "2,4,3",
        "--init",
        '{"factor": 3.0}',
        "--backend",
        fast_backend,
        "--only",
        "config-roundtrip,build,shapes,masking",
    ]
    done = klgen(
        "verify",
        "scale.py",
        *common,
        "--trainable",
        "0",
        "--masking",
        "propagate",
        "--mask",
        "--output-shape",
        "2,4,3",
        "--json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    layer = json.loads(done.stdout)["layers"][0]
    assert layer["spec"] is None
    assert layer["expectations"]["examples"][0]["init"] == {"factor": 3.0}
    assert set(layer["observed"]) >= {
        "training",
        "stochastic",
        "state",
        "non_trainable",
    }
    observed = layer["backends"][0]["observed"]
    assert observed["non_trainable"] == 0 and observed["seed_generators"] == 0
    assert all(r["status"] == "pass" for r in layer["results"])

    wrong = klgen(
        "verify",
        "scale:Scale",
        *common,
        "--trainable",
        "1",
        "--masking",
        "none",
        cwd=tmp_path,
    )
    assert wrong.returncode == 1
    assert (
        f"FAIL build [{fast_backend}] build() creates 0 trainable weight(s) but 1 are "
        "expected"
    ) in wrong.stdout
    assert "FAIL masking" in wrong.stdout and "supports_masking is True" in wrong.stdout
    assert "not declared, observed:" in wrong.stdout
    assert "\x1b[" not in wrong.stdout  # plain text when piped


@pytest.mark.harness
def test_a_layer_that_does_not_load_is_exit_2(
    tmp_path: Path, fast_backend: str
) -> None:
    write_layer(tmp_path, "boom", "raise RuntimeError('no GPU here')\n" + SCALE)
    done = klgen(
        "verify",
        "boom.py",
        "--input-shape",
        "2,3",
        "--backend",
        fast_backend,
        "--only",
        "build",
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert (
        "importing boom raises RuntimeError: no GPU here (at boom.py:1)" in done.stdout
    )


def test_the_pre_commit_hook_verifies_each_layer_once(repo: Path) -> None:
    """The klgen-verify hook as pre-commit runs it with --all-files: its `files`/`exclude`
    over the repository's files, passed after its entry (and a user's `args`)."""
    import re
    import shlex

    import yaml

    hooks = yaml.safe_load(
        (Path(__file__).parents[2] / ".pre-commit-hooks.yaml").read_text()
    )
    hook = next(h for h in hooks if h["id"] == "klgen-verify")
    assert hook["require_serial"] is True and hook["stages"] == ["manual"]
    (repo / "layers" / "__init__.py").touch()
    files = sorted(
        p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file()
    )
    passed = [
        f
        for f in files
        if re.search(hook["files"], f) and not re.search(hook["exclude"], f)
    ]
    assert {
        "layers/dense.klgen.yaml",
        "layers/dense.py",
        "layers/test_dense.py",
    } <= set(passed)
    entry = shlex.split(hook["entry"])
    assert entry[0] == "klgen"
    done = klgen(*entry[1:], "--only", "structure", "--json", *passed, cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [x["target"] for x in json.loads(done.stdout)["layers"]] == [
        "layers/dense.py"
    ]
