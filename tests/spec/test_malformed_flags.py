"""Malformed flag sets of `klgen new`: each is refused with exactly these messages, which
name the flag and the spec field, exit code 2, no traceback, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.spec.runner import assert_refused, run_klgen

LAYER_ATTR = (
    "is an attribute of `keras.layers.Layer`; using it breaks the layer, "
    "choose another name"
)
COMBINED = (
    "layer flags describe a new layer and cannot be combined with --spec or --example; "
    "edit the spec instead"
)

#: (id, argv after `klgen new`, files to create first, expected stderr lines)
CASES: list[tuple[str, list[str], dict[str, str], list[str]]] = [
    (
        "output-dtype-unknown",
        ["Cast", "--output-dtype", "flaot32"],
        {},
        [
            "--output-dtype 'flaot32': output_dtype: unknown dtype `flaot32` (did you "
            "mean `float32`?)"
        ],
    ),
    (
        "name-not-pascal-case-without-a-guess",
        ["9lives"],
        {},
        [
            "NAME '9lives': name: `9lives` is not a PascalCase class name; e.g. "
            "`DecayingDropout`"
        ],
    ),
    (
        # The user wrote no example: the message shows the flag that gives the value.
        "required-arg-without-a-value-in-the-default-example",
        ["Gate", "--arg", "units:int", "--arg", "rate:float;range=(0, 1]"],
        {},
        [
            "command line: examples[0].init: required argument `units` has no value in "
            "the default example input (2,5,8); give one with "
            "--example-input '2,5,8;init={units: 4, rate: 0.5}'",
            "command line: examples[0].init: required argument `rate` has no value in "
            "the default example input (2,5,8); give one with "
            "--example-input '2,5,8;init={units: 4, rate: 0.5}'",
        ],
    ),
    (
        "required-arg-without-a-value-in-a-given-example",
        ["Gate", "--arg", "units:int;min=8", "--example-input", "4,3"],
        {},
        [
            "--example-input '4,3': examples[0].init: required argument `units` has no "
            "value; give it: --example-input '4,3;init={units: 8}'"
        ],
    ),
    (
        "arg-without-type",
        ["Scale", "--arg", "rate"],
        {},
        [
            "--arg 'rate': expected NAME:TYPE[=DEFAULT], e.g. `rate:float=0.5` or "
            "`seed:int|None=None`"
        ],
    ),
    (
        "arg-unknown-type",
        ["Scale", "--arg", "rate:flaot=0.5"],
        {},
        [
            "--arg 'rate:flaot=0.5': args.rate.type: unknown type `flaot` (did you mean "
            "`float`?); types are int, float, bool, str, shape, ints, initializer, "
            "regularizer, constraint, activation, layer, dict, each optionally `| None`"
        ],
    ),
    (
        "arg-default-not-of-its-type",
        ["Scale", "--arg", "rate:float=high"],
        {},
        ["--arg 'rate:float=high': args.rate.default: 'high' is not a float"],
    ),
    (
        "arg-default-outside-its-range",
        ["Scale", "--arg", "rate:float=2;range=(0, 1]"],
        {},
        [
            "--arg 'rate:float=2;range=(0, 1]': args.rate.default: 2 is outside the "
            "range (0, 1]"
        ],
    ),
    (
        "arg-unknown-option",
        ["Scale", "--arg", "rate:float=0.5;rnage=(0, 1]"],
        {},
        [
            "--arg 'rate:float=0.5;rnage=(0, 1]': args.rate.rnage: unknown field `rnage` "
            "(did you mean `range`?)"
        ],
    ),
    (
        "arg-option-without-value",
        ["Scale", "--arg", "rate:float=0.5;doc=Drop rate; of units"],
        {},
        [
            "--arg 'rate:float=0.5;doc=Drop rate; of units': ` of units` is not "
            "KEY=VALUE (write a `;` inside a value as `\\;`)"
        ],
    ),
    (
        "arg-given-twice",
        ["Scale", "--arg", "rate:float=0.5", "--arg", "rate:float=0.1"],
        {},
        ["--arg 'rate:float=0.1': args.rate: `rate` is given by two --arg flags"],
    ),
    (
        "arg-layer-attribute",
        ["Scale", "--arg", "trainable:bool=true"],
        {},
        [f"--arg 'trainable:bool=true': args.trainable: `trainable` {LAYER_ATTR}"],
    ),
    (
        "weight-bad-shape",
        ["Scale", "--weight", "kernel:[input_shape[-1], "],
        {},
        [
            "--weight 'kernel:[input_shape[-1], ': `[input_shape[-1], ` is not a shape "
            "such as `[input_shape[-1], units]`"
        ],
    ),
    (
        "weight-without-shape",
        ["Scale", "--weight", "kernel"],
        {},
        [
            "--weight 'kernel': expected NAME:[SHAPE][;KEY=VALUE...], e.g. "
            "`kernel:[input_shape[-1], units]` or `count:[]`"
        ],
    ),
    (
        "weight-unknown-name-in-shape",
        ["Scale", "--arg", "units:int=2", "--weight", "kernel:[input_shape[-1], unit]"],
        {},
        [
            "--weight 'kernel:[input_shape[-1], unit]': weights.kernel.shape[1]: unknown "
            "name `unit` (did you mean `units`?); in scope: input_shape, self, units"
        ],
    ),
    (
        "state-without-equals",
        [
            "Scale",
            "--training",
            "--weight",
            "count:[];trainable=false",
            "--state",
            "count",
        ],
        {},
        [
            "--state 'count': expected WEIGHT=EXPRESSION, e.g. "
            "`iterations=self.iterations + 1`"
        ],
    ),
    (
        "state-on-a-trainable-weight",
        [
            "Scale",
            "--training",
            "--weight",
            "count:[]",
            "--state",
            "count=self.count + 1",
        ],
        {},
        [
            "--state 'count=self.count + 1': state.count: weight `count` is trainable; "
            "state is updated by assignment, so declare it `trainable: false`"
        ],
    ),
    (
        "layer-flags-with-spec",
        ["--spec", "s.klgen.yaml", "--arg", "rate:float=0.5", "--masking", "none"],
        {"s.klgen.yaml": "klgen: 1\n"},
        [f"--arg, --masking: {COMBINED}"],
    ),
    (
        "no-training-flag-with-example",
        ["--example", "decaying-dropout", "--no-training", "--example-input", "2,3"],
        {},
        [f"--example-input, --no-training: {COMBINED}"],
    ),
    (
        "composite-flags-with-example",
        [
            "--example",
            "dense",
            "--layer",
            "x:Dense",
            "--training-forward",
            "--method-body",
            "a=m.py",
            "--no-input-list",
        ],
        {"m.py": "return 1\n"},
        [f"--layer, --method-body, --no-input-list, --training-forward: {COMBINED}"],
    ),
    (
        "set-without-equals",
        ["Scale", "--set", "input_spec.min_ndim"],
        {},
        [
            "--set 'input_spec.min_ndim': expected PATH=VALUE, e.g. "
            "`input_spec.min_ndim=2`"
        ],
    ),
    (
        "set-through-a-scalar",
        ["Scale", "--set", "summary.text=Scales."],
        {},
        [
            "--set 'summary.text=Scales.': summary: is not a mapping, so it has no field "
            "`text`"
        ],
    ),
    (
        "set-unknown-field",
        ["Scale", "--set", "input_spec.ndmi=2"],
        {},
        [
            "--set 'input_spec.ndmi=2': input_spec.ndmi: unknown field `ndmi` (did you "
            "mean `ndim`?)"
        ],
    ),
    (
        "set-empty-path-part",
        ["Scale", "--set", "input_spec..ndim=2"],
        {},
        [
            "--set 'input_spec..ndim=2': `input_spec..ndim` is not a field path such as "
            "`input_spec.min_ndim`"
        ],
    ),
    (
        "masking-typo",
        ["Scale", "--masking", "propgate"],
        {},
        [
            "--masking 'propgate': masking: 'propgate' is not one of 'none', 'propagate', "
            "'use', 'consume' or 'custom' (did you mean `propagate`?)"
        ],
    ),
    (
        "seed-generator-unknown-arg",
        ["Scale", "--arg", "seed:int|None=None", "--seed-generator", "sed"],
        {},
        [
            "--seed-generator 'sed': seed_generator: `seed_generator` names argument "
            "`sed`, which does not exist (did you mean `seed`?)"
        ],
    ),
    (
        "output-shape-without-body",
        ["Scale", "--output-shape", "input_shape[:-1]"],
        {},
        [
            "--output-shape 'input_shape[:-1]': call: `output_shape` is not `same`, so "
            "the spec must give the `call` body that computes it"
        ],
    ),
    (
        "example-input-not-a-shape",
        ["Scale", "--example-input", "batch,3"],
        {},
        ["--example-input 'batch,3': `batch,3` is not a shape such as `4,10,8`"],
    ),
    (
        "example-input-unknown-init-arg",
        ["Scale", "--arg", "rate:float=0.5", "--example-input", "2,3;init={rat: 0.1}"],
        {},
        [
            "--example-input '2,3;init={rat: 0.1}': examples[0].init.rat: `rat` is not "
            "an argument (did you mean `rate`?)"
        ],
    ),
    (
        "body-file-syntax-error",
        ["Scale", "--body", "scale.py"],
        {"scale.py": "scaled = inputs * 2\nif scaled:\n    outputs = (scaled\n"},
        [
            "--body scale.py:3:15: call.body: syntax error in the body: '(' was never closed"
        ],
    ),
    (
        "body-file-unknown-attribute",
        ["Scale", "--arg", "factor:float=2.0", "--body", "scale.py"],
        {"scale.py": "outputs = inputs\nif True:\n    outputs = inputs * self.factr\n"},
        [
            "--body scale.py:3:24: call.body: unknown attribute `self.factr` (did you "
            "mean `factor`?); the layer has its args, weights and `keras.layers.Layer`'s"
        ],
    ),
    (
        "body-file-missing",
        ["Scale", "--body", "missing.py"],
        {},
        [
            "--body missing.py: cannot read the body: [Errno 2] No such file or "
            "directory: 'missing.py'"
        ],
    ),
    (
        "class-name-not-pascal-case",
        ["scale_layer"],
        {},
        [
            "NAME 'scale_layer': name: `scale_layer` is not a PascalCase class name; "
            "did you mean `ScaleLayer`?"
        ],
    ),
    (
        "unknown-target",
        ["Scale", "--target", "keras2"],
        {},
        ["--target keras2: expected keras3 or tf-keras"],
    ),
    # -- the flags of issue 11's fields ----------------------------------------------
    (
        "layer-without-class",
        ["Block", "--layer", "ffn"],
        {},
        [
            "--layer 'ffn': expected NAME:CLASS[;ARG=VALUE...][;build=SHAPES][;doc=TEXT], "
            'e.g. `ffn:Dense;units=hidden_dim;activation="relu"`'
        ],
    ),
    (
        "layer-argument-without-value",
        ["Block", "--layer", "ffn:Dense;units"],
        {},
        [
            "--layer 'ffn:Dense;units': `units` is not KEY=VALUE (write a `;` inside a "
            "value as `\\;`)"
        ],
    ),
    (
        "layer-given-twice",
        ["Block", "--layer", "ffn:Dense;units=2", "--layer", "ffn:Dense;units=3"],
        {},
        [
            "--layer 'ffn:Dense;units=3': layers.ffn: `ffn` is given by two --layer "
            "flags"
        ],
    ),
    (
        # the hint spells the default example of the declared inputs
        "required-arg-without-a-value-in-the-default-example-of-inputs",
        ["Block", "--arg", "units:int", "--input", "query", "--input", "ids:ndim=2"],
        {},
        [
            "command line: examples[0].init: required argument `units` has no value in "
            "the default example input (query=2,5,8;ids=2,5); give one with "
            "--example-input 'query=2,5,8;ids=2,5;init={units: 4}'"
        ],
    ),
    (
        "required-arg-without-a-value-in-an-example-of-inputs",
        [
            "Block",
            "--arg",
            "units:int;min=8",
            "--input",
            "ids",
            "--example-input",
            "ids={shape: [2, 3], dtype: int32}",
        ],
        {},
        [
            "--example-input 'ids={shape: [2, 3], dtype: int32}': examples[0].init: "
            "required argument `units` has no value; give it: --example-input "
            "'ids={shape: [2, 3], dtype: int32};init={units: 8}'"
        ],
    ),
    (
        "input-without-name",
        ["Block", "--input", ";ndim=3"],
        {},
        [
            "--input ';ndim=3': expected NAME[:KEY=VALUE][;KEY=VALUE...], e.g. "
            "`query:ndim=3;mask=true`"
        ],
    ),
    (
        "input-unknown-key",
        ["Block", "--input", "query:ndmi=3"],
        {},
        [
            "--input 'query:ndmi=3': inputs.query.ndmi: unknown field `ndmi` (did you "
            "mean `ndim`?)"
        ],
    ),
    (
        "output-without-name",
        ["Block", "--output", ":same"],
        {},
        [
            "--output ':same': expected NAME[:SHAPE][;KEY=VALUE...], e.g. "
            "`trend:same;mask=mask`"
        ],
    ),
    (
        "call-arg-without-type",
        ["Block", "--call-arg", "start_index"],
        {},
        [
            "--call-arg 'start_index': expected NAME:TYPE[=DEFAULT], e.g. "
            "`start_index:int=0` or `attention_mask:tensor|None=None`"
        ],
    ),
    (
        "method-body-of-no-method",
        ["Block", "--method", "rotate:x", "--method-body", "rotat=rotate.py"],
        {"rotate.py": "return x\n"},
        [
            "--method-body rotat=rotate.py: methods.rotat: no --method declares `rotat` "
            "(did you mean `rotate`?); add --method 'rotat:PARAMETERS'"
        ],
    ),
    (
        "method-body-twice",
        ["Block", "--method", "rotate:x;body=return x", "--method-body", "rotate=r.py"],
        {"r.py": "return x\n"},
        [
            "--method-body rotate=r.py: methods.rotate.body: the body is given twice "
            "(`body=` of --method and --method-body)"
        ],
    ),
    (
        "method-body-not-name-equals-file",
        ["Block", "--method", "rotate:x", "--method-body", "rotate.py"],
        {},
        [
            "--method-body 'rotate.py': expected NAME=FILE, e.g. "
            "`rotate_half=rotate_half.py`"
        ],
    ),
    (
        "method-body-file-missing",
        ["Block", "--method", "rotate:x", "--method-body", "rotate=missing.py"],
        {},
        [
            "--method-body rotate=missing.py: cannot read the body: [Errno 2] No such "
            "file or directory: 'missing.py'"
        ],
    ),
    (
        "method-body-file-syntax-error",
        ["Block", "--method", "rotate:x", "--method-body", "rotate=rotate.py"],
        {"rotate.py": "y = x\nif y:\n    y = (x\nreturn y\n"},
        [
            "--method-body rotate=rotate.py:3:9: methods.rotate.body: syntax error in "
            "the body: '(' was never closed"
        ],
    ),
    (
        "base-arg-without-value",
        ["Block", "--base-arg", "autocast"],
        {},
        ["--base-arg 'autocast': expected KEY=VALUE, e.g. `autocast=false`"],
    ),
    (
        "base-arg-given-twice",
        ["Block", "--base-arg", "autocast=false", "--base-arg", "autocast=true"],
        {},
        [
            "--base-arg 'autocast=true': base_args.autocast: `autocast` is given by two "
            "--base-arg flags"
        ],
    ),
    (
        "training-forward-and-training",
        ["Block", "--training-forward", "--no-training"],
        {},
        [
            "--training-forward, --no-training: give one (`training` is true, false or "
            "forward)"
        ],
    ),
    (
        "example-input-unknown-input",
        ["Block", "--input", "query", "--example-input", "qurey=2,5,8"],
        {},
        [
            "--example-input 'qurey=2,5,8': `qurey` is neither an example field nor an "
            "input (did you mean `query`?)"
        ],
    ),
    (
        "example-input-misspelt-field",
        ["Block", "--input", "query", "--example-input", "query=2,5,8;maks=true"],
        {},
        [
            "--example-input 'query=2,5,8;maks=true': `maks` is neither an example field "
            "nor an input (did you mean `mask`?)"
        ],
    ),
    (
        "example-input-misspelt-field-of-one-input",
        ["Scale", "--masking", "propagate", "--example-input", "2,5,8;maks=true"],
        {},
        [
            "--example-input '2,5,8;maks=true': examples[0].maks: unknown field `maks` "
            "(did you mean `mask`?)"
        ],
    ),
    (
        "example-input-tensor-not-a-shape",
        ["Block", "--input", "query", "--example-input", "query=two"],
        {},
        [
            "--example-input 'query=two': `two` is not a shape such as `2,5,8` or a "
            "mapping such as `{shape: [2, 6], dtype: int32, min: 1, max: 99}`"
        ],
    ),
    (
        "set-index-outside-the-list",
        ["Scale", "--set", "examples.3.mask=true"],
        {},
        [
            "--set 'examples.3.mask=true': examples: `3` is not an index of this list of 1"
        ],
    ),
    (
        # every problem of every flag at once
        "several-new-flags-at-once",
        [
            "Block",
            "--layer",
            "ffn",
            "--input",
            "q:ndmi=3",
            "--call-arg",
            "start",
            "--base-arg",
            "autocast",
        ],
        {},
        [
            "--base-arg 'autocast': expected KEY=VALUE, e.g. `autocast=false`",
            "--layer 'ffn': expected NAME:CLASS[;ARG=VALUE...][;build=SHAPES][;doc=TEXT], "
            'e.g. `ffn:Dense;units=hidden_dim;activation="relu"`',
            "--call-arg 'start': expected NAME:TYPE[=DEFAULT], e.g. `start_index:int=0` or "
            "`attention_mask:tensor|None=None`",
        ],
    ),
]


@pytest.mark.parametrize(
    ("argv", "files", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_flags_are_refused_with_the_flag_and_field(
    tmp_path: Path, argv: list[str], files: dict[str, str], expected: list[str]
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    outcome = run_klgen(tmp_path, ["new", *argv, "--out", "out"])
    assert_refused(outcome, expected, set(files))


def test_case_ids_are_unique() -> None:
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 8
