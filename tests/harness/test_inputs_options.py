"""`--inputs` / `--call-args` and `assert_layer_contract(inputs=..., call_args=...)`:
parsing into `Example`s, the JSON round trip to the worker, and located bad-input errors
(exit 2, every problem at once). No Keras here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.harness import expectations_for_target, resolve_target
from keraslayer_gen.harness.expectations import (
    Example,
    Expectations,
    OutputExample,
    TensorExample,
    example_of_inputs,
    parse_call_args,
    parse_inputs,
)
from keraslayer_gen.testing import _given_inputs

HERE = Path(__file__).parent
LAYERS = HERE / "multi_layers.py"


def parsed(value: object) -> Example:
    problems: list[str] = []
    tensors, style = parse_inputs(value, "--inputs", problems)
    assert problems == []
    return example_of_inputs(tensors, style)


def test_a_list_is_one_list_argument() -> None:
    example = parsed([[2, 4], [2, 4]])
    assert example.input_style == "list"
    assert [t.shape for t in example.tensors()] == [(2, 4), (2, 4)]
    assert example.input_shape == (2, 4)


def test_an_object_is_first_positional_then_keywords() -> None:
    example = parsed(
        {
            "inputs": [2, 6, 8],
            "mask_positions": {"shape": [2, 3], "dtype": "int32", "min": 0, "max": 5},
        }
    )
    assert example.input_style == "keywords"
    first, second = example.tensors()
    assert (first.name, first.shape, first.dtype) == ("inputs", (2, 6, 8), "float32")
    assert second == TensorExample("mask_positions", (2, 3), "int32", 0, 5, None, False)


def test_one_tensor_is_the_single_style_with_its_range_and_padding() -> None:
    example = parsed({"shape": [2, 6], "dtype": "int32", "max": 9, "padding": 0})
    assert example.input_style == "single" and example.inputs == ()
    assert (example.input_shape, example.dtype, example.max, example.padding) == (
        (2, 6),
        "int32",
        9,
        0,
    )
    assert parsed([3, 5]).input_shape == (3, 5)
    assert parsed({"query": [2, 4, 8]}).input_style == "single"


def test_example_mask_masks_inputs_with_a_time_axis() -> None:
    example = Example(
        input_shape=(2, 4, 8),
        inputs=(
            TensorExample("query", (2, 4, 8)),
            TensorExample("ids", (2, 4), "int32"),
            TensorExample("scale", (2, 8)),
        ),
        input_style="keywords",
        mask=True,
    )
    assert [t.mask for t in example.tensors()] == [True, True, False]
    assert example.masked


def test_several_inputs_survive_json() -> None:
    exp = Expectations(
        examples=(
            Example(
                input_shape=(2, 4, 8),
                inputs=(
                    TensorExample("query", (2, 4, 8), mask=True),
                    TensorExample("value", (2, 6, 8), "int32", 1, 7, 0),
                ),
                input_style="keywords",
                call_args={"start_index": 2},
                outputs=(OutputExample((2, 4, 8), True), OutputExample()),
            ),
        ),
        masking="use",
        state_on="every_call",
        random_inference=True,
        losses=1,
    )
    import json

    assert Expectations.from_dict(json.loads(json.dumps(exp.to_dict()))) == exp


def test_call_args_merge_into_every_example() -> None:
    target = resolve_target(f"{LAYERS}:OffsetPositions")
    exp = expectations_for_target(
        target,
        input_shapes=[(2, 5, 3)],
        examples=[parsed([2, 6, 3])],
        call_args={"start_index": 2},
    )
    assert [e.input_shape for e in exp.examples] == [(2, 5, 3), (2, 6, 3)]
    assert all(e.call_args == {"start_index": 2} for e in exp.examples)


def test_the_pytest_helper_takes_the_same_data() -> None:
    examples, args = _given_inputs({"query": [2, 4, 8], "value": [2, 6, 8]}, {"k": 1})
    assert examples is not None and examples[0].input_style == "keywords"
    assert args == {"k": 1}
    with pytest.raises(KlgenError) as raised:
        _given_inputs({"query": {"shape": "2,4"}}, [1])
    assert raised.value.lines()[0].splitlines() == [
        "inputs: query: shape: expected a list of non-negative sizes, batch dimension "
        'first, e.g. [2, 4]; got "2,4"',
        "call_args: expected a JSON object of call arguments, e.g. "
        '{"start_index": 2}; got [1]',
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([[2, 4], "x"], "[1]: expected a shape list such as [2, 4] or an object"),
        ({"a": {"shape": [2, -1]}}, "a: shape: expected a list of non-negative sizes"),
        ({"a": {"shape": [2], "dtype": "int"}}, 'a: dtype: unknown dtype "int"'),
        ({"a": {"shape": [2], "min": "0"}}, 'a: min: expected a number, got "0"'),
        ({"a": {"shape": [2], "min": 5, "max": 1}}, "a: min 5 is larger than max 1"),
        ({"a": {"shape": [2], "mask": 1}}, "a: mask: expected true or false, got 1"),
        ({"a": {"shape": [2], "maks": True}}, "a: unknown field `maks` (did you mean"),
        ({"not a name": [2]}, '"not a name": not a Python argument name'),
        ([], "an empty list"),
        (3, "expected a JSON list (`layer([a, b])`) or object"),
    ],
)
def test_bad_tensors_are_located(value: object, message: str) -> None:
    problems: list[str] = []
    parse_inputs(value, "--inputs #2", problems)
    assert any(
        p.startswith("--inputs #2: ") and message in p for p in problems
    ), problems


def test_call_args_keep_training_and_mask_to_the_harness() -> None:
    problems: list[str] = []
    parse_call_args({"training": True, "start_index": 1}, "--call-args", problems)
    assert problems == [
        "--call-args: training: set by the harness in every call; leave it out"
    ]


def test_bad_options_exit_2_with_every_problem(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "keraslayer_gen.cli",
            "verify",
            f"{LAYERS}:CrossAttend",
            "--inputs",
            '{"query": [2, 4, 8], "value": {"shape": [2, 6, 8], "dtype": "float"}}',
            "--inputs",
            "[[2, 4], [2, 4]",
            "--call-args",
            '"start"',
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert any(
        line.startswith('--inputs #1: value: dtype: unknown dtype "float"')
        for line in lines
    ), done.stderr
    assert any(line.startswith("--inputs #2: not JSON (") for line in lines)
    assert any(line.startswith("--call-args: expected a JSON object") for line in lines)
