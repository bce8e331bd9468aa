"""Running klgen for the hardening tests: in-process (fast) or as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from keraslayer_gen.cli import app

KLGEN = str(Path(sys.executable).parent / "klgen")


def klgen(folder: Path, argv: list[str]) -> Any:
    """`klgen ARGV` in-process with `folder` as the working directory."""
    before = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(app, argv, catch_exceptions=True)
    finally:
        os.chdir(before)


def files(root: Path) -> dict[str, bytes]:
    """Every file under `root` (symlinks not followed) and its bytes."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


@dataclass
class Finished:
    """A klgen process that ran to its end: exit code, output, peak memory."""

    returncode: int
    stdout: str
    stderr: str
    maxrss_kb: int


#: Runs klgen and reports its exit and peak memory. The peak must come from a process
#: forked by this small launcher: Linux counts a forked process's inherited pages (here,
#: those of a pytest that may have imported TensorFlow) in its `ru_maxrss` across exec.
_LAUNCHER = """
import json, os, resource, subprocess, sys
report, limit = sys.argv[1], int(sys.argv[2])
if limit:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
child = subprocess.Popen(sys.argv[3:])
_, status, usage = os.wait4(child.pid, 0)
with open(report, "w") as handle:
    json.dump({"code": os.waitstatus_to_exitcode(status), "maxrss": usage.ru_maxrss}, handle)
"""


def run_process(
    argv: list[str],
    cwd: Path,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    memory_limit: int = 0,
) -> Finished:
    """`klgen ARGV` as its own process, its address space limited to `memory_limit` bytes
    (0: no limit); `timeout` only stops a hang."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        out, err = Path(scratch) / "out", Path(scratch) / "err"
        with out.open("w") as stdout, err.open("w") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-c", _LAUNCHER, str(report), str(memory_limit), KLGEN]
                + argv,
                cwd=cwd,
                env={**os.environ, **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
                raise AssertionError(
                    f"klgen {' '.join(argv)} did not end in {timeout} s"
                ) from None
        result = json.loads(report.read_text())
        return Finished(
            result["code"], out.read_text(), err.read_text(), result["maxrss"]
        )
