"""SIGTERM or SIGINT to `klgen verify`, whenever it arrives, ends every process verify started
(its workers and their reload processes) and exits 130, printing what finished.

Processes are followed through /proc (no psutil): every descendant of the klgen process, and
every process in the session of one (a reload process outlives a killed worker only by being
re-parented, and keeps the worker's session)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import SCALE, broken_call, write_layer

pytestmark = [
    pytest.mark.harness,
    pytest.mark.skipif(
        not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)"
    ),
]
KLGEN = [sys.executable, "-m", "keraslayer_gen.cli"]


def _stat(pid: int) -> tuple[int, int, str, str] | None:
    """(ppid, session, state, start time) of `pid`, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[3]), fields[0], fields[19]


def _tree(root: int) -> dict[int, str]:
    """pid -> start time of every live descendant of `root` and of their sessions."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None:
                table[int(entry)] = stat
    found: set[int] = set()
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        children = [p for p, s in table.items() if s[0] == parent and p not in found]
        found.update(children)
        frontier += children
    sessions = (
        {table[p][1] for p in found if p in table and table[p][1] != table[root][1]}
        if root in table
        else set()
    )
    found.update(p for p, s in table.items() if s[1] in sessions)
    found.discard(root)
    return {p: table[p][3] for p in found if p in table}


class Watched:
    """`klgen verify` running, its processes recorded every 50 ms, its stderr collected."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            [*KLGEN, *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.seen: dict[int, str] = {}
        self.stderr: list[str] = []
        self.stdout: list[str] = []
        self._stop = False
        threading.Thread(target=self._watch, daemon=True).start()
        self._readers = [
            threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            for stream, lines in (
                (self.process.stderr, self.stderr),
                (self.process.stdout, self.stdout),
            )
        ]
        for reader in self._readers:
            reader.start()

    def _watch(self) -> None:
        while not self._stop and self.process.poll() is None:
            self.seen.update(_tree(self.process.pid))
            time.sleep(0.05)

    @staticmethod
    def _read(stream: Any, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    def wait_for(self, predicate, seconds: float = 600) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + seconds
        while not predicate():
            assert self.process.poll() is None, "".join(self.stderr)
            assert time.monotonic() < deadline, "".join(self.stderr)
            time.sleep(0.05)

    def interrupt(self, signum: int) -> tuple[int, str]:
        self.process.send_signal(signum)
        self.process.wait(timeout=120)
        for reader in self._readers:
            reader.join(timeout=30)
        self._stop = True
        return self.process.returncode, "".join(self.stdout)

    def survivors(self) -> list[int]:
        """Recorded processes still alive (same start time, not a zombie) after 5 s."""
        deadline = time.monotonic() + 5
        while True:
            alive = []
            for pid, started in self.seen.items():
                stat = _stat(pid)
                if stat is not None and stat[3] == started and stat[2] != "Z":
                    alive.append(pid)
            if not alive or time.monotonic() > deadline:
                return alive
            time.sleep(0.1)


def _workers(watched: Watched) -> int:
    return sum(1 for pid in list(watched.seen) if b"harness.worker" in _cmdline(pid))


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


SIGNALS = [signal.SIGTERM, signal.SIGINT]


@pytest.fixture()
def layers(tmp_path: Path) -> Path:
    write_layer(tmp_path, "scale", SCALE)
    write_layer(
        tmp_path,
        "slow",
        broken_call("time.sleep(3)\n", "import time").replace(
            "class Scale", "class Slow"
        ),
    )
    return tmp_path


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_signal_in_the_first_second_leaves_nothing_behind(
    layers: Path, signum: int, fast_backend: str
) -> None:
    watched = Watched(
        ["verify", "scale.py", "--input-shape", "2,3", "--backend", fast_backend],
        layers,
    )
    time.sleep(0.7)
    code, _ = watched.interrupt(signum)
    assert code == 130, "".join(watched.stderr)
    assert watched.survivors() == []
    assert "Traceback" not in "".join(watched.stderr)


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_signal_during_imports_ends_the_worker_and_its_reload_process(
    layers: Path, signum: int, fast_backend: str
) -> None:
    watched = Watched(
        [
            "verify",
            "scale.py",
            "--input-shape",
            "2,3",
            "--backend",
            fast_backend,
            "--only",
            "build,save-load",
        ],
        layers,
    )
    # the worker and its early-started reload process both exist, Keras not imported yet
    watched.wait_for(lambda: _workers(watched) >= 1 and len(watched.seen) >= 2)
    assert not any("imported" in line for line in watched.stderr)
    code, _ = watched.interrupt(signum)
    assert code == 130, "".join(watched.stderr)
    assert watched.survivors() == []


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_signal_mid_check_prints_what_finished_and_leaves_nothing_behind(
    layers: Path, signum: int, fast_backend: str
) -> None:
    watched = Watched(
        [
            "verify",
            "scale.py",
            "slow.py:Slow",
            "--input-shape",
            "2,3",
            "--backend",
            fast_backend,
            "--only",
            "build,shapes,save-load",
        ],
        layers,
    )
    # Scale finished, Slow is inside its (3 s) build check
    watched.wait_for(
        lambda: any(
            f"{fast_backend}: Scale save-load" in line for line in watched.stderr
        )
    )
    time.sleep(1.0)
    code, stdout = watched.interrupt(signum)
    err = "".join(watched.stderr)
    assert code == 130, err
    assert watched.survivors() == []
    assert stdout.startswith("Scale  (")  # the layer that finished is reported
    assert "save-load" in stdout and "Slow" not in stdout
    assert "interrupted; 1 layer run(s) finished" in err
    assert f"not finished: Slow on {fast_backend}" in err
    assert "Traceback" not in err
