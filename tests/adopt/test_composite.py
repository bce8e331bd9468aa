"""Issue 11's fields read from hand-written layers (static: no Keras): sub-layers, several
inputs (tensor arguments or one list), call arguments, helper methods, imports, a Keras
base class, base-class flags, `add_loss`, variable names, every-call state, `training`
forwarded, a mask used and passed on, several outputs. Each adopted layer's spec loads and
renders (`adopt_file` plans it)."""

from __future__ import annotations

import textwrap

import pytest

from keraslayer_gen.adopt.plan import ADOPTED, adopt_file
from keraslayer_gen.adopt.reader import adopt_source

from .sources import KERAS_HUB_BLOCK, TWO_INPUTS

HEAD = "import keras\nfrom keras import ops\n\n\n"


def _layer(body: str, *, head: str = HEAD, bases: str = "keras.layers.Layer") -> str:
    return (
        head
        + f"class Thing({bases}):\n"
        + '    """A layer."""\n\n'
        + textwrap.indent(textwrap.dedent(body).strip("\n") + "\n", "    ")
    )


def _read(text: str) -> dict:
    [adoption] = adopt_source(text, "thing.py")
    assert not adoption.refused, [str(r) for r in adoption.refusals]
    return adoption.data


def _adopted(text: str, tmp_path, name: str = "thing") -> dict:
    path = tmp_path / f"{name}.py"
    path.write_text(text, encoding="utf-8")
    [result] = adopt_file(path)
    assert result.status == ADOPTED, result.reasons
    assert result.spec is not None and result.layer_text is not None
    return result.adoption.data


def test_keras_hub_style_block_reads_sub_layers_training_and_a_helper(tmp_path) -> None:
    data = _adopted(KERAS_HUB_BLOCK, tmp_path, "encoder_block")
    layers = data["layers"]
    assert list(layers) == [
        "attention",
        "attention_norm",
        "intermediate",
        "projection",
        "output_norm",
        "dropout_layer",
    ]
    assert layers["attention"] == {
        "layer": "MultiHeadAttention",
        "args": {"num_heads": "num_heads", "key_dim": "hidden_dim // num_heads"},
        "build": "input_shape, input_shape",
    }
    # positional arguments named, literals as literals, strings as expressions
    assert layers["intermediate"] == {
        "layer": "Dense",
        "args": {"units": "intermediate_dim", "activation": '"relu"'},
    }
    assert layers["attention_norm"] == {
        "layer": "LayerNormalization",
        "args": {"epsilon": 1e-5},
    }
    assert layers["projection"]["build"] == (
        "self.intermediate.compute_output_shape(input_shape)"
    )
    assert layers["dropout_layer"]["build"] is False  # built by its first call
    assert data["training"] == "forward"
    assert data["methods"] == {
        "_feedforward": {
            "args": "x, training",
            "body": "x = self.projection(self.intermediate(x))\n"
            "return self.dropout_layer(x, training=training)\n",
            "doc": "The two dense layers and dropout.",
        }
    }
    assert data["call"]["body"].endswith(
        "outputs = self.output_norm(hidden + self._feedforward(hidden, training))\n"
    )
    assert data["input_spec"] == {"ndim": 3}


def test_two_tensor_arguments_with_masks_call_args_outputs_and_imports(
    tmp_path,
) -> None:
    data = _adopted(TWO_INPUTS, tmp_path, "cross_pool")
    assert data["inputs"] == {"query": {"mask": True}, "value": {"mask": True}}
    assert data["call_args"] == {"temperature": {"type": "float", "default": 1.0}}
    assert data["masking"] == "use"
    assert data["imports"] == ["math"]
    assert data["weights"] == {
        "_scale": {"name": "scale", "shape": [], "initializer": "ones"}
    }
    assert data["layers"]["value_proj"]["build"] == "value_shape"
    assert "build" not in data["layers"]["query_proj"]  # the first input's: default
    # a tuple return: one output each; Keras's own compute_mask masks the first one
    assert data["outputs"] == {
        "output_1": {
            "shape": "tuple(query_shape[:-1]) + (self.units,)",
            "mask": "query_mask",
        },
        "output_2": {"shape": "(value_shape[0], 1, self.units)"},
    }
    assert data["call"]["body"].endswith(
        "output_1, output_2 = mixed / math.sqrt(self.units), pooled\n"
    )
    # the example has a tensor (and a mask) per input, steps apart
    [example] = adopt_file(tmp_path / "cross_pool.py")[0].spec.examples
    assert example.inputs is not None and list(example.inputs) == ["query", "value"]


def test_list_input_unpacked_in_call_and_its_shapes() -> None:
    data = _read(_layer("""
        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.left = keras.layers.Dense(units=units)
            self.right = keras.layers.Dense(units=units)

        def build(self, input_shape):
            first_shape, second_shape = input_shape
            self.left.build(first_shape)
            self.right.build(second_shape)

        def call(self, inputs):
            first, second = inputs
            return self.left(first) + self.right(second)

        def compute_output_shape(self, input_shape):
            return tuple(input_shape[0][:-1]) + (self.units,)

        def get_config(self):
            return {**super().get_config(), "units": self.units}
        """))
    assert data["input_list"] is True
    assert data["inputs"] == {"first": {}, "second": {}}
    assert "build" not in data  # the generated build unpacks the shapes itself
    assert data["layers"]["left"]["build"] == "first_shape"
    assert data["output_shape"] == "tuple(first_shape[:-1]) + (self.units,)"
    assert data["call"]["body"] == ("outputs = self.left(first) + self.right(second)\n")


def test_keras_base_class_flags_losses_and_every_call_state() -> None:
    data = _read(
        _layer(
            """
        def __init__(self, **kwargs):
            super().__init__(autocast=False, **kwargs)

        def build(self, input_shape):
            self.count = self.add_weight(
                name="count", shape=(), initializer="zeros", trainable=False
            )

        def call(self, inputs):
            outputs = inputs * 2.0
            self.add_loss(ops.mean(outputs) * 0.1)
            self.count.assign_add(1.0)
            return outputs
        """,
            bases="keras.layers.Dense",
        )
    )
    assert data["base"] == "Dense"
    assert data["base_args"] == {"autocast": False}
    assert data["losses"] == ["ops.mean(outputs) * 0.1"]
    assert data["state"] == {"count": "self.count + 1.0"}
    assert data["state_on"] == "every_call"
    assert data["call"]["body"] == "outputs = inputs * 2.0\n"


def test_a_mask_used_and_passed_on_and_a_helper_docstring_kept() -> None:
    data = _read(_layer("""
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            return self._zero(inputs, mask)

        def _zero(self, x, mask):
            \"\"\"Zeroes the masked steps.

            Steps without a mask are kept.
            \"\"\"
            if mask is None:
                return x
            return x * ops.cast(ops.expand_dims(mask, -1), x.dtype)
        """))
    assert data["masking"] == "use"
    method = data["methods"]["_zero"]
    assert method["doc"] == "Zeroes the masked steps."
    assert method["body"].startswith(
        "# Steps without a mask are kept.\nif mask is None:"
    )


@pytest.mark.parametrize(
    ("snippet", "found"),
    [
        ("import numpy as np\n", ["numpy as np"]),
        ("import math\n", ["math"]),
    ],
)
def test_allow_listed_imports_become_imports(snippet, found) -> None:
    name = found[0].split(" as ")[-1]
    data = _read(
        _layer(
            f"""
        def call(self, inputs):
            return inputs * {name}.pi
        """,
            head=snippet + HEAD,
        )
    )
    assert data["imports"] == found


def test_a_named_tensor_documented_under_call_arguments_keeps_its_name() -> None:
    text = (
        HEAD + "class Thing(keras.layers.Layer):\n"
        '    """A layer.\n\n    Call arguments:\n        token_ids: Integer token ids. '
        'Of dtype `int32`.\n    """\n\n'
        "    def call(self, token_ids):\n        return token_ids + 1\n"
    )
    data = _read(text)
    assert data["inputs"] == {
        "token_ids": {"dtype": "int32", "doc": "Integer token ids."}
    }
    assert data["call"]["body"] == "outputs = token_ids + 1\n"


def test_a_sub_layer_class_of_the_package_and_the_variable_dtype(tmp_path) -> None:
    data = _read(
        _layer(
            """
        def __init__(self, hidden_dim, **kwargs):
            super().__init__(**kwargs)
            self.hidden_dim = hidden_dim
            self.norm = RMSNorm(epsilon=1e-6, dtype=self.dtype_policy)

        def build(self, input_shape):
            self.norm.build(input_shape)
            self.scale = self.add_weight(
                name="scale", shape=(self.hidden_dim,), dtype=self.variable_dtype
            )

        def call(self, inputs):
            return self.norm(inputs) * self.scale

        def get_config(self):
            return {**super().get_config(), "hidden_dim": self.hidden_dim}
        """,
            head="from my_package.norms import RMSNorm\n" + HEAD,
        )
    )
    assert data["layers"] == {
        "norm": {"layer": "my_package.norms.RMSNorm", "args": {"epsilon": 1e-6}}
    }
    assert data["weights"] == {"scale": {"shape": ["hidden_dim"]}}
    # typed by the weight dimension it gives
    assert data["args"] == {"hidden_dim": {"type": "int"}}


def test_comments_outside_the_class_are_named_in_a_note(tmp_path) -> None:
    text = "# A note about the layer.\n" + _layer("""
        def call(self, inputs):
            return inputs * 2
        """)
    path = tmp_path / "thing.py"
    path.write_text(text, encoding="utf-8")
    [result] = adopt_file(path)
    assert result.status == ADOPTED, result.reasons
    assert (
        "the comments outside the class (line 1) are not in the generated file"
        in result.adoption.notes
    )
