"""Rendering: argument checks, Keras-object args, escaping of spec text, determinism."""

from __future__ import annotations

import ast

from keraslayer_gen.api import SpecSource, load_example, plan_layer
from keraslayer_gen.loader import load_spec_data
from keraslayer_gen.project import out_layout


def _render(data: dict, tmp_path) -> str:
    spec = load_spec_data(
        {"klgen": 1, "summary": "S.", "examples": [{"input_shape": [2, 3]}], **data}
    )
    return plan_layer(SpecSource(spec), out_layout(tmp_path)).changes[0].text


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
        "Invalid value for argument `size`. Expected a value >= 2. Received: size=1"
    )


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
    assert docstring.startswith(nasty)
    assert "{{ 1 + 1 }}" in source and "2" not in docstring.split("\n")[0]
    init = next(n for n in cls.body if isinstance(n, ast.FunctionDef))
    assert ast.literal_eval(init.args.defaults[0]) == (
        "__import__('os').system('echo hi') \"\"\""
    )


def test_keras_object_args_are_resolved_and_serialized(tmp_path) -> None:
    text = plan_layer(load_example("dense"), out_layout(tmp_path)).changes[0].text
    assert (
        "self.kernel_initializer = keras.initializers.get(kernel_initializer)" in text
    )
    assert '"activation": keras.activations.serialize(self.activation)' in text
    assert "if self.use_bias:\n            self.bias = self.add_weight(" in text
    assert "else:\n            self.bias = None" in text


def test_generated_module_never_mentions_backends(tmp_path) -> None:
    for name in ("decaying-dropout", "group-normalization", "padding-mask"):
        text = plan_layer(load_example(name), out_layout(tmp_path)).changes[0].text
        assert "keras.src" not in text
        for backend in ("tensorflow", "jax", "torch"):
            assert f"import {backend}" not in text
