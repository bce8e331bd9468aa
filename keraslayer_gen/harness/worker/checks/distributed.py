"""Check 14, `distributed`: fit under TF MirroredStrategy / JAX DataParallel on two CPU
devices; every variable consistent across replicas, aggregation as declared.

The devices must exist before the backend starts: the worker splits the CPU into two logical
TensorFlow devices and sets `XLA_FLAGS=--xla_force_host_platform_device_count=2` for JAX
before importing Keras whenever this check is selected.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from keraslayer_gen.harness.registry import runtime_check
from keraslayer_gen.harness.worker.fixtures import padding_positions
from keraslayer_gen.harness.worker.outcomes import CheckSkipped

if TYPE_CHECKING:
    from keraslayer_gen.harness.worker.fixtures import Fixture
    from keraslayer_gen.harness.worker.session import Session


@contextlib.contextmanager
def _scope(session: Session) -> Iterator[str]:
    if session.backend == "tensorflow":
        import tensorflow as tf  # type: ignore[import-untyped]

        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        if len(devices) < 2:
            raise CheckSkipped(
                "TensorFlow has one CPU device: the two logical devices must be "
                "configured before TensorFlow starts (run it through klgen "
                "verify --full, which does)"
            )
        with tf.distribute.MirroredStrategy(devices[:2]).scope():
            yield "MirroredStrategy"
    elif session.backend == "jax" and session.flavor.target == "keras3":
        keras = session.keras
        devices = keras.distribution.list_devices("cpu")
        if len(devices) < 2:
            raise CheckSkipped(
                "JAX sees one CPU device: XLA_FLAGS="
                "--xla_force_host_platform_device_count=2 must be set before "
                "JAX starts (run it through klgen verify --full, which does)"
            )
        with keras.distribution.DataParallel(devices=devices[:2]).scope():
            yield "DataParallel"
    else:
        raise CheckSkipped(
            f"Keras has no multi-device data parallelism for the "
            f"{session.backend} backend on CPU; tensorflow and jax cover it"
        )


def _run(session: Session, fx: Fixture, kind: str) -> list[str]:
    keras = session.keras
    # The replicas must see different data, or a state update they disagree on is hidden.
    data = []
    for x, other, tensor in zip(
        fx.xs, fx.unpack(fx.inputs(len(fx.xs[0]))), fx.tensors, strict=True
    ):
        if "float" in str(other.dtype):
            other = (other * 2 + 1).astype(other.dtype)
            if tensor.mask or tensor.padding is not None:
                valid = padding_positions(other.shape, str(other.dtype))
                other[~valid] = 0 if tensor.padding is None else tensor.padding
        data.append(np.concatenate([x, other]))
    x = fx.pack(data)
    layer = fx.new_layer()
    model = keras.Model(*fx.symbolic(layer, masked=True))
    before = session.snapshot(layer)
    if fx.output_is_float:
        y = session.numpy(model(x, training=False))
        target: Any = (
            [fx.rng.normal(size=v.shape).astype("float32") for v in y]
            if isinstance(y, list)
            else fx.rng.normal(size=y.shape).astype("float32")
        )
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
        try:
            model.fit(
                x,
                target,
                batch_size=len(data[0]),
                epochs=2,
                shuffle=False,
                verbose=0,
            )
        except Exception as exc:
            hint = (
                "declare an aggregation (mean, sum or only_first_replica) for every "
                "weight call assigns"
                if "aggregation" in str(exc).lower()
                else "keep call free of device- or replica-specific code"
            )
            first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
            raise session.fail(
                fx,
                f"fit() under {kind} raises {type(exc).__name__}: {first}"
                f"{session.where(exc)}; {hint}",
            ) from None
    with session.guard(fx, f"predict() under {kind}"):
        model.predict(x, batch_size=len(data[0]), verbose=0)
    declared = session.expectations.aggregation
    changed = {
        name: not np.array_equal(b, a)
        for (name, _, b), (_, _, a) in zip(
            before, session.snapshot(layer), strict=False
        )
    }
    for name in session.expectations.state or ():
        if fx.output_is_float and name in changed and not changed[name]:
            raise session.fail(
                fx,
                f"state weight '{name}' does not change during fit() under "
                f"{kind}: assign it in the training branch",
            )
    notes = []
    for weight in layer.weights:
        name = session.flavor.name(weight)
        aggregation = session.flavor.aggregation(weight)
        if name in declared and declared[name] != aggregation:
            raise session.fail(
                fx,
                f"weight '{name}' has aggregation '{aggregation}' but "
                f"'{declared[name]}' is declared: pass "
                f"aggregation='{declared[name]}' to add_weight",
            )
        values = session.flavor.replicas(weight)
        if any(not np.allclose(values[0], v, rtol=1e-6, atol=1e-7) for v in values[1:]):
            raise session.fail(
                fx,
                f"weight '{name}' differs across the {len(values)} "
                f"replicas after fit() under {kind}: give it an aggregation "
                "(mean or only_first_replica) so that replicas agree",
            )
        if not weight.trainable:
            notes.append(f"{name}: aggregation {aggregation}, {len(values)} replicas")
    return notes


@runtime_check("distributed")
def check_distributed(session: Session) -> list[str]:
    notes: list[str] = []
    with _scope(session) as kind:
        notes.append(f"{kind} over two CPU devices")
        for fx in session.fixtures:
            notes.extend(_run(session, fx, kind))
    return list(dict.fromkeys(notes))
