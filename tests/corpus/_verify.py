"""Run `klgen verify --json` from the tests: one call per layer for all its backends,
a few calls at a time.

Shared by tests/test_corpus.py and tests/test_peers.py. Expectations use the keys of a
corpus `CASE["expect"]` (see `tests.corpus`), and become `klgen verify` options.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
_KLGEN = "import sys; from keraslayer_gen.cli import app; sys.argv[0] = 'klgen'; app()"
#: Harness calls in flight at once; each keeps about one worker process busy.
JOBS = int(os.environ.get("KLGEN_HARNESS_JOBS", "2"))


def installed_backends(target: str = "keras3") -> list[str]:
    from keraslayer_gen.harness import installed_backends as installed

    return installed(target)


def verify_argv(
    target: str, expect: dict[str, Any], backends: list[str], full: bool = False
) -> list[str]:
    """The `klgen verify` command line that declares every expectation in `expect`."""
    argv = [
        sys.executable,
        "-c",
        _KLGEN,
        "verify",
        target,
        "--json",
        "--backend",
        ",".join(backends),
        "--input-shape",
        ",".join(map(str, expect["input_shape"])),
        "--init",
        json.dumps(expect["init"]),
    ]
    if "output_shape" in expect:
        argv += ["--output-shape", ",".join(map(str, expect["output_shape"]))]
    for key in ("masking", "trainable", "non_trainable", "seed_generators"):
        if key in expect:
            argv += [f"--{key.replace('_', '-')}", str(expect[key])]
    for key in ("training", "stochastic", "mask"):
        if key in expect:
            argv.append(f"--{key}" if expect[key] else f"--no-{key}")
    for name in expect.get("state", ()):
        argv += ["--state", name]
    if full:
        argv.append("--full")
    return argv


def run_verify(argv: list[str]) -> dict[str, Any]:
    """The one layer report of a `klgen verify --json` run (exit 0 or 1 required)."""
    out = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=3600)
    if out.returncode not in (0, 1):
        raise AssertionError(
            f"klgen verify exited {out.returncode}:\n{out.stderr[-4000:]}"
        )
    report = json.loads(out.stdout)
    if len(report["layers"]) != 1:
        raise AssertionError(
            f"expected one layer in the report, got {report['layers']}"
        )
    return report["layers"][0]


class ReportPool:
    """Reports by key, computed `JOBS` at a time in the background, in submission order."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, JOBS))
        self._futures: dict[Any, Future[dict[str, Any]]] = {}

    def submit(self, key: Any, argv: list[str]) -> None:
        if key not in self._futures:
            self._futures[key] = self._pool.submit(run_verify, argv)

    def get(self, key: Any, argv: list[str]) -> dict[str, Any]:
        self.submit(key, argv)
        return self._futures[key].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def table(layer: dict[str, Any]) -> str:
    """The report's results, one line each, for assertion messages."""
    return "\n".join(
        f"  {r['status']:4} {r['check']:16} [{r['backend'] or 'static'}] "
        f"{r['message']}"
        for r in layer["results"]
    )


def legit_skip(result: dict[str, Any]) -> bool:
    """A skip that says why, and not because a worker crashed or timed out."""
    message = result["message"]
    return (
        result["status"] == "skip"
        and bool(message)
        and not message.startswith("not run")
    )
