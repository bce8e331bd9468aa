"""`klgen --version`, `klgen examples`, `klgen --help`: what klgen says about itself."""

from __future__ import annotations

from typer.testing import CliRunner

from keraslayer_gen import __version__, api
from keraslayer_gen.cli import app


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"klgen {__version__}\n"


def test_examples_lists_every_bundled_example_with_its_summary() -> None:
    result = CliRunner().invoke(app, ["examples"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    names = api.example_names()
    assert len(lines) == len(names) >= 6
    width = max(len(n) for n in names)
    for line, name in zip(lines, names, strict=True):
        summary = api.load_example(name).spec.summary
        assert line == f"{name:<{width}}  {summary}"


def test_unknown_example_suggests_the_closest(tmp_path) -> None:
    result = CliRunner().invoke(
        app, ["new", "--example", "dens", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "unknown example `dens` (did you mean `dense`?); examples: "
    )
    assert not (tmp_path / "o").exists()


def test_new_needs_exactly_one_source(tmp_path) -> None:
    result = CliRunner().invoke(
        app, ["new", "Scale", "--example", "dense", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "give exactly one of: a layer NAME with flags, --spec FILE, or --example NAME "
        "(see `klgen new --help`)\n"
    )
    assert not (tmp_path / "o").exists()


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("new", "examples", "schema"):
        assert command in result.stdout
