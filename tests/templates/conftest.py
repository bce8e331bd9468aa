"""Overlays written from a dict of files, and the klgen CLI run in-process in a folder."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from keraslayer_gen.generate.context import TEMPLATE_API
from keraslayer_gen.generate.render import builtin_templates

# The temporary git repositories of tests/repo (their fixtures, shared).
from tests.repo.conftest import GitRepo, Result, klgen_cache, make_repo  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_OVERLAY = ROOT / "examples" / "overlays" / "licence-and-repr"
DECLARED = f"template_api = {TEMPLATE_API}\n"
LICENCE = "# Copyright 2026 Test Corp. All rights reserved."
HEADER = f"""\
{{% from "klgen/macros/header.jinja" import header as klgen_header %}}
{{% macro header(ctx) -%}}
{LICENCE}
{{{{ klgen_header(ctx) }}}}
{{%- endmacro %}}
"""


def builtin(name: str) -> str:
    return (builtin_templates() / name).read_text(encoding="utf-8")


def write_overlay(folder: Path, files: dict[str, str], declare: bool = True) -> Path:
    """`folder` holding `files` (dedented), and `klgen-templates.toml` unless told not."""
    if declare:
        files = {"klgen-templates.toml": DECLARED, **files}
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def klgen(*args: str, cwd: Path) -> Result:
    """`klgen ARGS` in `cwd`, in-process; stdout and stderr apart."""
    from typer.testing import CliRunner

    from keraslayer_gen.cli import app

    previous = Path.cwd()
    os.chdir(cwd)
    try:
        outcome = CliRunner().invoke(app, list(args))
    finally:
        os.chdir(previous)
    if outcome.exception is not None and not isinstance(outcome.exception, SystemExit):
        raise outcome.exception
    return Result(outcome.exit_code, outcome.stdout, outcome.stderr)


@pytest.fixture
def overlay(tmp_path: Path) -> Callable[..., Path]:
    """Write an overlay under `tmp_path/NAME` (default `overlay`)."""

    def make(
        files: dict[str, str], name: str = "overlay", declare: bool = True
    ) -> Path:
        return write_overlay(tmp_path / name, files, declare)

    return make
