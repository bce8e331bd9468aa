"""Shared helpers of the benchmarks: timed subprocesses, medians, tables, the machine."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Sample:
    """One run of a command: wall time, CPU time (user + system) and peak RSS."""

    wall: float
    cpu: float
    maxrss_kb: int


def run_once(
    cmd: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Sample:
    """Run `cmd` to completion; its own resource usage comes from `wait4`, so nothing
    else this process started is counted. A failing command stops the benchmark."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd),
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(
            f"benchmark command failed (exit {proc.returncode}): {' '.join(cmd)}\n"
            + stderr.decode(errors="replace")
        )
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, columns padded so it also reads well on a terminal."""
    widths = [
        max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))
    ]

    def line(cells: Sequence[str]) -> str:
        return (
            "| "
            + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True))
            + " |"
        )

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def _cpu_model() -> str:
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                return text.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for text in Path("/proc/meminfo").read_text().splitlines():
            if text.startswith("MemTotal:"):
                return f"{int(text.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def machine(packages: Sequence[str] = ()) -> str:
    """One paragraph describing where the figures were measured."""
    names = (
        "keraslayer-gen",
        "typer",
        "jinja2",
        "black",
        "pydantic",
        "pyyaml",
        *packages,
    )
    versions = ", ".join(f"{n} {_version(n)}" for n in names)
    return (
        f"{os.cpu_count()} CPUs ({_cpu_model()}), {_memory()} RAM, "
        f"{platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; {versions}"
    )
