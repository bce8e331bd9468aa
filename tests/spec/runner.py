"""Run `klgen new` in-process for the malformed-input tables, and check what it left."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from keraslayer_gen.cli import app

SPEC = "s.klgen.yaml"


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None
    files_after: set[str]

    @property
    def error_lines(self) -> list[str]:
        return self.stderr.splitlines()


def run_klgen(folder: Path, argv: list[str]) -> Outcome:
    """`klgen ARGV` with `folder` as the working directory; the files there afterwards."""
    before = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(app, argv, catch_exceptions=True)
    finally:
        os.chdir(before)
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*")}
    return Outcome(
        result.exit_code, result.stdout, result.stderr, result.exception, files
    )


def assert_refused(outcome: Outcome, expected: list[str], inputs: set[str]) -> None:
    """Exit 2, exactly the `expected` stderr lines, no traceback, nothing written."""
    assert outcome.error_lines == expected, "\n".join(outcome.error_lines)
    assert outcome.exit_code == 2, (outcome.exit_code, outcome.stderr)
    # CliRunner turns `typer.Exit(2)` into SystemExit; anything else escaped klgen.
    assert isinstance(outcome.exception, SystemExit), repr(outcome.exception)
    assert "Traceback" not in outcome.stderr + outcome.stdout
    assert "internal error" not in outcome.stderr
    assert outcome.stdout == ""
    assert outcome.files_after == inputs, "klgen wrote files for a refused input"
