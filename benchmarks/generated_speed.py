"""Generated-code speed: catalogue layers against the Keras layers they mirror.

Each pair gets the same input and the same weights (the Keras layer's, randomised, copied
into the generated one; the outputs and gradients are checked equal first), and is timed
on a training step: forward (`training=True`) and backward (the gradients of a scalar loss
with respect to the inputs and every trainable weight), jit-compiled the way each backend
compiles a train step: `tf.function(jit_compile=True)` (XLA), `jax.jit` of a
`stateless_call`, `torch.compile`. Every pair runs in a process of its own, with
`KERAS_BACKEND` set before Keras is imported: a compiler's caches are never shared (dynamo
stops compiling a function after a few guard failures, and then runs it eagerly, so one
process for several layers measured compiled and eager code by turns).

A step time is the median over `--rounds` rounds of `--steps` steps, after warm-up; the
rounds alternate the two layers, so load elsewhere on the machine hits both alike. The
best-round ratio (the fastest round of each) is what the code costs without that load; the
CPU-time ratio (the process's user + system time) is steadier than wall time on a shared
machine; for JAX, the table also gives XLA's cost analysis of the two compiled steps
(bytes accessed and flops): exact, and the reason behind a difference in time.

    .venv/bin/python benchmarks/generated_speed.py [--backends tensorflow,jax,torch]
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
from inspect import signature
from typing import Any

from _common import REPO, machine, table

TARGET = 1.10

#: catalogue example -> (generated class, its init, the Keras layer and its init, input).
PAIRS: dict[str, dict[str, Any]] = {
    "group-normalization": {
        "module": "group_normalization",
        "cls": "GroupNormalization",
        "init": {"groups": 8},
        "keras": "GroupNormalization",
        "keras_init": {"groups": 8, "epsilon": 1e-3},
        "shape": (16, 32, 32, 64),
        "output": (16, 32, 32, 64),
        "weights": {"gamma": "gamma", "beta": "beta"},
    },
    "dense": {
        "module": "dense",
        "cls": "Dense",
        "init": {"units": 256, "activation": "relu"},
        "keras": "Dense",
        "keras_init": {"units": 256, "activation": "relu"},
        "shape": (64, 128, 256),
        "output": (64, 128, 256),
        "weights": {"kernel": "kernel", "bias": "bias"},
    },
    "moving-average-normalization": {
        "module": "moving_average_normalization",
        "cls": "MovingAverageNormalization",
        "init": {"momentum": 0.99, "epsilon": 1e-3},
        # The catalogue layer has no gamma/beta: compare with them off.
        "keras": "BatchNormalization",
        "keras_init": {
            "momentum": 0.99,
            "epsilon": 1e-3,
            "center": False,
            "scale": False,
        },
        "shape": (32, 32, 32, 64),
        "output": (32, 32, 32, 64),
        "weights": {"moving_mean": "moving_mean", "moving_variance": "moving_variance"},
    },
}


# -- the child: one backend ------------------------------------------------------------
def _pair(folder: str, spec: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    """(generated layer, Keras layer, input, loss weights), built, equal weights."""
    import importlib

    import keras
    import numpy as np

    sys.path.insert(0, folder)
    generated_cls = getattr(importlib.import_module(spec["module"]), spec["cls"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=spec["shape"]).astype("float32") * 2.0 + 0.5
    reference = getattr(keras.layers, spec["keras"])(**spec["keras_init"])
    generated = generated_cls(**spec["init"])
    reference.build(x.shape)
    generated.build(x.shape)
    ours = {v.name: v for v in generated.weights}
    theirs = {v.name: v for v in reference.weights}
    if sorted(ours) != sorted(spec["weights"]):
        raise SystemExit(
            f"{spec['cls']}: weights {sorted(ours)}, not {spec['weights']}"
        )
    for mine, other in spec["weights"].items():
        value = rng.uniform(0.5, 1.5, size=theirs[other].shape).astype("float32")
        theirs[other].assign(value)
        ours[mine].assign(value)
    # The loss is `sum(outputs * r)` for a fixed random `r`: the gradient of a plain sum
    # of squares through a normalisation nearly cancels, and would compare only noise.
    r = rng.normal(size=spec["output"]).astype("float32")
    return generated, reference, x, r


def _step_tensorflow(layer: Any, x: Any, r: Any) -> Any:
    import tensorflow as tf

    inputs, r = tf.constant(x), tf.constant(r)

    @tf.function(jit_compile=True)
    def step(inputs: Any) -> Any:
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            outputs = layer(inputs, training=True)
            loss = tf.reduce_sum(outputs * r)
        return loss, tape.gradient(loss, [inputs, *layer.trainable_variables])

    def run() -> Any:
        loss, grads = step(inputs)
        return loss.numpy(), [g.numpy() for g in grads]

    return run, None


def _step_jax(layer: Any, x: Any, r: Any) -> Any:
    import jax
    import jax.numpy as jnp

    inputs, r = jnp.asarray(x), jnp.asarray(r)
    trainable = [v.value for v in layer.trainable_variables]
    state = {"non_trainable": [v.value for v in layer.non_trainable_variables]}

    # `stateless_call` calls `call` itself, so `training` only where `call` takes it.
    kwargs = (
        {"training": True} if "training" in signature(layer.call).parameters else {}
    )

    def loss_fn(trainable: Any, inputs: Any, non_trainable: Any) -> Any:
        outputs, non_trainable = layer.stateless_call(
            trainable, non_trainable, inputs, **kwargs
        )
        return jnp.sum(outputs * r), non_trainable

    grad_fn = jax.jit(jax.value_and_grad(loss_fn, argnums=(0, 1), has_aux=True))
    # XLA's own account of the compiled step: exact where timings are noisy.
    compiled = grad_fn.lower(trainable, inputs, state["non_trainable"]).compile()
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost

    def run() -> Any:
        (loss, state["non_trainable"]), (g_weights, g_inputs) = grad_fn(
            trainable, inputs, state["non_trainable"]
        )
        jax.block_until_ready((loss, g_weights, g_inputs))
        return float(loss), [g_inputs, *g_weights]

    return run, {"bytes": cost["bytes accessed"], "flops": cost["flops"]}


def _step_torch(layer: Any, x: Any, r: Any) -> Any:
    import torch

    inputs, r = torch.tensor(x, requires_grad=True), torch.tensor(r)
    params = [v.value for v in layer.trainable_variables]

    def step(inputs: Any) -> Any:
        outputs = layer(inputs, training=True)
        loss = torch.sum(outputs * r)
        return loss, torch.autograd.grad(loss, [inputs, *params])

    compiled = torch.compile(step)

    def run() -> Any:
        loss, grads = compiled(inputs)
        return float(loss), list(grads)

    return run, None


def _to_numpy(value: Any) -> Any:
    import keras

    return keras.ops.convert_to_numpy(value)


def child(folder: str, names: list[str], rounds: int, steps: int) -> None:
    import keras
    import numpy as np

    backend = keras.backend.backend()
    make = {"tensorflow": _step_tensorflow, "jax": _step_jax, "torch": _step_torch}[
        backend
    ]
    rows = []
    for name in names:
        spec = PAIRS[name]
        generated, reference, x, r = _pair(folder, spec)
        made = {"generated": make(generated, x, r), "keras": make(reference, x, r)}
        runs = {which: run for which, (run, _) in made.items()}
        costs = {which: cost for which, (_, cost) in made.items()}
        first = {}
        for which, run in runs.items():
            loss, grads = run()  # compiles
            first[which] = (loss, [_to_numpy(g) for g in grads])
        (loss_a, grads_a), (loss_b, grads_b) = first["generated"], first["keras"]
        np.testing.assert_allclose(loss_a, loss_b, rtol=1e-3, atol=1e-3)
        for a, b in zip(grads_a, grads_b, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3 * np.abs(b).max())
        for run in runs.values():
            for _ in range(steps):  # warm-up
                run()
        wall: dict[str, list[float]] = {"generated": [], "keras": []}
        cpu: dict[str, list[float]] = {"generated": [], "keras": []}
        for i in range(rounds):
            order = list(runs) if i % 2 == 0 else list(reversed(runs))
            for which in order:
                start, start_cpu = time.perf_counter(), time.process_time()
                for _ in range(steps):
                    runs[which]()
                wall[which].append((time.perf_counter() - start) / steps)
                cpu[which].append((time.process_time() - start_cpu) / steps)
        rows.append(
            {
                "backend": backend,
                "example": name,
                "keras": spec["keras"],
                "shape": list(spec["shape"]),
                "generated": statistics.median(wall["generated"]),
                "reference": statistics.median(wall["keras"]),
                "generated_min": min(wall["generated"]),
                "reference_min": min(wall["keras"]),
                "generated_cpu": statistics.median(cpu["generated"]),
                "reference_cpu": statistics.median(cpu["keras"]),
                "generated_xla": costs["generated"],
                "reference_xla": costs["keras"],
            }
        )
    print(json.dumps(rows))


# -- the parent: generate, one process per backend, the table -------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="tensorflow,jax,torch")
    parser.add_argument("--examples", default=",".join(PAIRS))
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    names = options.examples.split(",")
    if options.child:
        child(options.child, names, options.rounds, options.steps)
        return

    from keraslayer_gen.api import generate

    folder = tempfile.mkdtemp(prefix="klgen-speed-")
    for name in names:
        generate(name, out=folder)
    rows = []
    for backend in options.backends.split(","):
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
        for name in names:  # a fresh process per pair: no compiler state shared
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    folder,
                    "--examples",
                    name,
                    "--rounds",
                    str(options.rounds),
                    "--steps",
                    str(options.steps),
                ],
                env=env,
                cwd=REPO,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise SystemExit(
                    f"{backend} {name}: the benchmark failed\n{done.stderr[-4000:]}"
                )
            rows += json.loads(done.stdout.strip().splitlines()[-1])
    print(f"machine: {machine(('keras', 'tensorflow', 'jax', 'torch'))}")
    print(
        f"training step (forward + backward), jit-compiled; median of {options.rounds} "
        f"rounds of {options.steps} steps after warm-up\n"
    )
    out = []
    for row in rows:
        ratio = row["generated"] / row["reference"]
        xla = "-"
        if row["generated_xla"]:
            mine, theirs = row["generated_xla"], row["reference_xla"]
            xla = (
                f"{mine['bytes'] / theirs['bytes']:.2f}x / "
                f"{mine['flops'] / theirs['flops']:.2f}x"
            )
        out.append(
            [
                row["backend"],
                row["example"],
                f"keras.layers.{row['keras']}",
                "x".join(str(d) for d in row["shape"]),
                f"{row['generated'] * 1000:.2f} ms",
                f"{row['reference'] * 1000:.2f} ms",
                f"{ratio:.2f}x",
                f"{row['generated_min'] / row['reference_min']:.2f}x",
                f"{row['generated_cpu'] / row['reference_cpu']:.2f}x",
                xla,
                "met" if ratio <= TARGET else "MISSED",
            ]
        )
    print(
        table(
            [
                "backend",
                "catalogue layer",
                "Keras layer",
                "input",
                "generated",
                "Keras",
                "ratio",
                "best-round ratio",
                "CPU-time ratio",
                "XLA bytes / flops",
                f"<= {TARGET}x",
            ],
            out,
        )
    )


if __name__ == "__main__":
    main()
