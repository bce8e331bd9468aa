"""Run `klgen verify --json` from the tests: one call per layer for all its backends
(`run_verify`), or one run of its engine for many layers (`BatchPool`, through
`tests.corpus._batch`), a few at a time.

Shared by tests/test_corpus.py, tests/test_peers.py and tests/test_verify_calibration.py.
Expectations use the keys of a corpus `CASE["expect"]` (see `tests.corpus`), and become
`klgen verify` options.
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
#: Harness calls in flight at once; each keeps about one worker process busy. Under
#: pytest-xdist (the harness tier runs on two pytest workers) one per pytest worker, so
#: that the machine runs about as many backend workers as it has cores.
JOBS = int(
    os.environ.get(
        "KLGEN_HARNESS_JOBS", "1" if os.environ.get("PYTEST_XDIST_WORKER") else "2"
    )
)


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


def run_batch(
    layers: list[tuple[str, dict[str, Any]]], backends: list[str], full: bool = False
) -> list[dict[str, Any]]:
    """The layer reports, in order, of one `tests.corpus._batch` run over `layers`
    (`(target, expect)` pairs) on `backends`: one worker per backend serves them all."""
    argv = [sys.executable, "-m", "tests.corpus._batch", ",".join(backends)]
    if full:
        argv.append("--full")
    out = subprocess.run(
        argv,
        cwd=REPO,
        input=json.dumps(layers),
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if out.returncode != 0:
        raise AssertionError(
            f"the batch run exited {out.returncode}:\n{out.stderr[-4000:]}"
        )
    report = json.loads(out.stdout)
    if len(report["layers"]) != len(layers):
        raise AssertionError(
            f"expected {len(layers)} layers in the report, got {report['layers']}"
        )
    return list(report["layers"])


class BatchPool:
    """Layer reports by key. The layers `add`ed with the same backends and `full` share
    one batch run (`run_batch`); `start` runs the batches `JOBS` at a time in the
    background, the largest first; `get` waits for a key's report."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, JOBS))
        # (backends, full[, key]) -> keys: one batch run each
        self._groups: dict[tuple[Any, ...], list[Any]] = {}
        self._layers: dict[Any, tuple[str, dict[str, Any]]] = {}
        self._where: dict[Any, tuple[tuple[Any, ...], int]] = {}
        self._futures: dict[tuple[Any, ...], Future[list[Any]]] = {}

    def add(
        self,
        key: Any,
        target: str,
        expect: dict[str, Any],
        backends: list[str],
        full: bool = False,
    ) -> None:
        if key in self._where:
            return
        group: tuple[Any, ...] = (tuple(backends), full)
        if group in self._futures:  # already running: a batch of its own
            group = (tuple(backends), full, key)
        keys = self._groups.setdefault(group, [])
        self._where[key] = (group, len(keys))
        self._layers[key] = (target, expect)
        keys.append(key)

    def start(self) -> None:
        waiting = [g for g in self._groups if g not in self._futures]
        for group in sorted(waiting, key=lambda g: -len(self._groups[g])):
            layers = [self._layers[key] for key in self._groups[group]]
            self._futures[group] = self._pool.submit(
                run_batch, layers, list(group[0]), group[1]
            )

    def get(self, key: Any) -> dict[str, Any]:
        group, index = self._where[key]
        self.start()
        return dict(self._futures[group].result()[index])

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
