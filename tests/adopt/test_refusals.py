"""Layers the spec format cannot say (yet) are refused with the reason and the line; nothing
is planned for them."""

from __future__ import annotations

import textwrap

import pytest

from keraslayer_gen.adopt.plan import REFUSED, adopt_file

HEAD = "import keras\nfrom keras import ops\n\n\n"


def _layer(*pieces: str, head: str = HEAD, bases: str = "keras.layers.Layer") -> str:
    """A module with one class `Thing` whose methods are `pieces` (each dedented)."""
    body = "\n".join(textwrap.dedent(p).strip("\n") + "\n" for p in pieces)
    return (
        head
        + f"class Thing({bases}):\n"
        + '    """A layer."""\n\n'
        + textwrap.indent(body, "    ")
    )


CALL = """
def call(self, inputs):
    return inputs
"""

CASES = {
    "metaclass": (
        _layer(CALL, bases="keras.layers.Layer, metaclass=abc.ABCMeta"),
        "class Thing",
        "it sets a metaclass",
    ),
    "__call__": (
        _layer(
            CALL,
            """
            def __call__(self, *args, **kwargs):
                return super().__call__(*args, **kwargs)
            """,
        ),
        "def __call__",
        "cannot adopt faithfully: it overrides `__call__`",
    ),
    "weights in a loop": (
        _layer(
            """
            def build(self, input_shape):
                for i in range(3):
                    setattr(self, f"w{i}", self.add_weight(name=f"w{i}", shape=(1,)))
            """,
            CALL,
        ),
        "for i in range(3)",
        "weights created in a loop (dynamic `add_weight` names)",
    ),
    "training default": (
        _layer("""
            def call(self, inputs, training=False):
                if training:
                    return inputs * 2
                return inputs
            """),
        "def call(self, inputs, training=False)",
        "`call` has `training` without the default None: the spec's `training` "
        "defaults to None",
    ),
    "early return": (
        _layer("""
            def call(self, inputs):
                for axis in range(3):
                    if inputs.shape[axis] == 1:
                        return inputs * 1
                outputs = inputs * 2
                return outputs
            """),
        "return inputs * 1",
        "an early `return` in `call`",
    ),
    "unsayable check": (
        _layer(
            """
            def __init__(self, rate=0.5, **kwargs):
                if rate * 2 > 1:
                    raise ValueError("rate")
                super().__init__(**kwargs)
                self.rate = rate
            """,
            CALL,
            """
            def get_config(self):
                return {**super().get_config(), "rate": self.rate}
            """,
        ),
        "if rate * 2 > 1",
        "the check `if rate * 2 > 1: raise ValueError` is not one the spec can say",
    ),
    "module helper": (
        "import keras\n\n\ndef double(x):\n    return x * 2\n\n\n"
        "class Thing(keras.layers.Layer):\n"
        "    def call(self, inputs):\n"
        "        return double(inputs)\n",
        "return double(inputs)",
        "it uses `double`, defined beside the class: the spec has no module-level "
        "code",
    ),
    "missing config": (
        _layer(
            """
            def __init__(self, rate=0.5, **kwargs):
                super().__init__(**kwargs)
                self.rate = rate
            """,
            CALL,
        ),
        "def __init__(self, rate=0.5",
        "no `get_config`, so the layer does not save its arguments",
    ),
    "untyped argument": (
        _layer(
            """
            def __init__(self, thing=None, **kwargs):
                super().__init__(**kwargs)
                self.thing = thing
            """,
            CALL,
            """
            def get_config(self):
                return {**super().get_config(), "thing": self.thing}
            """,
        ),
        "def __init__(self, thing=None",
        "argument `thing`: cannot tell its type (annotate it",
    ),
    "sub-layer shaped by the input": (
        _layer("""
            def build(self, input_shape):
                self.dense = keras.layers.Dense(input_shape[-1])
                self.dense.build(input_shape)

            def call(self, inputs):
                return self.dense(inputs)
            """),
        "self.dense = keras.layers.Dense(input_shape[-1])",
        "sub-layer `dense`: `units=` reads `input_shape`, which the generated "
        "`__init__` does not have",
    ),
    "sub-layer of an unknown signature": (
        _layer("""
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.pool = keras.layers.AveragePooling1D(2)

            def call(self, inputs):
                return self.pool(inputs)
            """),
        "self.pool = keras.layers.AveragePooling1D(2)",
        "passes positional arguments klgen cannot name without importing Keras",
    ),
    "several tensors and mask": (
        _layer("""
            def call(self, query, value, mask=None):
                return query + value
            """),
        "def call(self, query, value, mask=None)",
        "Keras fills in `<input>_mask` for each of several tensor arguments",
    ),
    "training without sub-layers or branch": (
        _layer("""
            def call(self, inputs, training=None):
                return inputs * 2
            """),
        "def call(self, inputs, training=None)",
        "nor has sub-layers to pass it to",
    ),
    "returns of different lengths": (
        _layer("""
            def call(self, inputs):
                if inputs.shape[0] == 1:
                    return inputs, inputs
                else:
                    return inputs
            """),
        "return inputs, inputs",
        "`call` returns tuples of different lengths",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_with_reason_and_line(case, tmp_path) -> None:
    text, marker, reason = CASES[case]
    line = next(i for i, t in enumerate(text.splitlines(), 1) if marker in t)
    path = tmp_path / "thing.py"
    path.write_text(text, encoding="utf-8")
    [result] = adopt_file(path)
    assert result.status == REFUSED
    assert result.plan is None
    assert any(
        f"{path}:{line}: Thing: " in r and reason in r for r in result.reasons
    ), result.reasons


def test_two_layers_in_one_file_are_refused(tmp_path) -> None:
    path = tmp_path / "two.py"
    path.write_text(
        _layer(CALL)
        + "\n\nclass Other(keras.layers.Layer):\n"
        + textwrap.indent(CALL, "    "),
        encoding="utf-8",
    )
    results = adopt_file(path)
    assert [r.status for r in results] == [REFUSED, REFUSED]
    assert all("move each layer to its own file" in r.reasons[0] for r in results)


def test_other_top_level_code_is_refused_rather_than_lost(tmp_path) -> None:
    path = tmp_path / "thing.py"
    path.write_text(_layer(CALL) + "\n\nSCALE = 2\n", encoding="utf-8")
    [result] = adopt_file(path)
    assert result.status == REFUSED
    assert any("would lose" in r and "`SCALE = 2`" in r for r in result.reasons)
