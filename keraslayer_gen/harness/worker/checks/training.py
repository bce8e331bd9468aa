"""Checks 7-9, `training`, `state` and `gradients`: the two paths, state updates, learning."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import numpy as np

from keraslayer_gen.harness.registry import runtime_check
from keraslayer_gen.harness.worker.fixtures import allclose, max_difference
from keraslayer_gen.harness.worker.outcomes import CheckSkipped

if TYPE_CHECKING:
    from keraslayer_gen.harness.worker.fixtures import Fixture
    from keraslayer_gen.harness.worker.session import Session


def takes(session: Session, argument: str) -> bool:
    """Whether the layer's `call` declares `argument` (Keras passes it only then)."""
    try:
        call = getattr(session.layer_cls, "call")  # noqa: B009 - a Keras Layer's call
        return argument in inspect.signature(call).parameters
    except (TypeError, ValueError):
        return False


def _replicas(session: Session, fx: Fixture, every_call: bool) -> Any:
    """A function giving the layer to call: the same layer each time, or, for a layer
    whose state moves on every call, a fresh copy with the same starting weights (so
    that two calls compare like with like)."""
    layer = fx.new_layer()
    if not every_call:
        return lambda: layer
    with session.guard(fx, "call(training=False)"):
        fx.call(layer, training=False)
    start = layer.get_weights()

    def fresh() -> Any:
        copy = fx.new_layer()
        fx.call(copy, training=False)
        copy.set_weights(start)
        return copy

    return fresh


@runtime_check("training")
def check_training(session: Session) -> list[str]:
    expected = session.expectations.training
    random_inference = session.expectations.random_inference
    every_call = session.expectations.state_on == "every_call"
    has_training = takes(session, "training")
    if expected and not has_training:
        raise session.fail(
            None,
            "call() has no `training` argument, so Keras never tells it "
            "whether it is training: add `training=None` to call",
        )
    depends = random = False
    losses: list[int] = []
    for fx in session.fixtures:
        layer = _replicas(session, fx, every_call)
        with session.guard(fx, "call(training=False)"):
            inference = session.numpy(fx.call(layer(), training=False))
            again = session.numpy(fx.call(layer(), training=False))
        with session.guard(fx, "call() without training"):
            default = session.numpy(fx.call(layer()))
        # Random inference first: it also makes the call without `training` differ, and
        # blaming the default for it would give the wrong fix.
        if random_inference:
            if allclose(inference, again):
                raise session.fail(
                    fx,
                    "two inference calls give identical outputs, but the layer is "
                    "declared random at inference: draw its noise with keras.random.* "
                    "and seed=self.seed_generator in the inference path too",
                )
        elif not allclose(inference, again):
            fix = (
                "keep randomness and state updates under `if training:`"
                if has_training
                else "call() has no `training` argument, so its randomness also runs at "
                "inference: add `training=None` to call and draw the noise only under "
                "`if training:` (as keras.layers.Dropout does)"
            )
            raise session.fail(
                fx,
                "two inference calls give different outputs (max "
                f"difference {max_difference(inference, again):.3g}): {fix}",
            )
        if not random_inference and not allclose(default, inference):
            raise session.fail(
                fx,
                "a call without `training` differs from training=False: "
                "default `training` to None in call (a True default leaks "
                "training mode)",
            )
        with session.guard(fx, "call(training=True)"):
            one = layer()
            first = session.numpy(fx.call(one, training=True))
            losses.append(added_losses(one))
            second = session.numpy(fx.call(layer(), training=True))
        differs = not allclose(first, inference)
        depends = depends or differs
        random = random or not allclose(first, second)
        if expected is False and differs and not random_inference:
            raise session.fail(
                fx,
                "the output differs between training=True and "
                "training=False, but the layer is declared independent of "
                "training: declare training (training: true) or remove the "
                "training branch",
            )
        if fx.output_is_float:
            _fit_and_predict(session, fx)
    declared_losses = session.expectations.losses
    if declared_losses is not None:
        for fx, count in zip(session.fixtures, losses, strict=True):
            if count != declared_losses:
                raise session.fail(
                    fx,
                    f"one call adds {count} loss(es) (layer.losses) but "
                    f"{declared_losses} are declared: call self.add_loss once per "
                    "declared loss, in every call",
                )
    else:
        session.observe("losses", losses[0] if len(set(losses)) == 1 else losses)
    if session.expectations.stochastic and not random:
        raise session.fail(
            None,
            "two training calls give identical outputs on every "
            "example, but the layer is declared stochastic: draw its noise "
            "with keras.random.* and seed=self.seed_generator (a fixed integer "
            "seed repeats the same noise)",
        )
    if expected is None:
        session.observe("training", has_training and depends)
    if session.expectations.stochastic is None:
        session.observe("stochastic", random)
    return []


def _fit_and_predict(session: Session, fx: Fixture) -> None:
    fitted = fx.fitted
    if takes(session, "training") and not any(c["training"] for c in fitted["calls"]):
        raise session.fail(
            fx,
            "fit() never called the layer with training=True: do not "
            "override the training value Keras passes to call",
        )
    with session.guard(fx, "predict()"):
        predicted = fx.predict()
    if any(c["training"] for c in predicted["calls"]):
        raise session.fail(
            fx,
            "predict() called the layer with training=True: default "
            "`training` to None in call",
        )
    with session.guard(fx, "call(training=False)"):
        eager = fx.inference
    if not allclose(predicted["value"], eager):
        session.skip_if_random_inference(fx, "predict() and the eager call")
        raise session.fail(
            fx,
            "predict() differs from an eager inference call (max "
            f"difference {max_difference(predicted['value'], eager):.3g}): "
            "predict must run the inference path; keep Python-side state "
            "out of call",
        )


def _changed(before: list[Any], after: list[Any]) -> dict[str, bool]:
    return {
        name: not np.array_equal(b, a, equal_nan=True)
        for (name, _, b), (_, _, a) in zip(before, after, strict=False)
    }


@runtime_check("state")
def check_state(session: Session) -> list[str]:
    """Non-trainable weights: the declared state moves in training and stays at
    inference, or, with `state_on: every_call`, moves in every call (predict too)."""
    declared = session.expectations.state
    every_call = session.expectations.state_on == "every_call"
    observed: set[str] = set()
    stateful = False
    for fx in session.fixtures:
        layer = fx.new_layer()
        with session.guard(fx, "call(training=False)"):
            fx.call(layer, training=False)
        names = [session.flavor.name(w) for w in layer.weights if not w.trainable]
        if not names:
            continue
        stateful = True
        for name in declared or ():
            if name not in names:
                raise session.fail(
                    fx,
                    f"the layer has no non-trainable weight '{name}' "
                    "(declared as state): create it in build() with "
                    "trainable=False",
                )
        start = session.snapshot(layer)
        batch = fx.example.input_shape[0]
        # every-call state: other data in each call, or a running mean stays put
        other = fx.inputs(batch, seed=1) if every_call else None
        with session.guard(fx, "call(training=False)"):
            fx.call(layer, other, training=False)
        if every_call:
            # the state moves at inference too: an inference call updates it as a
            # training call does
            moved = _changed(start, session.snapshot(layer))
            state = (
                set(declared)
                if declared is not None
                else {n for n in names if moved.get(n)}
            )
            _training_updates(session, fx, moved, names, state, "an inference call")
            start = session.snapshot(layer)
        else:
            _inference_keeps(
                session, fx, start, session.snapshot(layer), "an inference call"
            )
        with session.guard(fx, "call(training=True)"):
            fx.call(
                layer, fx.inputs(batch, seed=2) if every_call else None, training=True
            )
        changed = _changed(start, session.snapshot(layer))
        if not every_call:
            state = (
                set(declared)
                if declared is not None
                else {n for n in names if changed.get(n)}
            )
        observed |= state
        _training_updates(session, fx, changed, names, state, "a training call")
        if fx.output_is_float:
            fitted = fx.fitted
            _training_updates(
                session,
                fx,
                _changed(fitted["before"], fitted["after"]),
                names,
                state,
                "one fit step",
            )
            with session.guard(fx, "predict()"):
                predicted = fx.predict()
            if every_call:
                _only_state_moves(
                    session,
                    fx,
                    _changed(predicted["before"], predicted["after"]),
                    state,
                    "predict()",
                )
            else:
                _inference_keeps(
                    session, fx, predicted["before"], predicted["after"], "predict()"
                )
        if session.flavor.graph_mode and not every_call:
            _graph_updates(session, fx, state)
    if declared is None:
        session.observe("state", sorted(observed))
    if not stateful:
        if declared:
            raise session.fail(
                None,
                f"the layer has no non-trainable weights, but "
                f"{', '.join(declared)} are declared as state: create them in "
                "build() with trainable=False",
            )
        raise CheckSkipped("the layer has no non-trainable weights")
    return []


def _graph_updates(session: Session, fx: Fixture, state: set[str]) -> None:
    """tf-keras: the same calls traced by `tf.function` (graph mode, as `fit` and `predict`
    run them in Keras 2) leave the state exactly as the eager calls do: an inference call
    keeps it, two training calls update it to the same values. `add_update` and
    `K.in_train_phase` bugs show here."""
    import tensorflow as tf  # type: ignore[import-untyped]

    eager, graph = fx.new_layer(), fx.new_layer()
    with session.guard(fx, "call(training=False)"):
        fx.call(eager, training=False)
        fx.call(graph, training=False)
    graph.set_weights(eager.get_weights())
    start = session.snapshot(graph)
    with session.guard(fx, "call(training=False) inside tf.function"):
        tf.function(lambda: fx.call(graph, training=False))()
    _inference_keeps(
        session,
        fx,
        start,
        session.snapshot(graph),
        "an inference call inside tf.function (graph mode)",
    )
    # Two training calls on different data through one trace: a value read in Python
    # when the function is traced (K.get_value, .numpy()) stays frozen in the graph.
    batches = [fx.x, fx.inputs(fx.example.input_shape[0])]
    with session.guard(fx, "call(training=True)"):
        for x in batches:
            fx.call(eager, x, training=True)
    train = tf.function(lambda x: fx.call(graph, x, training=True))
    with session.guard(fx, "call(training=True) inside tf.function"):
        for x in batches:
            train(tf.nest.map_structure(tf.convert_to_tensor, x))
    pairs = zip(session.snapshot(eager), session.snapshot(graph), strict=False)
    for (name, trainable, want), (_, _, got) in pairs:
        if trainable or name not in state or allclose(got, want):
            continue
        how = (
            "does not change"
            if np.array_equal(got, _value(start, name))
            else f"ends {max_difference(got, want):.3g} away from the eager value"
        )
        raise session.fail(
            fx,
            f"state weight '{name}' {how} after two training calls "
            "inside tf.function (graph mode), unlike the eager calls: make the "
            "update a TensorFlow op inside call's training branch "
            f"(self.add_update(K.moving_average_update(self.{name}, ...)) or "
            f"self.{name}.assign(...)) and read weights as tensors, not with "
            "K.get_value or .numpy() (frozen when the function is traced)",
        )


def _value(snapshot: list[Any], name: str) -> Any:
    return next(value for n, _, value in snapshot if n == name)


def _called(session: Session, fx: Fixture) -> Any:
    """A fresh layer after one inference call: sub-layers built lazily at the first call
    (a build() that does not build them) have their weights only then."""
    layer = fx.new_layer()
    with session.guard(fx, "call(training=False)"):
        fx.call(layer, training=False)
    return layer


def _inference_keeps(
    session: Session, fx: Fixture, before: list[Any], after: list[Any], what: str
) -> None:
    where = (
        "in the training function of K.in_train_phase (or under `if training:`)"
        if session.flavor.graph_mode
        else "under `if training:`"
    )
    for name, changed in _changed(before, after).items():
        if changed:
            raise session.fail(
                fx,
                f"weight '{name}' changes after {what}: update state only {where}",
            )


def _only_state_moves(
    session: Session, fx: Fixture, changed: dict[str, bool], state: set[str], what: str
) -> None:
    """Every-call state: a call on data the state has already seen may leave it (a
    running mean of the same batch); only weights outside the state must not move."""
    for name, moved in changed.items():
        if moved and name not in state:
            raise session.fail(
                fx,
                f"non-trainable weight '{name}' changes after {what} but "
                "is not declared as state: declare it (state:) or stop "
                "assigning it",
            )


def _training_updates(
    session: Session,
    fx: Fixture,
    changed: dict[str, bool],
    names: list[str],
    state: set[str],
    what: str,
) -> None:
    for name in names:
        if name in state and not changed.get(name):
            how = (
                f"self.add_update(K.moving_average_update(self.{name}, ...)) or "
                if session.flavor.graph_mode
                else ""
            )
            raise session.fail(
                fx,
                f"state weight '{name}' does not change after {what}: "
                f"assign its new value in the training branch "
                f"({how}self.{name}.assign(...))",
            )
        if name not in state and changed.get(name):
            raise session.fail(
                fx,
                f"non-trainable weight '{name}' changes after {what} but "
                "is not declared as state: declare it (state:) or stop "
                "assigning it",
            )


@runtime_check("gradients")
def check_gradients(session: Session) -> list[str]:
    for fx in session.fixtures:
        if not fx.output_is_float:
            raise CheckSkipped(
                "the output is not floating point, so no gradient flows; "
                "gradient checks do not apply"
            )
    if not any(
        w.trainable for fx in session.fixtures for w in _called(session, fx).weights
    ):
        raise CheckSkipped("the layer has no trainable weights (counted after a call)")
    for fx in session.fixtures:
        fitted = fx.fitted
        if not np.isfinite(fitted["loss"]):
            raise session.fail(
                fx,
                f"the loss after one fit step is {fitted['loss']}: keep "
                "call numerically stable (e.g. add an epsilon before sqrt, "
                "log or division)",
            )
        pairs = zip(fitted["before"], fitted["after"], strict=False)
        for (name, trainable, before), (_, _, after) in pairs:
            if not trainable:
                continue
            if not np.all(np.isfinite(after)):
                raise session.fail(
                    fx,
                    f"trainable weight '{name}' is not finite after one fit "
                    "step: keep call numerically stable",
                )
            if np.array_equal(before, after):
                raise session.fail(
                    fx,
                    f"trainable weight '{name}' does not change after one "
                    "fit step, so it gets no gradient: use it in call, or "
                    "create it with trainable=False",
                )
    return []


def added_losses(layer: Any) -> int:
    """The losses a call added with `add_loss` (declared `losses`, activity
    regularizers): `layer.losses` less the weight regularization losses, which Keras
    lists there too but which come from `build`, not from the call."""
    total = len(layer.losses)
    weights = list(layer.trainable_weights)
    if weights and all(hasattr(w, "regularizer") for w in weights):  # Keras 3
        regularized = sum(1 for w in weights if w.regularizer is not None)
    else:  # tf-keras: regularizers are callables kept by the layers that own them
        regularized = sum(
            len(getattr(sub, "_callable_losses", ()))
            for sub in layer._flatten_layers(include_self=True)
        )
    return total - regularized
