"""Helpers of the harness tests: the fastest installed backend, and small layer files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from keraslayer_gen.harness import installed_backends

#: Cheapest first: a worker's start-up time is most of a small test's time.
_PREFERENCE = ("jax", "torch", "tensorflow")


@pytest.fixture(scope="session")
def fast_backend() -> str:
    found = installed_backends()
    if not found:
        pytest.skip("no Keras backend is installed")
    return next(b for b in _PREFERENCE if b in found)


SCALE = '''
"""A hand-written layer: multiplies by a constant factor."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="tests")
class Scale(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor
        self.supports_masking = True

    def call(self, inputs):
        return inputs * ops.cast(self.factor, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
'''


def write_layer(folder: Path, name: str, code: str) -> Path:
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(code).lstrip(), encoding="utf-8")
    return path


def broken_call(body: str, imports: str = "") -> str:
    """`Scale` whose call runs `body` first: for crash and hang tests."""
    return SCALE.replace("import keras\n", f"import keras\n{imports}\n").replace(
        "    def call(self, inputs):\n",
        "    def call(self, inputs):\n"
        + textwrap.indent(textwrap.dedent(body), " " * 8),
    )
