"""CLI latency: `klgen new --dry-run` and `klgen check` against the import floor.

The floor is `python -c "import typer, jinja2, black, yaml, pydantic"`: what any command
built on klgen's dependencies must pay. Each command runs as a fresh subprocess, `--runs`
times, interleaved with the floor so that a burst of load elsewhere hits every row alike;
the table shows medians (wall and CPU), the ratio to the floor's median, and the peak RSS.

"cold" gives every run an empty `KLGEN_CACHE_DIR` (black's output and compiled templates
must be made again); "warm" reuses one cache primed by a first run. Python's own bytecode
is warm in both, as it is after installing klgen from a wheel: the runs write and read it
under a private `PYTHONPYCACHEPREFIX` (even where `PYTHONDONTWRITEBYTECODE` is set, which
would otherwise make every run compile klgen's modules from source).

    .venv/bin/python benchmarks/cli_latency.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from _common import BIN, Sample, machine, median, run_once, table

TARGET = 1.3
FLOOR = "import typer, jinja2, black, yaml, pydantic"
PYPROJECT = """\
[project]
name = "bench"
version = "0.0.0"

[tool.klgen]
package = "bench"
layers_dir = "layers"
tests_dir = "tests"
"""


def has_command(klgen: str, name: str) -> bool:
    """Whether this klgen has the subcommand `name` (another issue adds `check`)."""
    done = subprocess.run(
        [klgen, name, "--help"], capture_output=True, text=True, check=False
    )
    return done.returncode == 0


def make_repository(root: Path, klgen: str, env: dict[str, str]) -> None:
    """A repository with one layer generated from a saved spec: what `check` reads."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    done = subprocess.run(
        [klgen, "new", "--example", "dense"],
        cwd=root,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"klgen new --example dense failed:\n{done.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per row (>= 9)")
    parser.add_argument("--klgen", default=str(BIN / "klgen"))
    options = parser.parse_args()
    runs = max(options.runs, 9)
    klgen = options.klgen
    python = sys.executable

    work = Path(tempfile.mkdtemp(prefix="klgen-bench-"))
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("KLGEN_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    base_env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    warm_cache = work / "warm-cache"
    repo = work / "repo"
    make_repository(repo, klgen, {**base_env, "KLGEN_CACHE_DIR": str(warm_cache)})
    with_check = has_command(klgen, "check")

    cold_count = [0]

    def cold_env() -> dict[str, str]:
        cold_count[0] += 1
        return {**base_env, "KLGEN_CACHE_DIR": str(work / f"cold-{cold_count[0]}")}

    def warm_env() -> dict[str, str]:
        return {**base_env, "KLGEN_CACHE_DIR": str(warm_cache)}

    new = [klgen, "new", "--example", "dense", "--dry-run"]
    check = [klgen, "check"]
    rows: list[tuple[str, str, list[str], Callable[[], dict[str, str]]]] = [
        ("python -c pass", "-", [python, "-c", "pass"], warm_env),
        ("floor: " + FLOOR, "-", [python, "-c", FLOOR], warm_env),
        ("klgen new --example dense --dry-run", "cold", new, cold_env),
        ("klgen new --example dense --dry-run", "warm", new, warm_env),
    ]
    if with_check:
        rows += [
            ("klgen check (1 spec)", "cold", check, cold_env),
            ("klgen check (1 spec)", "warm", check, warm_env),
        ]
    for _, _, cmd, env in rows:  # prime: page cache, __pycache__, the warm cache
        run_once(cmd, env=env(), cwd=repo)
    samples: dict[int, list[Sample]] = {i: [] for i in range(len(rows))}
    for _ in range(runs):
        for i, (_, _, cmd, env) in enumerate(rows):
            samples[i].append(run_once(cmd, env=env(), cwd=repo))

    floor_wall = median([s.wall for s in samples[1]])
    floor_cpu = median([s.cpu for s in samples[1]])
    floor_rss = max(s.maxrss_kb for s in samples[1])
    out = []
    for i, (label, cache, _, _) in enumerate(rows):
        wall = median([s.wall for s in samples[i]])
        cpu = median([s.cpu for s in samples[i]])
        rss = max(s.maxrss_kb for s in samples[i])
        out.append(
            [
                label,
                cache,
                f"{wall * 1000:.0f} ms",
                f"{wall / floor_wall:.2f}x",
                f"{cpu * 1000:.0f} ms",
                f"{cpu / floor_cpu:.2f}x",
                f"{rss / 1024:.1f} MiB",
                f"{rss / floor_rss:.2f}x",
            ]
        )
    print(f"machine: {machine()}")
    print(f"{runs} runs per row, interleaved; medians; peak RSS is the maximum.\n")
    print(
        table(
            [
                "command",
                "cache",
                "wall",
                "wall / floor",
                "CPU",
                "CPU / floor",
                "peak RSS",
                "RSS / floor",
            ],
            out,
        )
    )
    print()
    for i, (label, cache, _, _) in enumerate(rows[2:], start=2):
        ratio = median([s.wall for s in samples[i]]) / floor_wall
        verdict = "met" if ratio <= TARGET else "MISSED"
        print(f"target <= {TARGET}x floor, {label} ({cache}): {ratio:.2f}x {verdict}")
    if not with_check:
        print("klgen check: not available in this klgen (`klgen check --help` fails)")


if __name__ == "__main__":
    main()
