"""Bulk check: `klgen check` over 200 generated layers against `black --check` on the same
files, and klgen with its caches warm against cold.

A repository is made with 200 varied specs (drawn, with a fixed seed, from the strategy
of the property tests, so they cover every field kind of the format) and `klgen sync`
generates their layers and tests. Then, `--runs` times each, interleaved:

* `klgen check`, cold: an empty `KLGEN_CACHE_DIR` (black's output and the compiled
  templates made again) — it validates 200 specs, renders 400 files, compares them with
  the disk and lints the 200 layers;
* `klgen check`, warm: the cache of the previous run;
* `black --check` on the 400 generated files with black's own cache empty
  (`BLACK_CACHE_DIR` a new folder each run) — black's parse and format of each file,
  with its default process pool (`--workers`, all CPUs).

Targets: klgen cold <= 1.5x black; klgen warm <= 0.2x klgen cold.

    .venv/bin/python benchmarks/bulk_check.py [--layers 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import BIN, REPO, Sample, machine, median, run_once, table

PYPROJECT = """\
[project]
name = "bench"
version = "0.0.0"

[tool.klgen]
package = "bench"
layers_dir = "src/bench/layers"
tests_dir = "tests/layers"
"""


def draw_specs(count: int, seed: int = 20261127) -> list[str]:
    """`count` valid spec texts with distinct class and module names."""
    sys.path.insert(0, str(REPO))
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    from tests.hardening.strategies import spec_yaml, specs

    drawn: list[str] = []

    @hypothesis_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(specs())
    def collect(data: dict) -> None:
        if len(drawn) >= count:
            return
        data.pop("allow_shadowing", None)
        data.pop("module", None)
        data["name"] = f"Layer{len(drawn):03d}{data['name']}"
        drawn.append(spec_yaml(data))

    collect()
    return drawn


def make_repository(root: Path, count: int, env: dict[str, str]) -> list[Path]:
    layers = root / "src" / "bench" / "layers"
    layers.mkdir(parents=True)
    (root / "src" / "bench" / "__init__.py").write_text("", encoding="utf-8")
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for i, text in enumerate(draw_specs(count)):
        (layers / f"spec{i:03d}.klgen.yaml").write_text(text, encoding="utf-8")
    done = subprocess.run(
        [str(BIN / "klgen"), "sync"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"klgen sync failed:\n{done.stdout}\n{done.stderr}")
    generated = sorted(
        p
        for p in root.rglob("*.py")
        if p.name != "__init__.py" and "# klgen-digest:" in p.read_text("utf-8")
    )
    if len(generated) != 2 * count:
        raise SystemExit(
            f"expected {2 * count} generated files, found {len(generated)}"
        )
    return generated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="klgen-bulk-"))
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KLGEN_", "BLACK_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    base["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    warm = {**base, "KLGEN_CACHE_DIR": str(work / "warm-cache")}
    repo = work / "repo"
    generated = make_repository(repo, options.layers, warm)
    klgen = [str(BIN / "klgen"), "check"]
    black = [str(BIN / "black"), "--check", "-q", "-l", "80", "-t", "py310"]
    black += [str(p) for p in generated]
    counter = [0]

    def fresh(name: str) -> str:
        counter[0] += 1
        return str(work / f"{name}-{counter[0]}")

    rows = {
        "klgen check, cold": lambda: run_once(
            klgen, env={**base, "KLGEN_CACHE_DIR": fresh("cold")}, cwd=repo
        ),
        "klgen check, warm": lambda: run_once(klgen, env=warm, cwd=repo),
        "black --check, no cache": lambda: run_once(
            black, env={**base, "BLACK_CACHE_DIR": fresh("black")}, cwd=repo
        ),
    }
    rows["klgen check, warm"]()  # prime the warm cache and Python's bytecode
    samples: dict[str, list[Sample]] = {name: [] for name in rows}
    for _ in range(options.runs):
        for name, run in rows.items():
            samples[name].append(run())
    wall = {n: median([s.wall for s in v]) for n, v in samples.items()}
    cpu = {n: median([s.cpu for s in v]) for n, v in samples.items()}
    black_wall, cold_wall = wall["black --check, no cache"], wall["klgen check, cold"]
    print(f"machine: {machine()}")
    print(
        f"{options.layers} specs -> {len(generated)} generated files; median of "
        f"{options.runs} runs, interleaved\n"
    )
    out = []
    for name in rows:
        out.append(
            [
                name,
                f"{wall[name]:.2f} s",
                f"{cpu[name]:.2f} s",
                f"{wall[name] / black_wall:.2f}x",
                f"{wall[name] / cold_wall:.2f}x",
                f"{max(s.maxrss_kb for s in samples[name]) / 1024:.0f} MiB",
            ]
        )
    print(
        table(
            [
                "command",
                "wall",
                "CPU (all processes)",
                "/ black",
                "/ klgen cold",
                "peak RSS",
            ],
            out,
        )
    )
    print()
    ratio = cold_wall / black_wall
    print(
        f"target klgen cold <= 1.5x black: {ratio:.2f}x",
        "met" if ratio <= 1.5 else "MISSED",
    )
    ratio = wall["klgen check, warm"] / cold_wall
    print(
        f"target klgen warm <= 0.2x klgen cold: {ratio:.2f}x",
        "met" if ratio <= 0.2 else "MISSED",
    )


if __name__ == "__main__":
    main()
