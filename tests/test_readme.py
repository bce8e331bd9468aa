"""The README's commands work when pasted, in order, into one shell (issue 13).

Every ```bash block runs as it stands and must exit 0; every `$ command` line of a
```console or ```text transcript runs too, and the first line of output the transcript
shows must be in what it printed (timings aside). They run in one bash process, in a
scratch folder, with this environment's `klgen` on the PATH (what the quick start's
`. .venv/bin/activate` gives): a `cd` in one block holds for the next, as in a terminal.
The two quick-start commands are the exception: the install is what this environment
is (and what `.ci/run` does), and `./run-tests` is what is running this test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BIN = Path(sys.executable).parent
#: Blocks that are not run here, and why.
NOT_RUN = {
    "pip install": "the install: this environment is it (and .ci/run does it afresh)",
    "./run-tests": "the test command: it is what runs this test",
}
_TIMING = re.compile(r"\d+(\.\d+)?s\b")
_ABSOLUTE = re.compile(r"(^|\s)/(home|tmp|Users)/")


@dataclass
class Unit:
    line: int  # of the README
    code: str
    shown: str | None  # the first output line a transcript shows, if any
    kind: str  # "block" or "command"


def units(text: str) -> list[Unit]:
    found: list[Unit] = []
    for match in re.finditer(r"^```(\w+)\n(.*?)^```", text, re.S | re.M):
        language, body = match.group(1), match.group(2)
        line = text.count("\n", 0, match.start()) + 2
        if language in ("bash", "sh"):
            if not any(marker in body for marker in NOT_RUN):
                found.append(Unit(line, body, None, "block"))
        elif language in ("console", "text"):
            found.extend(_commands(body, line))
    return found


def _commands(body: str, first_line: int) -> list[Unit]:
    lines = body.splitlines()
    out: list[Unit] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            i += 1
            continue
        start = i
        command = lines[i][2:]
        while command.endswith("\\") and i + 1 < len(lines):
            i += 1
            command = command[:-1] + " " + lines[i].strip()
        i += 1
        shown = lines[i] if i < len(lines) and not lines[i].startswith("$ ") else None
        if shown is not None and (
            shown.strip() in ("", "...") or "..." in shown or _ABSOLUTE.search(shown)
        ):
            shown = None  # elided, or a path that is the reader's own
        out.append(Unit(first_line + start, command, shown, "command"))
    return out


def test_the_readme_is_parsed_into_runnable_units() -> None:
    """Fast: the README has the runnable walkthrough this file relies on."""
    found = units(README.read_text(encoding="utf-8"))
    blocks = [u for u in found if u.kind == "block"]
    commands = [u.code for u in found if u.kind == "command"]
    assert len(blocks) >= 8 and len(commands) >= 10
    assert "klgen init" in commands and "klgen check" in commands
    assert any(c.startswith("klgen verify") for c in commands)


@pytest.mark.harness
def test_every_readme_command_works_when_pasted_in_order(tmp_path: Path) -> None:
    found = units(README.read_text(encoding="utf-8"))
    work = tmp_path / "work"
    work.mkdir()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    script = ["cd " + str(work)]
    for n, unit in enumerate(found):
        unit_file = tmp_path / f"unit{n}.sh"
        if unit.kind == "block":
            # The ERR trap sees every failing command of the block, not only the last.
            code = f"__failed=0\ntrap '__failed=1' ERR\n{unit.code}\ntrap - ERR\n"
            code += "(exit $__failed)\n"
        else:
            code = unit.code + "\n"
        unit_file.write_text(code, encoding="utf-8")
        script.append(
            f"source {unit_file} > {tmp_path}/out{n} 2>&1; "
            f'echo "{n} $?" >> {tmp_path}/codes'
        )
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "TMPDIR": str(scratch),
        "NO_COLOR": "1",
        "COLUMNS": "100",
        "KLGEN_CACHE_DIR": str(tmp_path / "cache"),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_AUTHOR_NAME": "readme",
        "GIT_AUTHOR_EMAIL": "readme@klgen.invalid",
        "GIT_COMMITTER_NAME": "readme",
        "GIT_COMMITTER_EMAIL": "readme@klgen.invalid",
    }
    env.pop("KERAS_BACKEND", None)
    subprocess.run(
        ["bash", "-c", "\n".join(script)],
        env=env,
        cwd=work,
        timeout=1800,
        check=False,
    )
    codes = dict(
        line.split()
        for line in (tmp_path / "codes").read_text(encoding="utf-8").splitlines()
    )
    problems = []
    for n, unit in enumerate(found):
        output = (tmp_path / f"out{n}").read_text(encoding="utf-8", errors="replace")
        code = int(codes.get(str(n), "-1"))
        where = f"README.md:{unit.line}: `{unit.code.strip().splitlines()[0]}`"
        if unit.kind == "block" and code != 0:
            problems.append(f"{where}: exit {code}\n{output[-2000:]}")
        elif unit.kind == "command" and code not in (0, 1, 2):
            problems.append(f"{where}: exit {code}\n{output[-2000:]}")
        elif unit.shown is not None:
            wanted = _TIMING.sub("", unit.shown).split()
            got = [_TIMING.sub("", line).split() for line in output.splitlines()]
            if wanted not in got:
                problems.append(
                    f"{where}: the README shows {unit.shown!r}, the command printed:\n"
                    f"{output[-2000:]}"
                )
    assert not problems, "\n\n".join(problems)
