"""The options of the commands: a shared option is declared once (cli/options.py) and
reads the same in every command; `klgen new` has a flag for every spec field that
`spec.flags.Flags` describes, and no other."""

from __future__ import annotations

import dataclasses
from typing import Any

import typer.main

from keraslayer_gen.cli import main as cli
from keraslayer_gen.cli import new as new_command
from keraslayer_gen.spec.flags import BODY_FLAGS, Flags


def _commands() -> dict[str, Any]:
    found: dict[str, Any] = {}

    def walk(command: Any, path: str) -> None:
        found[path] = command
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(typer.main.get_command(cli.app), "")
    return found


def _options(flag: str) -> dict[str, Any]:
    """Command -> its option `flag`, for every command that has one."""
    return {
        path: param
        for path, command in _commands().items()
        for param in command.params
        if flag in param.opts
    }


def test_templates_reads_the_same_in_every_command() -> None:
    found = _options("--templates")
    assert {"new", "sync", "check", "templates list", "templates check"} <= set(found)
    assert len({p.help for p in found.values()}) == 1
    assert {p.metavar for p in found.values()} == {"DIR"}


def test_shared_write_options_read_the_same() -> None:
    for flag, users in (
        ("--dry-run", {"new", "sync", "init", "templates eject"}),
        ("--target", {"new", "init"}),
        ("--package", {"new", "init"}),
    ):
        found = {path: p for path, p in _options(flag).items() if path in users}
        assert set(found) == users, flag
        assert len({p.help for p in found.values()}) == 1, flag
    # `check --diff` and `adopt --diff/--no-diff` show other things.
    diff = {
        path: p
        for path, p in _options("--diff").items()
        if path not in ("check", "adopt")
    }
    assert {"new", "sync", "init"} <= set(diff)
    assert len({p.help for p in diff.values()}) == 1


def test_new_has_a_flag_for_every_spec_field_of_flags() -> None:
    # Filled by other flags: NAME, the body files, --method-body; `target` is an
    # output option of its own.
    other = {
        "name",
        "bodies",
        "body_files",
        "method_bodies",
        "method_body_files",
        "target",
    }
    fields = {f.name for f in dataclasses.fields(Flags)} - other
    parameters = new_command.PARAMETERS
    assert {p.name for p in parameters if p.kind == "field"} == fields
    assert {p.flag for p in parameters if p.kind == "body"} == set(BODY_FLAGS.values())
    flags = [p.flag for p in parameters]
    assert len(flags) == len(set(flags))


def test_new_declares_its_options_in_the_help_order() -> None:
    command = _commands()["new"]
    shown = [p.opts[0] for p in command.params if p.param_type_name == "option"]
    declared = [p.flag for p in new_command.PARAMETERS]
    assert [f for f in shown if f != "--help"] == declared
