"""Progress of `klgen verify` on stderr: plain lines without a terminal, a live line per
backend on one, `--quiet`, `NO_COLOR` / `--no-color`. Fed with events; no Keras."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from keraslayer_gen.harness.progress import LiveProgress, PlainProgress
from keraslayer_gen.harness.report import CheckResult, LayerReport, Report

from .conftest import SCALE, write_layer

KLGEN = [sys.executable, "-m", "keraslayer_gen.cli"]
NAMES = {
    ("jax", 0): "Dense",
    ("jax", 1): "Gate",
    ("torch", 0): "Dense",
    ("torch", 1): "Gate",
}


def _feed(progress: Any) -> None:
    for event in (
        {"kind": "worker", "backend": "jax", "jobs": [0, 1]},
        {"kind": "ready", "backend": "jax", "seconds": 4.2, "keras": "3.15.1"},
        {"kind": "layer", "backend": "jax", "job": 0, "layer": "Dense"},
        {"kind": "check-begin", "backend": "jax", "job": 0, "check": "build"},
        {
            "kind": "check-end",
            "backend": "jax",
            "job": 0,
            "check": "build",
            "status": "pass",
            "seconds": 0.25,
        },
        {
            "kind": "layer-done",
            "backend": "jax",
            "job": 0,
            "status": "ok",
            "seconds": 5.0,
        },
        {"kind": "layer", "backend": "jax", "job": 1, "layer": "Gate"},
        {"kind": "check-begin", "backend": "jax", "job": 1, "check": "build"},
        {
            "kind": "check-end",
            "backend": "jax",
            "job": 1,
            "check": "build",
            "status": "fail",
            "seconds": 0.5,
        },
        {
            "kind": "layer-done",
            "backend": "jax",
            "job": 1,
            "status": "fail",
            "seconds": 1.0,
        },
    ):
        progress(event)


def test_plain_progress_prints_one_line_per_check_and_per_backend() -> None:
    stream = io.StringIO()
    progress = PlainProgress(["jax", "torch"], NAMES, stream)
    _feed(progress)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "jax: Keras 3.15.1 imported in 4.2s"
    assert lines[1] == "jax: Dense build pass 0.25s"
    assert lines[2] == "jax: Gate build fail 0.50s"
    assert (
        lines[3].startswith("jax: done, 2 layer(s) in ")
        and "1 with failures" in lines[3]
    )
    assert len(lines) == 4  # torch has not reported: nothing about it


def test_live_progress_shows_layer_check_and_elapsed_per_backend() -> None:
    stream = io.StringIO()
    progress = LiveProgress(["jax", "torch"], NAMES, stream, color=False)
    try:
        for event in (
            {"kind": "worker", "backend": "jax", "jobs": [0, 1]},
            {"kind": "layer", "backend": "jax", "job": 0, "layer": "Dense"},
            {"kind": "check-begin", "backend": "jax", "job": 0, "check": "save-load"},
        ):
            progress(event)
        text = progress.render().plain
    finally:
        progress.close()
    jax, torch = text.splitlines()
    assert jax.startswith("jax    [0/2] Dense · save-load · ") and jax.endswith("s)")
    assert torch == "torch  [0/2] waiting for a free CPU"
    assert "\x1b[" not in stream.getvalue()  # no colour when told so


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KLGEN, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=600,
    )


def test_colour_follows_no_color_and_the_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    from keraslayer_gen.cli.output import print_report

    report = Report(
        [
            LayerReport(
                "x.py",
                "X",
                checks=["build"],
                results=[CheckResult("build", None, "pass")],
            )
        ]
    )

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    monkeypatch.setattr(sys, "stdout", out)
    print_report(report, as_json=False, color=True)
    assert "\x1b[32m" in out.getvalue()
    out = Tty()
    monkeypatch.setattr(sys, "stdout", out)
    print_report(report, as_json=False, color=False)
    assert "\x1b[" not in out.getvalue()


@pytest.mark.harness
def test_without_a_terminal_progress_is_plain_lines_and_quiet_silences_it(
    tmp_path: Path, fast_backend: str
) -> None:
    write_layer(tmp_path, "scale", SCALE)
    args = [
        "verify",
        "scale.py",
        "--input-shape",
        "2,3",
        "--backend",
        fast_backend,
        "--only",
        "build,shapes",
    ]
    done = _run(args, tmp_path, NO_COLOR="1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{fast_backend}: Scale build pass" in done.stderr
    assert f"{fast_backend}: Scale shapes pass" in done.stderr
    assert f"{fast_backend}: done, 1 layer(s) in" in done.stderr
    assert "\x1b[" not in done.stdout + done.stderr
    quiet = _run([*args, "--quiet", "--json"], tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert json.loads(quiet.stdout)["interrupted"] is False
