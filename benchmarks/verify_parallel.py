"""`klgen verify` at scale: `python benchmarks/verify_parallel.py [--runs N] [--jobs J]`.

Three ratios, each against a baseline measured in the same run (interleaved, so load hits
both sides alike), on the catalogue layers generated into a temporary folder, with the
default checks:

1. one layer (`dense`) on the three backends in one call, against the slowest backend
   alone (target <= 1.3x on a machine with >= 3 CPUs; with fewer CPUs than backends the
   backends queue for a CPU, `-j`, and the figure is reported as measured);
2. the six catalogue layers in one call on JAX, against six calls (target <= 0.35x);
3. per extra layer in one call, after imports: the mean run time of layers 2-6 in the
   one-call run on each backend (target <= 1.5 s per backend).

Each figure is the median of `--runs` runs (default 1). Wall time of the `klgen verify`
process, and CPU time of it and the workers it waited for.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, table  # noqa: E402

BACKENDS = ("tensorflow", "jax", "torch")
#: The catalogue of issue 15's figures (later examples use fields of issue 11).
SIX = (
    "decaying-dropout",
    "dense",
    "group-normalization",
    "masked-average-pooling",
    "moving-average-normalization",
    "padding-mask",
)
VERIFY = [sys.executable, "-m", "keraslayer_gen.cli", "verify", "--quiet", "--json"]


def verify(
    folder: Path, targets: list[str], backends: list[str], jobs: int | None
) -> tuple[float, dict]:  # type: ignore[type-arg]
    """(wall, report) of one `klgen verify` call."""
    argv = [*VERIFY, *targets, "--backend", ",".join(backends)]
    if jobs is not None:
        argv += ["-j", str(jobs)]
    start = time.perf_counter()
    done = subprocess.run(
        argv, cwd=folder, capture_output=True, stdin=subprocess.DEVNULL
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"klgen verify failed (exit {done.returncode}): {' '.join(argv)}\n"
            + done.stderr.decode(errors="replace")[-3000:]
        )
    return wall, json.loads(done.stdout)


def _children_cpu() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system


def timed(
    folder: Path, targets: list[str], backends: list[str], jobs: int | None
) -> tuple[float, float, dict]:  # type: ignore[type-arg]
    before = _children_cpu()
    wall, report = verify(folder, targets, backends, jobs)
    return wall, _children_cpu() - before, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=None, help="-j for klgen verify")
    parser.add_argument(
        "--examples",
        default=",".join(SIX),
        help="catalogue examples of figures 2 and 3 (default: the six of issue 15; "
        "'all' for every example)",
    )
    args = parser.parse_args()
    from keraslayer_gen import api
    from keraslayer_gen.harness import installed_backends

    backends = [b for b in BACKENDS if b in installed_backends()]
    print(machine(["keras", "tensorflow", "jax", "torch"]))
    print(
        f"CPUs available to this process: {len(os.sched_getaffinity(0))}; "
        f"backends: {', '.join(backends)}; -j {args.jobs or 'default (one per CPU)'}\n"
    )
    with tempfile.TemporaryDirectory(prefix="klgen-bench-verify-") as tmp:
        folder = Path(tmp)
        files = []
        names = (
            list(api.example_names())
            if args.examples == "all"
            else [n.strip() for n in args.examples.split(",") if n.strip()]
        )
        for name in names:
            api.generate(name, out=folder)
            files.append(f"{api.load_example(name).spec.module_name}.py")
        dense = ["dense.py"]

        # 1. one layer, three backends at once vs the slowest alone
        together, alone = [], {b: [] for b in backends}  # type: ignore[var-annotated]
        for _ in range(args.runs):
            together.append(timed(folder, dense, backends, args.jobs)[:2])
            for backend in backends:
                alone[backend].append(timed(folder, dense, [backend], args.jobs)[:2])
        med = {b: statistics.median(w for w, _ in v) for b, v in alone.items()}
        slowest = max(med, key=med.__getitem__)
        wall3 = statistics.median(w for w, _ in together)
        cpu3 = statistics.median(c for _, c in together)
        rows = [
            [
                f"{b} alone",
                f"{med[b]:.1f} s",
                "",
                f"{statistics.median(c for _, c in alone[b]):.1f} s",
            ]
            for b in backends
        ]
        rows.append(
            [
                f"{len(backends)} backends, one call",
                f"{wall3:.1f} s",
                f"{wall3 / med[slowest]:.2f}x (vs {slowest})",
                f"{cpu3:.1f} s",
            ]
        )
        print(
            f"1. one layer (dense) on {len(backends)} backends vs the slowest alone "
            "(target <= 1.3x with >= 3 CPUs)"
        )
        print(table(["run", "wall", "ratio", "CPU"], rows) + "\n")

        # 2. six layers in one call vs six calls (JAX)
        backend = "jax" if "jax" in backends else backends[0]
        one, six = [], []
        for _ in range(args.runs):
            one.append(timed(folder, files, [backend], args.jobs))
            walls = [timed(folder, [f], [backend], args.jobs)[:2] for f in files]
            six.append((sum(w for w, _ in walls), sum(c for _, c in walls)))
        wall1 = statistics.median(w for w, _, _ in one)
        wall6 = statistics.median(w for w, _ in six)
        print(
            f"2. the {len(files)} catalogue layers on {backend}: one call vs "
            f"{len(files)} calls (target <= 0.35x)"
        )
        print(
            table(
                ["run", "wall", "ratio", "CPU"],
                [
                    [
                        f"{len(files)} calls",
                        f"{wall6:.1f} s",
                        "1.00x",
                        f"{statistics.median(c for _, c in six):.1f} s",
                    ],
                    [
                        "one call",
                        f"{wall1:.1f} s",
                        f"{wall1 / wall6:.2f}x",
                        f"{statistics.median(c for _, c, _ in one):.1f} s",
                    ],
                ],
            )
            + "\n"
        )

        # 3. per extra layer after imports, every backend, six layers in one call
        _, _, report = timed(folder, files, backends, args.jobs)
        rows = []
        for name in backends:
            runs = [
                b
                for layer in report["layers"]
                for b in layer["backends"]
                if b["backend"] == name
            ]
            first, rest = runs[0], runs[1:]
            rows.append(
                [
                    name,
                    f"{first['seconds']:.1f} s (imports {first['import_seconds']:.1f} s)",
                    f"{statistics.mean(r['seconds'] for r in rest):.2f} s",
                    f"{max(r['seconds'] for r in rest):.2f} s",
                ]
            )
        print(
            f"3. per extra layer in one call, after imports ({len(files)} layers, "
            "target <= 1.5 s per backend)"
        )
        print(table(["backend", "first layer", "mean of layers 2-6", "max"], rows))
        print(
            "\nwhere the time of layers 2-6 goes: mean seconds per check and layer "
            "(the rest of a layer's time is importing it and resetting Keras)"
        )
        print(table(["check", *backends], _per_check(report, backends)))


def _per_check(report: dict, backends: list[str]) -> list[list[str]]:  # type: ignore[type-arg]
    """check -> mean seconds over layers 2-6, per backend, slowest first."""
    rest = report["layers"][1:]
    seconds: dict[str, dict[str, list[float]]] = {}
    for layer in rest:
        for result in layer["results"]:
            by = seconds.setdefault(result["check"], {b: [] for b in backends})
            by.setdefault(result["backend"], []).append(result["seconds"])
    mean = {
        check: {b: statistics.mean(v) if v else 0.0 for b, v in by.items()}
        for check, by in seconds.items()
    }
    order = sorted(mean, key=lambda c: -sum(mean[c].values()))
    return [[c, *(f"{mean[c].get(b, 0.0):.2f} s" for b in backends)] for c in order]


if __name__ == "__main__":
    main()
