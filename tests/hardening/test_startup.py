"""Startup: a `klgen` process registers only the command it runs (cli.COMMAND_OF); every
command must still be reachable, and its help and errors unchanged."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import typer.main

from keraslayer_gen.cli import main as cli

from .helpers import KLGEN


def _commands() -> set[str]:
    group = typer.main.get_command(cli.app)
    return set(group.commands)  # type: ignore[attr-defined]


def test_every_command_is_mapped_to_its_module() -> None:
    # Imported (not run as `klgen`), the app has every command.
    assert _commands() == set(cli.COMMAND_OF)
    assert set(cli.COMMAND_OF.values()) <= set(cli.COMMAND_MODULES)


@pytest.mark.parametrize(
    ("argv", "wanted"),
    [
        (["/venv/bin/klgen", "new", "--example", "dense"], "new"),
        (["/venv/bin/klgen", "--debug", "check"], "check"),
        (["klgen", "templates", "list"], "templates"),
        (["klgen", "schema"], "info"),
        (["klgen"], None),
        (["klgen", "--help"], None),
        (["klgen", "--version"], None),
        (["klgen", "chek"], None),  # unknown: all, so that typer can suggest `check`
        (["/usr/bin/pytest", "-k", "check"], None),  # imported by another program
        (["-c", "new"], None),
    ],
)
def test_wanted_command(argv: list[str], wanted: str | None) -> None:
    assert cli._wanted(argv) == wanted


@pytest.mark.parametrize("command", sorted(cli.COMMAND_OF))
def test_each_command_runs_as_its_own_process(command: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [KLGEN, command, "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"klgen {command}" in done.stdout


def test_unknown_command_still_suggests(tmp_path: Path) -> None:
    done = subprocess.run(
        [KLGEN, "chek"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "Did you mean 'check'" in done.stderr
