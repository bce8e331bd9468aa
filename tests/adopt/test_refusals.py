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
    "sub-layer": (
        _layer("""
            def __init__(self, units=4, **kwargs):
                super().__init__(**kwargs)
                self.units = units
                self.dense = keras.layers.Dense(units)

            def call(self, inputs):
                return self.dense(inputs)

            def get_config(self):
                return {**super().get_config(), "units": self.units}
            """),
        "self.dense = keras.layers.Dense",
        "`self.dense = Dense(...)`: not expressible in spec format 1 yet "
        "(sub-layers: issue 11)",
    ),
    "two inputs": (
        _layer("""
            def call(self, query, value):
                return query + value
            """),
        "def call(self, query, value)",
        "`call` takes `value`: not expressible in spec format 1 yet (several tensor "
        "inputs: issue 11)",
    ),
    "call argument": (
        _layer("""
            def call(self, inputs, start_index=0):
                return inputs[:, start_index:]
            """),
        "def call(self, inputs, start_index=0)",
        "(extra call arguments: issue 11)",
    ),
    "helper method": (
        _layer(
            CALL,
            """
            def _scale(self, x):
                return x * 2
            """,
        ),
        "def _scale",
        "method `_scale`: not expressible in spec format 1 yet (helper methods: "
        "issue 11)",
    ),
    "other base class": (
        _layer(CALL, bases="keras.layers.Dense"),
        "class Thing",
        "it derives from keras.layers.Dense: not expressible in spec format 1 yet (a "
        "base class other than keras.layers.Layer: issue 11)",
    ),
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
    "variable name": (
        _layer(
            """
            def build(self, input_shape):
                self._kernel = self.add_weight(name="kernel", shape=(input_shape[-1],))
            """,
            CALL,
        ),
        'name="kernel"',
        "weight `self._kernel` is named 'kernel': not expressible in spec format 1 "
        "yet (a variable name different from its attribute: issue 11)",
    ),
    "training default": (
        _layer("""
            def call(self, inputs, training=False):
                if training:
                    return inputs * 2
                return inputs
            """),
        "def call(self, inputs, training=False)",
        "(a training default other than None: issue 11)",
    ),
    "state on every call": (
        _layer("""
            def build(self, input_shape):
                self.count = self.add_weight(
                    name="count", shape=(), initializer="zeros", trainable=False
                )

            def call(self, inputs):
                self.count.assign_add(1.0)
                return inputs
            """),
        "self.count.assign_add(1.0)",
        "(state updated on every call: issue 11)",
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
        "it uses `double`, defined beside the class: not expressible in spec format 1 "
        "yet (module-level helpers and extra imports: issue 11)",
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
    "constructor flags": (
        _layer(
            """
            def __init__(self, **kwargs):
                super().__init__(autocast=False, **kwargs)
            """,
            CALL,
        ),
        "super().__init__(autocast=False",
        "(Layer constructor flags: issue 11)",
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
