"""Rendering: argument checks, Keras-object args, escaping of spec text, docstrings that
say what the code does, output shapes evaluated without Keras."""

from __future__ import annotations

import ast

import pytest

from keraslayer_gen.api import SpecSource, load_example, plan_layer
from keraslayer_gen.files.layout import out_layout
from keraslayer_gen.generate.output_shape import (
    ELLIPSIS,
    Dim,
    Unsupported,
    evaluate,
    expected_shape,
    shape_text,
    symbolic_input,
)
from keraslayer_gen.spec.load import load_spec_data


def _render(data: dict, tmp_path, target: str = "keras3") -> str:
    spec = load_spec_data(
        {"klgen": 1, "summary": "S.", "examples": [{"input_shape": [2, 3]}], **data}
    )
    plan = plan_layer(SpecSource(spec), out_layout(tmp_path), target=target)
    return plan.changes[0].text


def _method(source: str, name: str) -> ast.FunctionDef:
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    return next(
        n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == name
    )


def _init_checks(source: str, arg: str, value: object) -> str | None:
    """Run the generated class's __init__ argument checks alone, without Keras."""
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    init = next(
        n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"
    )
    checks = [s for s in init.body if isinstance(s, ast.If)]
    code = compile(ast.Module(body=checks, type_ignores=[]), "<checks>", "exec")
    try:
        exec(code, {}, {arg: value})
    except ValueError as exc:
        return str(exc)
    return None


def test_range_min_choices_checks_use_keras_wording(tmp_path) -> None:
    source = _render(
        {
            "name": "Scale",
            "args": {
                "rate": {"type": "float", "default": 0.5, "range": "(0, 1]"},
            },
        },
        tmp_path,
    )
    assert _init_checks(source, "rate", 0.5) is None
    assert _init_checks(source, "rate", 1) is None
    assert _init_checks(source, "rate", 0) == (
        "Invalid value for argument `rate`. Expected a value in the interval (0, 1]. "
        "Received: rate=0"
    )


def test_nullable_args_are_checked_only_when_given(tmp_path) -> None:
    source = _render(
        {
            "name": "Scale",
            "args": {
                "size": {"type": "int | None", "default": None, "min": 2},
            },
        },
        tmp_path,
    )
    assert _init_checks(source, "size", None) is None
    assert _init_checks(source, "size", 1) == (
        "Invalid value for argument `size`. Expected an integer >= 2. Received: size=1"
    )
    assert _init_checks(source, "size", 2.5) == (
        "Invalid value for argument `size`. Expected an integer >= 2. "
        "Received: size=2.5"
    )


def test_int_args_with_bounds_are_ints_first_as_in_keras_dense(tmp_path) -> None:
    """`Dense(2.5)` and `Dense("3")` are Keras's `ValueError`, not accepted or a
    `TypeError` from comparing a string with an int."""
    source = plan_layer(load_example("dense"), out_layout(tmp_path)).changes[0].text
    assert "if not isinstance(units, int) or units < 1:" in source
    assert _init_checks(source, "units", 3) is None
    expected = "Invalid value for argument `units`. Expected a positive integer. "
    assert _init_checks(source, "units", 2.5) == expected + "Received: units=2.5"
    assert _init_checks(source, "units", "3") == expected + "Received: units=3"
    assert _init_checks(source, "units", 0) == expected + "Received: units=0"
    # An int without bounds (an axis, a seed) is left to the code that reads it.
    group = _render(
        {"name": "G", "args": {"axis": {"type": "int", "default": -1}}}, tmp_path
    )
    assert "isinstance" not in group


def test_choices(tmp_path) -> None:
    source = _render(
        {
            "name": "Pick",
            "args": {
                "mode": {"type": "str", "default": "a", "choices": ["a", "b"]},
            },
        },
        tmp_path,
    )
    assert _init_checks(source, "mode", "b") is None
    assert "Expected one of 'a', 'b'" in (_init_checks(source, "mode", "c") or "")


def test_spec_text_is_data_never_code(tmp_path) -> None:
    nasty = 'Ends with a quote " and \\ backslash, """ triple, {{ 1 + 1 }} {% if x %}'
    source = _render(
        {
            "name": "Nasty",
            "summary": nasty,
            "args": {
                "tag": {
                    "type": "str",
                    "default": "__import__('os').system('echo hi') \"\"\"",
                    "doc": nasty,
                },
            },
        },
        tmp_path,
    )
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    docstring = ast.get_docstring(cls, clean=False) or ""
    assert " ".join(docstring.split()).startswith(nasty)
    assert "{{ 1 + 1 }}" in source and "2" not in docstring.split("\n")[0]
    init = next(n for n in cls.body if isinstance(n, ast.FunctionDef))
    assert ast.literal_eval(init.args.defaults[0]) == (
        "__import__('os').system('echo hi') \"\"\""
    )


def test_keras_object_args_are_resolved_and_serialized(tmp_path) -> None:
    text = plan_layer(load_example("dense"), out_layout(tmp_path)).changes[0].text
    assert (
        "from keras import activations, constraints, initializers, ops, regularizers\n"
        in text
    )
    assert "self.kernel_initializer = initializers.get(kernel_initializer)" in text
    assert '"activation": activations.serialize(self.activation),' in text
    assert '"bias_initializer": initializers.serialize(self.bias_initializer),' in text
    assert "if self.use_bias:\n            self.bias = self.add_weight(" in text
    assert "else:\n            self.bias = None" in text


def test_a_module_an_argument_would_shadow_stays_qualified(tmp_path) -> None:
    source = _render(
        {
            "name": "Init",
            "args": {
                "initializers": {"type": "initializer", "default": "zeros"},
                "activation": {"type": "activation | None", "default": None},
            },
        },
        tmp_path,
    )
    assert "from keras import activations\n" in source
    assert "self.initializers = keras.initializers.get(initializers)" in source
    assert '"initializers": keras.initializers.serialize(self.initializers)' in source
    assert "self.activation = activations.get(activation)" in source


def test_build_re_sets_the_input_spec_with_the_axes_it_built_weights_for(
    tmp_path,
) -> None:
    keras3 = plan_layer(load_example("dense"), out_layout(tmp_path)).changes[0].text
    build = ast.unparse(_method(keras3, "build"))
    assert build.endswith(
        "self.input_spec = keras.InputSpec(min_ndim=2, axes={-1: input_shape[-1]})"
    )
    tf = plan_layer(load_example("dense"), out_layout(tmp_path), target="tf-keras")
    build = ast.unparse(_method(tf.changes[0].text, "build"))
    assert (
        "self.input_spec = keras.layers.InputSpec(min_ndim=2, axes={-1: "
        "input_shape[-1]})\n    super().build(input_shape)"
    ) in build
    # A name the build body reads from `input_shape` is the axis it stands for.
    group = plan_layer(load_example("group-normalization"), out_layout(tmp_path))
    build = ast.unparse(_method(group.changes[0].text, "build"))
    assert build.endswith(
        "self.input_spec = keras.InputSpec(min_ndim=2, axes={axis: channels})"
    )
    # No weight read from the input: the spec of `__init__` stays.
    pooling = plan_layer(load_example("masked-average-pooling"), out_layout(tmp_path))
    assert "def build" not in pooling.changes[0].text


def test_compute_output_shape_does_not_rebind_its_argument(tmp_path) -> None:
    for name, target, expected in (
        ("dense", "keras3", "return tuple(input_shape)[:-1] + (self.units,)"),
        (
            "dense",
            "tf-keras",
            "return tf.TensorShape(tuple(input_shape)[:-1] + (self.units,))",
        ),
        ("masked-average-pooling", "keras3", "return (input_shape[0], input_shape[2])"),
        ("group-normalization", "keras3", "return input_shape"),
    ):
        plan = plan_layer(load_example(name), out_layout(tmp_path), target=target)
        method = _method(plan.changes[0].text, "compute_output_shape")
        assert [ast.unparse(s) for s in method.body] == [expected], name


def test_float32_internal_computes_at_least_in_float32_as_keras_does(tmp_path) -> None:
    """Keras's GroupNormalization and LayerNormalization: `autocast = False`, compute in
    `result_type(inputs.dtype, "float32")`, return the compute dtype; tf-keras's
    LayerNormalization: float16 and bfloat16 up to float32, back to the input dtype."""
    plan = plan_layer(load_example("group-normalization"), out_layout(tmp_path))
    text = plan.changes[0].text
    assert "        self.autocast = False\n" in text
    call = [ast.unparse(s) for s in _method(text, "call").body]
    assert call[0] == (
        "inputs = ops.cast(inputs, backend.result_type(inputs.dtype, 'float32'))"
    )
    assert call[-1] == "return ops.cast(outputs, self.compute_dtype)"
    assert "supports_masking" not in text  # Keras 3's default: no mask support
    tf = plan_layer(
        load_example("group-normalization"), out_layout(tmp_path), target="tf-keras"
    ).changes[0]
    call = [ast.unparse(s) for s in _method(tf.text, "call").body]
    assert call[:2] == [
        "input_dtype = inputs.dtype",
        "if input_dtype in (tf.float16, tf.bfloat16):\n"
        "    inputs = tf.cast(inputs, tf.float32)",
    ]
    assert call[-1] == "return tf.cast(outputs, input_dtype)"
    assert "autocast = False" not in tf.text


def test_docstring_shapes_say_what_the_code_does(tmp_path) -> None:
    def doc(name: str) -> str:
        text = plan_layer(load_example(name), out_layout(tmp_path)).changes[0].text
        tree = ast.parse(text)
        assert ast.get_docstring(tree) is None  # no module docstring repeating it
        cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
        return ast.get_docstring(cls) or ""

    dense = doc("dense")
    assert (
        "Input shape:\n    N-D tensor with shape: `(batch_size, ..., input_dim)`, with "
        "N >= 2.\n\nOutput shape:\n    N-D tensor with shape: "
        "`(batch_size, ..., units)`.\n"
    ) in dense + "\n"
    assert 'Defaults to `"glorot_uniform"`.' in " ".join(dense.split())
    assert (
        "\n\nThe layer passes the input mask, if any, on unchanged.\n\nArgs:" in dense
    )
    pooling = doc("masked-average-pooling")
    assert "3D tensor with shape: `(batch_size, steps, features)`." in pooling
    assert "2D tensor with shape: `(batch_size, features)`." in pooling
    group = doc("group-normalization")
    assert "Output shape:\n    Same shape as input.\n\nReference:" in group
    padding = doc("padding-mask")
    assert "Input shape:\n    Arbitrary." in padding
    flat = " ".join(padding.split())
    assert 'Defaults to `"any"`.' in flat and "Defaults to `(-1,)`." in flat


def test_a_long_reference_wraps_at_the_line_length(tmp_path) -> None:
    ref = (
        "[A Very Long Title Of A Paper On Normalisation, 2026](https://example.org/"
        + ("x" * 30)
        + ")"
    )
    source = _render({"name": "Ref", "references": [ref]}, tmp_path)
    assert max(len(line) for line in source.splitlines()) <= 80
    assert "        - [A Very Long Title" in source


@pytest.mark.parametrize(
    ("expr", "ndim", "text"),
    [
        ("input_shape[:-1] + (self.units,)", None, "`(batch_size, ..., units)`"),
        (
            "(input_shape[0], input_shape[2])",
            3,
            "2D tensor with shape: `(batch_size, features)`",
        ),
        ("(*input_shape[:-1], self.units * 2)", None, "`(batch_size, ..., units * 2)`"),
        ("tuple(input_shape[:2])", 4, "`(batch_size, height)`"),
        ("(input_shape[0],)", None, "1D tensor with shape: `(batch_size,)`"),
    ],
)
def test_output_shapes_on_a_symbolic_input(expr: str, ndim, text: str) -> None:
    attrs = {"units": Dim("units")}
    assert text in shape_text(evaluate(expr, symbolic_input(ndim), attrs))


def test_what_the_symbolic_evaluation_does_not_model() -> None:
    shape = symbolic_input(None)
    assert shape[1] is ELLIPSIS
    for expr in ("input_shape[1]", "len(input_shape)", "input_shape[::2]", "self.f()"):
        with pytest.raises(Unsupported):
            evaluate(expr, shape, {})


def test_expected_output_shapes_of_examples() -> None:
    assert expected_shape(
        "input_shape[:-1] + (self.units,)", [2, 5, 8], {"units": 4}
    ) == (
        2,
        5,
        4,
    )
    assert expected_shape("(input_shape[0], input_shape[2])", [4, 7, 5], {}) == (4, 5)
    assert expected_shape("(input_shape[0], self.hidden)", [4, 7], {}) is None
    assert expected_shape("input_shape[0] * 2", [4, 7], {}) is None  # not a shape


def test_generated_module_never_mentions_backends(tmp_path) -> None:
    for name in ("decaying-dropout", "group-normalization", "padding-mask"):
        text = plan_layer(load_example(name), out_layout(tmp_path)).changes[0].text
        assert "keras.src" not in text
        for backend in ("tensorflow", "jax", "torch"):
            assert f"import {backend}" not in text


def test_test_ids_come_from_the_example_name_or_its_shape(tmp_path) -> None:
    spec = load_spec_data(
        {
            "klgen": 1,
            "name": "Ids",
            "summary": "S.",
            "masking": "propagate",
            "examples": [
                {"input_shape": [2, 3]},
                {"input_shape": [2, 3]},
                {"input_shape": [2, 3], "mask": True, "dtype": "float64"},
                {"input_shape": [4, 3], "name": "big-batch"},
            ],
        }
    )
    test = plan_layer(SpecSource(spec), out_layout(tmp_path)).changes[1].text
    ids = [line.strip() for line in test.splitlines() if line.strip().startswith("id=")]
    assert ids == [
        'id="2x3-1",',
        'id="2x3-2",',
        'id="2x3-mask-float64",',
        'id="big-batch",',
    ]
    assert '"name"' not in test  # the id, not data of the example


# --- The fields of issue 11 -------------------------------------------------------------


def _signature(source: str, name: str) -> str:
    return ast.unparse(_method(source, name).args)


def test_sub_layers_are_created_with_the_dtype_policy_and_built_in_build(tmp_path):
    text = _render(
        {
            "name": "Block",
            "args": {"units": {"type": "int", "min": 1}},
            "layers": {
                "dense": {"layer": "Dense", "args": {"units": "units"}},
                "norm": {
                    "layer": "LayerNormalization",
                    "build": "self.dense.compute_output_shape(input_shape)",
                },
            },
            "call": {"body": "outputs = self.norm(self.dense(inputs))"},
            "output_shape": "tuple(input_shape[:-1]) + (self.units,)",
            "examples": [{"input_shape": [2, 3], "init": {"units": 4}}],
        },
        tmp_path,
    )
    init = ast.unparse(_method(text, "__init__"))
    assert (
        "self.dense = keras.layers.Dense(units=units, dtype=self.dtype_policy)" in init
    )
    build = ast.unparse(_method(text, "build"))
    assert "self.dense.build(input_shape)" in build
    assert "self.norm.build(self.dense.compute_output_shape(input_shape))" in build


def test_several_inputs_take_keras_s_argument_and_shape_names(tmp_path):
    text = _render(
        {
            "name": "Cross",
            "inputs": {"query": {"mask": True}, "value": {"mask": True}},
            "call_args": {"scale": {"type": "float", "default": 1.0}},
            "training": "forward",
            "layers": {"drop": {"layer": "Dropout", "args": {"rate": 0.5}}},
            "masking": "use",
            "call": {"body": "outputs = self.drop(query, training=training) * scale"},
            "examples": [{"inputs": {"query": [2, 3, 4], "value": [2, 5, 4]}}],
        },
        tmp_path,
    )
    assert _signature(text, "call") == (
        "self, query, value, query_mask=None, value_mask=None, scale=1.0, "
        "training=None"
    )
    assert _signature(text, "compute_output_shape") == "self, query_shape, value_shape"
    assert "return query_shape" in ast.unparse(_method(text, "compute_output_shape"))


def test_a_list_of_inputs_is_unpacked_by_name(tmp_path):
    text = _render(
        {
            "name": "Fuse",
            "inputs": {"first": {}, "second": {}},
            "input_list": True,
            "call": {"body": "outputs = first + second"},
            "examples": [{"inputs": {"first": [2, 3], "second": [2, 3]}}],
        },
        tmp_path,
    )
    call = _method(text, "call")
    assert ast.unparse(call.args) == "self, inputs"
    assert ast.unparse(call.body[0]) == "first, second = inputs"
    shape = ast.unparse(_method(text, "compute_output_shape"))
    assert "return input_shape[0]" in shape


def test_several_outputs_are_a_tuple_with_a_mask_each(tmp_path):
    text = _render(
        {
            "name": "Split",
            "masking": "propagate",
            "outputs": {
                "low": {"mask": "mask"},
                "high": {"shape": "tuple(input_shape[:-1]) + (2,)"},
            },
            "call": {"body": "low = inputs\nhigh = inputs[..., :2]"},
        },
        tmp_path,
    )
    assert "return (low, high)" in ast.unparse(_method(text, "call"))
    assert "return (mask, None)" in ast.unparse(_method(text, "compute_mask"))
    shape = ast.unparse(_method(text, "compute_output_shape"))
    assert "return (input_shape, tuple(tuple(input_shape)[:-1]) + (2,))" in shape
    assert "Returns:" in text


def test_state_on_every_call_and_losses_follow_the_body(tmp_path):
    text = _render(
        {
            "name": "Count",
            "weights": {"seen": {"shape": [], "trainable": False, "name": "count"}},
            "state": {"seen": "self.seen + 1.0"},
            "state_on": "every_call",
            "losses": ["0.01 * ops.mean(ops.square(inputs))"],
            "call": {"body": "outputs = inputs"},
        },
        tmp_path,
    )
    body = [ast.unparse(s) for s in _method(text, "call").body]
    assert body == [
        "outputs = inputs",
        "self.seen.assign(self.seen + 1.0)",
        "self.add_loss(0.01 * ops.mean(ops.square(inputs)))",
        "return outputs",
    ]
    assert "name='count'" in ast.unparse(_method(text, "build"))


def test_imports_base_and_layer_arguments(tmp_path):
    text = _render(
        {
            "name": "Wrapped",
            "imports": ["numpy as np", "math"],
            "base_args": {"autocast": False},
            "args": {"inner": {"type": "layer | None", "default": None}},
            "methods": {
                "halved": {"args": "x", "body": "return x * math.sqrt(0.25)"},
            },
            "call": {"body": "outputs = self.half(self.inner(inputs)) + np.float32(0)"},
        },
        tmp_path,
    )
    lines = text.splitlines()
    assert lines.index("import math") < lines.index("import keras")
    assert lines.index("import keras") < lines.index("import numpy as np")
    assert "super().__init__(autocast=False, **kwargs)" in text
    config = ast.unparse(_method(text, "get_config"))
    assert "keras.saving.serialize_keras_object(self.inner)" in config
    assert "deserialize_keras_object" in ast.unparse(_method(text, "from_config"))
    assert _signature(text, "halved") == "self, x"


def test_a_mapping_default_is_copied_from_none(tmp_path):
    text = _render(
        {
            "name": "Table",
            "args": {"lookup": {"type": "dict", "default": {"a": 1}}},
            "call": {"body": "outputs = inputs * len(self.lookup)"},
        },
        tmp_path,
    )
    assert _signature(text, "__init__") == "self, lookup=None, **kwargs"
    init = ast.unparse(_method(text, "__init__"))
    assert "self.lookup = dict(lookup) if lookup is not None else {'a': 1}" in init
    assert "dict(self.lookup)" in ast.unparse(_method(text, "get_config"))
