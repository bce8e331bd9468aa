"""The harness against Keras's own layer test: `python benchmarks/harness.py [--backend B]`.

For every catalogue layer, in one fresh process per layer (Keras imported, then warmed up
by one serialisation, which makes Keras import TensorFlow lazily on every backend): the
default runtime checks of klgen (checks 4-13, in-process, as `assert_layer_contract` runs
them) next to `keras.src.testing.TestCase.run_layer_test` on the same examples, each run
twice in turn (Keras first). "cold" is the first run of each, "warm" the second; the ratio
is klgen / Keras. Wall and CPU time of the process. klgen's `save-load` reloads the model in
a fresh process; as in a `klgen verify` worker, that process is started when the measuring
process starts, so its own Keras import overlaps the import here and is not timed (its
loading of the models is, in the wall figure).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, machine, table  # noqa: E402

KLGEN = str(REPO / ".venv" / "bin" / "klgen") if (REPO / ".venv").exists() else "klgen"


def _child(folder: str, example: str) -> dict[str, float]:
    """Runs in the fresh process: time both harnesses on one layer."""
    from keraslayer_gen import api
    from keraslayer_gen.harness.worker.checks.saving import shared_reloader

    sys.path.insert(0, folder)
    spec = api.load_example(example).spec
    shared_reloader(
        spec.module_name, list(sys.path), os.environ["KERAS_BACKEND"], "keras"
    )

    import keras
    from keras.src.testing import TestCase

    from keraslayer_gen.harness import expectations_from_spec, select_checks
    from keraslayer_gen.harness.checklist import RUNTIME_CHECKS
    from keraslayer_gen.harness.inprocess import run_in_process

    module = __import__(spec.module_name)
    cls = getattr(module, spec.name)
    keras.saving.serialize_keras_object(keras.layers.Dense(1))  # warm-up: lazy imports
    expectations = expectations_from_spec(spec)
    checks = [c for c in select_checks() if c in RUNTIME_CHECKS]

    class Keras(TestCase):
        def runTest(self) -> None:  # noqa: N802 - unittest's name
            for e in expectations.examples:
                self.run_layer_test(
                    cls,
                    e.init,
                    input_shape=e.input_shape,
                    input_dtype=e.dtype,
                    expected_num_trainable_weights=e.trainable,
                    expected_num_non_trainable_weights=e.non_trainable,
                    expected_num_seed_generators=e.seed_generators,
                    supports_masking=spec.masking != "none",
                    expected_output_shape=e.output_shape,
                )

    def keras_run() -> None:
        case = Keras()
        case.setUp()
        case.runTest()

    def klgen_run() -> None:
        outcome = run_in_process(cls, expectations, checks, module=spec.module_name)
        failed = [r for r in outcome.results if r.status == "fail"]
        if failed:
            raise SystemExit(f"{example}: {failed[0].check}: {failed[0].message}")

    times: dict[str, float] = {}
    for round_ in ("cold", "warm"):
        for name, run in (("keras", keras_run), ("klgen", klgen_run)):
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            times[f"{name}_{round_}_wall"] = time.perf_counter() - wall
            times[f"{name}_{round_}_cpu"] = time.process_time() - cpu
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "jax"))
    parser.add_argument("--examples", default="", help="comma list (default: all)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(*args.child)))
        return 0
    from keraslayer_gen import api

    names = [n for n in args.examples.split(",") if n] or api.example_names()
    rows = []
    with tempfile.TemporaryDirectory(prefix="klgen-bench-") as folder:
        for name in names:
            subprocess.run(
                [KLGEN, "new", "--example", name, "--out", folder],
                check=True,
                capture_output=True,
            )
            env = {
                **os.environ,
                "KERAS_BACKEND": args.backend,
                "TF_CPP_MIN_LOG_LEVEL": "3",
            }
            done = subprocess.run(
                [sys.executable, __file__, "--child", folder, name],
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise SystemExit(f"{name}: {done.stdout}{done.stderr[-3000:]}")
            t = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(
                [
                    name,
                    f"{t['keras_cold_wall']:.2f}",
                    f"{t['klgen_cold_wall']:.2f}",
                    f"{t['klgen_cold_wall'] / t['keras_cold_wall']:.1f}x",
                    f"{t['keras_warm_wall']:.2f}",
                    f"{t['klgen_warm_wall']:.2f}",
                    f"{t['klgen_warm_wall'] / t['keras_warm_wall']:.1f}x",
                    f"{t['klgen_warm_cpu'] / t['keras_warm_cpu']:.1f}x",
                ]
            )
    print(
        f"Backend {args.backend}; seconds after import; load average at the end "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(
        table(
            [
                "layer",
                "keras cold",
                "klgen cold",
                "ratio",
                "keras warm",
                "klgen warm",
                "ratio",
                "cpu ratio",
            ],
            rows,
        )
    )
    print()
    print(machine(("keras", "tensorflow", "jax", "torch")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
