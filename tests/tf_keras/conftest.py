"""The catalogue generated for tf-keras once per session, imported with tf_keras.

tf-keras runs on TensorFlow only: its tests skip under another `KERAS_BACKEND`, and where
tf_keras is not installed (`pip install 'keraslayer-gen[tf-keras]'`).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from keraslayer_gen import api
from tests.catalogue import examples_for


@pytest.fixture(scope="session")
def tf_keras() -> ModuleType:
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend != "tensorflow":
        pytest.skip(f"tf-keras runs on TensorFlow only; KERAS_BACKEND={backend}")
    return pytest.importorskip("tf_keras")


@pytest.fixture(scope="session")
def tf(tf_keras: ModuleType) -> ModuleType:
    import tensorflow

    return tensorflow


@pytest.fixture(scope="session")
def tf_keras_catalogue(
    tmp_path_factory: pytest.TempPathFactory, tf_keras: ModuleType
) -> Path:
    out = tmp_path_factory.mktemp("tf_keras_catalogue")
    for name in examples_for("tf-keras"):
        api.generate(name, out=out, target="tf-keras")
    return out


@pytest.fixture(scope="session")
def load_layer(tf_keras_catalogue: Path) -> Callable[[str], type]:
    """Import a generated tf-keras catalogue module by its example name; return the class."""
    cache: dict[str, type] = {}

    def load(example: str) -> type:
        if example not in cache:
            spec = api.load_example(example).spec
            path = tf_keras_catalogue / f"{spec.module_name}.py"
            name = f"klgen_tf_keras_catalogue_{spec.module_name}"
            module_spec = importlib.util.spec_from_file_location(name, path)
            assert module_spec and module_spec.loader
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            module_spec.loader.exec_module(module)
            cache[example] = getattr(module, spec.name)
        return cache[example]

    return load


@pytest.fixture
def mixed_float16(tf_keras: ModuleType) -> Iterator[None]:
    """tf_keras's global dtype policy set to mixed_float16 for one test, then restored."""
    previous = tf_keras.mixed_precision.global_policy()
    tf_keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        tf_keras.mixed_precision.set_global_policy(previous)
