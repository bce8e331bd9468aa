"""Temporary git repositories built from a dict of files, with the real `klgen` CLI run in
them as a user would (a subprocess of the installed entry point); no Keras needed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
KLGEN = (
    str(BIN / "klgen")
    if (BIN / "klgen").exists()
    else (shutil.which("klgen") or "klgen")
)


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


class GitRepo:
    """A git repository in a temporary folder, isolated from the user's git config."""

    def __init__(
        self, path: Path, env: dict[str, str], subprocess: bool = False
    ) -> None:
        self.path = path
        self.env = env
        self.subprocess = subprocess

    def write(self, files: dict[str, str]) -> None:
        for name, text in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")

    def read(self, name: str) -> str:
        return (self.path / name).read_text(encoding="utf-8")

    def replace(self, name: str, old: str, new: str) -> None:
        text = self.read(name)
        assert old in text, f"{old!r} not in {name}"
        (self.path / name).write_text(text.replace(old, new, 1), encoding="utf-8")

    def run(self, *args: str, check: bool = True) -> Result:
        proc = subprocess.run(
            args,
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        result = Result(proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {proc.returncode}:\n{result.text}"
            )
        return result

    def git(self, *args: str) -> str:
        return self.run("git", *args).out

    def klgen(self, *args: str, code: int = 0, cwd: Path | None = None) -> Result:
        """Run the klgen CLI in `cwd` (default: the repository); assert its exit code.

        In-process through typer's CliRunner (fast), or as the installed `klgen`
        executable when the repository was made with `subprocess=True`.
        """
        where = cwd or self.path
        if self.subprocess:
            proc = subprocess.run(
                [KLGEN, *args],
                cwd=where,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            result = Result(proc.returncode, proc.stdout, proc.stderr)
        else:
            from typer.testing import CliRunner

            from keraslayer_gen.cli import app

            previous = Path.cwd()
            os.chdir(where)
            try:
                outcome = CliRunner().invoke(app, list(args))
            finally:
                os.chdir(previous)
            if outcome.exception is not None and not isinstance(
                outcome.exception, SystemExit
            ):
                raise outcome.exception
            result = Result(outcome.exit_code, outcome.stdout, outcome.stderr)
        assert (
            result.code == code
        ), f"klgen {' '.join(args)} exited {result.code}:\n{result.text}"
        return result

    def status(self) -> list[str]:
        """`git status --porcelain`, one entry per file (untracked folders listed in full)."""
        return self.git("status", "--porcelain", "--untracked-files=all").splitlines()

    def diff(self, *paths: str) -> str:
        return self.git("diff", "--", *paths)

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        assert self.status() == []


@pytest.fixture(scope="session")
def klgen_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache of black's output for every repository of the session."""
    return tmp_path_factory.mktemp("klgen-cache")


@pytest.fixture
def make_repo(
    tmp_path: Path, klgen_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., GitRepo]:
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_AUTHOR_NAME": "klgen tests",
        "GIT_AUTHOR_EMAIL": "tests@klgen.invalid",
        "GIT_COMMITTER_NAME": "klgen tests",
        "GIT_COMMITTER_EMAIL": "tests@klgen.invalid",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"),
        "KLGEN_CACHE_DIR": str(klgen_cache),
        # `language: system` hooks run the `klgen` of this environment, as in a project's
        # virtualenv.
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    monkeypatch.setenv("KLGEN_CACHE_DIR", str(klgen_cache))  # in-process runs too
    counter = iter(range(1000))

    def make(files: dict[str, str], subprocess: bool = False) -> GitRepo:
        path = tmp_path / f"repo{next(counter)}"
        path.mkdir()
        repo = GitRepo(path, env, subprocess)
        repo.git("init", "-q", "-b", "main")
        repo.write(files)
        repo.commit("the project before klgen")
        return repo

    return make
