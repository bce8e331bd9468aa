"""The consequence of every `klgen lint` finding on the peer corpus, one test per finding.

`tests/test_peer_corpus.py` requires the findings on keras, keras-hub and keras-rs to be
exactly `PEER_FINDINGS`. Here each of them is shown to be a real defect: the class is
imported from the installed package, built (`tests.peers.findings.ARGS`), and made to
fail the way the finding's message says:

- `default-lost`: built with another value of the argument, the layer `from_config` gives
  back has the default instead;
- `required-missing`: `from_config(get_config())` raises (or `get_config` itself does);
- `no-kwargs`: `dtype=` is refused with a TypeError;
- `kwargs-dropped`: `trainable=False` is silently ignored;
- `training-true`: called without `training`, the training path runs at inference;
- `sublayer-dtype`: under `dtype="mixed_float16"` a named sub-layer still computes in
  float32;
- `unseeded-random`: `fit` fails on JAX.
The argument, the attribute and the sub-layer classes are read from the finding's own
message, so a test shows exactly what the lint said.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest

from keraslayer_gen.lint.driver import lint_file
from tests.peers.findings import ARGS, BUILD, OTHER
from tests.test_peer_corpus import PEER_FINDINGS, PEERS, _kind, _root, needs_peers

pytestmark = [pytest.mark.backend, needs_peers]

FINDINGS = sorted(PEER_FINDINGS)


def _message(module: str, name: str, kind: str) -> str:
    package, _, rest = module.partition("/")
    folder = dict(PEERS)[package]
    root = _root(package, folder)
    assert root is not None
    for issue in lint_file(root / rest):
        if issue.class_name == name and _kind(issue.message) == kind:
            return issue.message
    raise AssertionError(f"no {kind} finding on {name} in {module}")


def _class(module: str, name: str) -> Any:
    package, _, rest = module.partition("/")
    folder = dict(PEERS)[package].replace("/", ".")
    dotted = (
        f"{package}.{folder}.{Path(rest).with_suffix('').as_posix().replace('/', '.')}"
    )
    return getattr(importlib.import_module(dotted), name)


def _args(keras: Any, name: str) -> dict[str, Any]:
    args = ARGS[name]
    return dict(args(keras) if callable(args) else args)


def _comparable(keras: Any, value: Any) -> Any:
    """Keras objects (initializers, activations) by their serialized form, layers by
    their class and configuration."""
    if isinstance(value, (str, int, float, bool, type(None), tuple, list)):
        return value
    if isinstance(value, keras.layers.Layer):
        try:
            config = {k: v for k, v in value.get_config().items() if k != "name"}
        except NotImplementedError:  # Keras's Identity given a policy object
            config = {}
        return type(value).__name__, repr(config)
    return keras.saving.serialize_keras_object(value)


def _required(cls: Any, args: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """`config` with the required arguments another finding says it lacks, so that
    `from_config` gets as far as the argument under test."""
    import inspect

    missing = {
        p.name: args[p.name]
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.default is p.empty and p.name in args and p.name not in config
    }
    return {**config, **missing}


def test_every_finding_has_its_arguments() -> None:
    names = {name for _, name, _, _ in PEER_FINDINGS}
    assert names <= set(ARGS), sorted(names - set(ARGS))


@pytest.mark.parametrize(
    "module,name,check,kind", FINDINGS, ids=[f"{f[1]}-{f[3]}" for f in FINDINGS]
)
def test_the_finding_is_a_real_defect(
    module: str, name: str, check: str, kind: str
) -> None:
    keras = pytest.importorskip("keras")
    message = _message(module, name, kind)
    if kind == "kwargs-dropped" and name == "HashedCrossing":
        if keras.backend.backend() != "tensorflow":
            pytest.skip("HashedCrossing runs on TensorFlow only")
    cls = _class(module, name)
    args = _args(keras, name)
    {
        "default-lost": _default_lost,
        "required-missing": _required_missing,
        "no-kwargs": _no_kwargs,
        "kwargs-dropped": _kwargs_dropped,
        "training-true": _training_true,
        "sublayer-dtype": _sublayer_dtype,
        "unseeded-random": _unseeded_random,
    }[kind](keras, cls, args, message)


def _default_lost(keras: Any, cls: Any, args: dict[str, Any], message: str) -> None:
    found = re.search(r'add "(\w+)": self\.(\w+) to', message)
    assert found, message
    argument, attribute = found.groups()
    value = OTHER[argument]
    layer = cls(**{**args, argument: value})
    try:
        config = layer.get_config()
    except AttributeError:
        return  # get_config itself fails (reads an attribute __init__ never set)
    assert argument not in config
    try:
        again = cls.from_config(_required(cls, args, config))
    except (TypeError, ValueError):
        return  # the config does not even rebuild the layer (keys __init__ refuses)
    assert _comparable(keras, getattr(layer, attribute)) != _comparable(
        keras, getattr(again, attribute)
    ), f"{argument}={value!r} survived from_config"


def _required_missing(keras: Any, cls: Any, args: dict[str, Any], message: str) -> None:
    found = re.search(r"does not return `(\w+)`", message)
    assert found, message
    argument = found.group(1)
    layer = cls(**args)
    try:
        config = layer.get_config()
    except AttributeError:
        return  # get_config itself fails: the layer cannot even be saved
    assert argument not in config
    with pytest.raises(TypeError, match=argument):
        cls.from_config(config)


def _no_kwargs(keras: Any, cls: Any, args: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'dtype'"):
        cls(**args, dtype="float64")


def _kwargs_dropped(keras: Any, cls: Any, args: dict[str, Any], message: str) -> None:
    layer = cls(**args, trainable=False)
    assert layer.trainable is True


def _training_true(keras: Any, cls: Any, args: dict[str, Any], message: str) -> None:
    import numpy as np

    x = np.ones((2, 4), "float32")
    noise = keras.layers.GaussianNoise(1.0, seed=1)
    assert np.array_equal(keras.ops.convert_to_numpy(noise(x)), x)  # alone: inference
    layer = cls(**{**args, "layers": [keras.layers.GaussianNoise(1.0, seed=1)]})
    assert not np.array_equal(keras.ops.convert_to_numpy(layer(x)), x)


def _sublayer_dtype(keras: Any, cls: Any, args: dict[str, Any], message: str) -> None:
    found = re.search(r"sub-layers? \(([^)]*)\) without dtype=", message)
    assert found, message
    kinds = {k.strip() for k in found.group(1).split(",")} - {"..."}
    layer = cls(**args, dtype="mixed_float16")
    assert layer.compute_dtype == "float16"
    if cls.__name__ in BUILD:
        layer.build(BUILD[cls.__name__])
    lost = [
        sub
        for sub in layer._flatten_layers(include_self=False, recursive=True)
        if type(sub).__name__ in kinds and sub.compute_dtype == "float32"
    ]
    assert lost, (
        f"no sub-layer of {sorted(kinds)} computes in float32: "
        f"{[(type(s).__name__, s.compute_dtype) for s in layer._flatten_layers()]}"
    )


def _unseeded_random(keras: Any, cls: Any, args: dict[str, Any], message: str) -> None:
    import numpy as np

    if keras.backend.backend() != "jax":
        pytest.skip("an unseeded random op fails inside JAX's traced train step only")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4), cls(**args)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((8, 4), "float32")
    with pytest.raises(Exception, match="seed"):
        model.fit(x, x, epochs=1, verbose=0)
