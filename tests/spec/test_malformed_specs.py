"""Malformed spec files: each is refused with exactly these located messages, exit code 2,
no traceback, and nothing written.

A case is (id, spec text, expected stderr lines). Every line reads
`FILE:LINE:COL: path.to.field: message`; LINE:COL point at the offending key or value, and
for code at the offending statement inside the `|` block.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.spec.runner import SPEC, assert_refused, run_klgen

S = SPEC
#: A valid spec that the cases below break in one or more places.
HEAD = "klgen: 1\nname: Scale\nsummary: Multiplies its inputs by a factor.\n"
EXAMPLE = "examples:\n  - {input_shape: [2, 3]}\n"
KNOWN_FIELDS = (
    "klgen, name, module, summary, description, references, package, target, "
    "allow_shadowing, base, base_args, imports, args, weights, layers, inputs, "
    "input_list, outputs, call_args, methods, losses, seed_generator, masking, "
    "training, random_inference, build, state, state_on, call, compute_mask, "
    "output_shape, float32_internal, output_dtype, input_spec, targets, examples"
)
LAYER_ATTR = (
    "is an attribute of `keras.layers.Layer`; using it breaks the layer, "
    "choose another name"
)
TYPES = (
    "types are int, float, bool, str, shape, ints, initializer, regularizer, constraint, "
    "activation, layer, dict, each optionally `| None`"
)


def spec(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


CASES: list[tuple[str, str | bytes, list[str]]] = [
    # -- unknown keys, with a did-you-mean --------------------------------------------
    (
        "unknown-top-level-key",
        HEAD + "descripton: Scales.\n" + EXAMPLE,
        [
            f"{S}:4:1: descripton: unknown field `descripton` "
            "(did you mean `description`?)"
        ],
    ),
    (
        "unknown-top-level-key-lists-the-fields",
        HEAD + "colour: red\n" + EXAMPLE,
        [f"{S}:4:1: colour: unknown field `colour`; known fields: {KNOWN_FIELDS}"],
    ),
    (
        "unknown-arg-key",
        HEAD + spec("""
            args:
              rate: {type: float, default: 0.5, rnage: "(0, 1]"}
            """) + EXAMPLE,
        [f"{S}:5:37: args.rate.rnage: unknown field `rnage` (did you mean `range`?)"],
    ),
    (
        "unknown-weight-key",
        HEAD + spec("""
            weights:
              w:
                shape: [3]
                intializer: zeros
            """) + EXAMPLE,
        [
            f"{S}:7:5: weights.w.intializer: unknown field `intializer` "
            "(did you mean `initializer`?)"
        ],
    ),
    (
        "unknown-call-key",
        HEAD + spec("""
            training: true
            call:
              trainng: |
                outputs = inputs
              inference: |
                outputs = inputs
            """) + EXAMPLE,
        [f"{S}:6:3: call.trainng: unknown field `trainng` (did you mean `training`?)"],
    ),
    (
        "unknown-example-key",
        HEAD + "examples:\n  - {input_shap: [2, 3]}\n",
        [
            f"{S}:5:5: examples[0].input_shape: missing; this field is required",
            f"{S}:5:6: examples[0].input_shap: unknown field `input_shap` "
            "(did you mean `input_shape`?)",
        ],
    ),
    # -- YAML-level problems --------------------------------------------------------------
    (
        "duplicate-top-level-key",
        HEAD + "name: Other\n" + EXAMPLE,
        [f"{S}:4:1: name: duplicate key `name` (first at line 2)"],
    ),
    (
        "duplicate-arg",
        HEAD + spec("""
            args:
              rate: {type: float, default: 0.5}
              rate: {type: float, default: 0.1}
            """) + EXAMPLE,
        [f"{S}:6:3: args.rate: duplicate key `rate` (first at line 5)"],
    ),
    (
        "several-problems-at-once",
        spec("""
            klgen: 1
            name: scale
            summary: Scales.
            summary: Again.
            args:
              lambda: {type: flaot, default: 1.0}
              rate: {type: float, default: 2.0, range: "[0, 1]"}
            masking: propgate
            examples:
              - {input_shape: [2, 3]}
            """),
        [
            f"{S}:4:1: summary: duplicate key `summary` (first at line 3)",
            f"{S}:8:10: masking: 'propgate' is not one of 'none', 'propagate', "
            "'use', 'consume' or 'custom' (did you mean `propagate`?)",
        ],
    ),
    (
        "several-rule-problems-at-once",
        spec("""
            klgen: 1
            name: scale
            summary: Scales.
            args:
              lambda: {type: flaot, default: 1.0}
              rate: {type: float, default: 2.0, range: "[0, 1]"}
            examples:
              - {input_shape: [2, 3], init: {rat: 0.5}}
            """),
        [
            f"{S}:2:7: name: `scale` is not a PascalCase class name; did you mean "
            "`Scale`?",
            f"{S}:5:3: args.lambda: `lambda` is a Python keyword",
            f"{S}:5:18: args.lambda.type: unknown type `flaot` (did you mean `float`?); "
            + TYPES,
            f"{S}:6:32: args.rate.default: 2.0 is outside the range [0, 1]",
            f"{S}:8:34: examples[0].init.rat: `rat` is not an argument "
            "(did you mean `rate`?)",
        ],
    ),
    (
        "unknown-keys-reported-with-rule-problems",
        spec("""
            klgen: 1
            name: scale
            summary: Scales.
            args:
              rate: {type: float, default: 0.5, rnage: "[0, 1]"}
            call:
              body: |
                outputs = inputs * self.rat
            examples:
              - {input_shape: [2, 3]}
            """),
        [
            f"{S}:2:7: name: `scale` is not a PascalCase class name; did you mean "
            "`Scale`?",
            f"{S}:5:37: args.rate.rnage: unknown field `rnage` (did you mean `range`?)",
            f"{S}:8:24: call.body: unknown attribute `self.rat` (did you mean `rate`?); "
            "the layer has its args, weights and `keras.layers.Layer`'s",
        ],
    ),
    (
        "not-utf-8",
        b"klgen: 1\nname: Sc\xe4le\nsummary: x\n",
        [
            f"{S}:2:9: the spec is not UTF-8 text (byte 0xe4 at offset 17); "
            "save it as UTF-8"
        ],
    ),
    (
        "empty",
        "",
        [
            f"{S}:1:1: the spec is empty; start from "
            "`klgen new --example dense --save-spec FILE`"
        ],
    ),
    (
        "only-comments",
        "# a spec, some day\n\n",
        [
            f"{S}:1:1: the spec is empty; start from "
            "`klgen new --example dense --save-spec FILE`"
        ],
    ),
    (
        "not-a-mapping",
        "- klgen: 1\n- name: Scale\n",
        [
            f"{S}:1:1: the spec must be a mapping of fields (`klgen: 1`, `name`, ...), "
            "not a list"
        ],
    ),
    (
        "a-lone-string",
        "just some text\n",
        [
            f"{S}:1:1: the spec must be a mapping of fields (`klgen: 1`, `name`, ...), "
            "not a str"
        ],
    ),
    (
        "yaml-syntax-error",
        HEAD + "args: {rate: {type: float, default: 0.5}\n" + EXAMPLE,
        [
            f"{S}:5:1: YAML syntax error: expected ',' or '}}', but got '<scalar>' "
            "(while parsing a flow mapping at line 4, column 7)"
        ],
    ),
    (
        "yaml-brackets-in-a-flow-sequence",
        HEAD + "weights:\n  w: {shape: [input_shape[-1]]}\n" + EXAMPLE,
        [
            f"{S}:5:26: YAML syntax error: expected ',' or ']', but got '[' (while "
            "parsing a flow sequence at line 5, column 14); inside `[...]` or `{...}`, "
            'quote a value that contains brackets, e.g. `"input_shape[-1]"`'
        ],
    ),
    (
        "tab-indentation",
        HEAD + "args:\n\trate: {type: float}\n" + EXAMPLE,
        [
            f"{S}:5:1: YAML syntax error: found character '\\t' that cannot start any token"
        ],
    ),
    (
        "unsafe-yaml-tag",
        HEAD + "description: !!python/object/apply:os.system [echo hi]\n" + EXAMPLE,
        [
            f"{S}:4:14: description: the YAML tag `!!python/object/apply:os.system` is "
            "not allowed in a spec; a spec holds plain strings, numbers, booleans, "
            "lists and mappings"
        ],
    ),
    (
        "yaml-merge-key",
        HEAD + "args:\n  <<: {rate: {type: float}}\n" + EXAMPLE,
        [
            f"{S}:5:3: args: YAML merge keys (`<<`) are not supported in a spec; write "
            "the fields out"
        ],
    ),
    (
        "alias-bomb",
        HEAD
        + "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n"
            for p, n in zip("abcd", "bcde", strict=True)
        ),
        [
            f"{S}:8:1: e: the spec expands to more than 50,000 values (YAML aliases?); "
            "a spec is a page, not a data set"
        ],
    ),
    (
        "nested-too-deeply",
        HEAD + "description: " + "[" * 5000 + "]" * 5000 + "\n" + EXAMPLE,
        [f"{S}:1:1: the spec nests too deeply to read; a spec is a page, not a tree"],
    ),
    (
        "code-nested-too-deeply",
        HEAD
        + "call:\n  body: |\n    outputs = inputs + "
        + "-" * 3000
        + "1\n"
        + EXAMPLE,
        [f"{S}:5:9: call.body: cannot parse the code: it nests too deeply"],
    ),
    (
        "too-big",
        HEAD + "#" * 1_000_000 + "\n",
        [
            f"{S}:1:1: the spec is 1,000,066 bytes; a spec may be at most 1,000,000 bytes"
        ],
    ),
    # -- the format version -------------------------------------------------------------
    (
        "missing-format-version",
        "name: Scale\nsummary: Scales.\n" + EXAMPLE,
        [
            f"{S}:1:1: klgen: missing the spec format version; add `klgen: 1` as the first line"
        ],
    ),
    (
        "unknown-format-version",
        "klgen: 2\nname: Scale\nsummary: Scales.\n" + EXAMPLE,
        [
            f"{S}:1:8: klgen: unknown spec format 2; this klgen reads format 1 (`klgen: 1`)"
        ],
    ),
    (
        "format-version-true",
        "klgen: true\nname: Scale\nsummary: Scales.\n" + EXAMPLE,
        [
            f"{S}:1:8: klgen: unknown spec format true; this klgen reads format 1 "
            "(`klgen: 1`)"
        ],
    ),
    # -- structure --------------------------------------------------------------------------
    (
        "missing-summary",
        "klgen: 1\nname: Scale\n" + EXAMPLE,
        [f"{S}:1:1: summary: missing; this field is required"],
    ),
    (
        # One round: missing fields do not hide the mistakes the rules find elsewhere.
        "missing-fields-reported-with-every-other-mistake",
        spec("""
            klgen: 1
            args:
              rate: {type: float, default: 1.5, range: "(0, 1]"}
              units: {type: integr, default: 3}
            call:
              body: |
                outputs = inputs * self.rat
            """),
        [
            f"{S}:1:1: name: missing; this field is required",
            f"{S}:1:1: summary: missing; this field is required",
            f"{S}:3:32: args.rate.default: 1.5 is outside the range (0, 1]",
            f"{S}:4:17: args.units.type: unknown type `integr` (did you mean `int`?); "
            + TYPES,
            f"{S}:7:24: call.body: unknown attribute `self.rat` (did you mean `rate`?); "
            "the layer has its args, weights and `keras.layers.Layer`'s",
        ],
    ),
    (
        "wrong-type-bool",
        HEAD + "training: sometimes\n" + EXAMPLE,
        [f"{S}:4:11: training: expected true, false or 'forward', got 'sometimes'"],
    ),
    (
        "args-not-a-mapping",
        HEAD + "args: [rate, seed]\n" + EXAMPLE,
        [f"{S}:4:7: args: expected a mapping, got [rate, seed]"],
    ),
    (
        "no-examples",
        HEAD + "examples: []\n",
        [
            f"{S}:4:11: examples: give at least one example input, e.g. "
            "`examples: [{input_shape: [2, 8]}]`"
        ],
    ),
    # -- identifiers ------------------------------------------------------------------------
    (
        "arg-keyword-and-builtin",
        HEAD + spec("""
            args:
              lambda: {type: float, default: 1.0}
              filter: {type: int, default: 1}
            """) + EXAMPLE,
        [
            f"{S}:5:3: args.lambda: `lambda` is a Python keyword",
            f"{S}:6:3: args.filter: `filter` shadows the Python builtin `filter`",
        ],
    ),
    (
        "arg-layer-attributes",
        HEAD + spec("""
            args:
              name: {type: str, default: a}
              dtype: {type: str, default: float32}
              trainable: {type: bool, default: true}
              weights: {type: int, default: 1}
            """) + EXAMPLE,
        [
            f"{S}:5:3: args.name: `name` {LAYER_ATTR}",
            f"{S}:6:3: args.dtype: `dtype` {LAYER_ATTR}",
            f"{S}:7:3: args.trainable: `trainable` {LAYER_ATTR}",
            f"{S}:8:3: args.weights: `weights` {LAYER_ATTR}",
        ],
    ),
    (
        "arg-input-shape-and-autocast",
        HEAD
        + "args:\n  input_shape: {type: shape | None, default: null}\n"
        + "  autocast: {type: bool, default: true}\n"
        + EXAMPLE,
        [
            f"{S}:5:3: args.input_shape: `input_shape` {LAYER_ATTR}",
            f"{S}:6:3: args.autocast: `autocast` {LAYER_ATTR}",
        ],
    ),
    (
        "arg-named-seed-generator",
        HEAD + "args:\n  seed_generator: {type: int | None, default: null}\n" + EXAMPLE,
        [
            f"{S}:5:3: args.seed_generator: `seed_generator` is the attribute of the "
            "layer's `keras.random.SeedGenerator`; choose another name"
        ],
    ),
    (
        "arg-ambiguous-name",
        HEAD + "args:\n  l: {type: int, default: 1}\n" + EXAMPLE,
        [
            f"{S}:5:3: args.l: `l` is an ambiguous name (`l`, `O` and `I` look like "
            "digits; ruff E741); choose another name"
        ],
    ),
    (
        "weight-layer-attribute",
        HEAD + "weights:\n  built: {shape: []}\n" + EXAMPLE,
        [f"{S}:5:3: weights.built: `built` {LAYER_ATTR}"],
    ),
    (
        "class-name-not-pascal-case",
        "klgen: 1\nname: scale_layer\nsummary: Scales.\n" + EXAMPLE,
        [
            f"{S}:2:7: name: `scale_layer` is not a PascalCase class name; did you "
            "mean `ScaleLayer`?"
        ],
    ),
    (
        "class-name-a-builtin",
        "klgen: 1\nname: Exception\nsummary: Scales.\n" + EXAMPLE,
        [f"{S}:2:7: name: `Exception` shadows the Python builtin `Exception`"],
    ),
    (
        "class-name-shadows-keras",
        "klgen: 1\nname: Dense\nsummary: Scales.\n" + EXAMPLE,
        [
            f"{S}:2:7: name: `Dense` shadows `keras.layers.Dense`; rename the layer or "
            "set `allow_shadowing: true`"
        ],
    ),
    (
        "class-name-gives-a-keyword-module",
        "klgen: 1\nname: As\nsummary: Scales.\n" + EXAMPLE,
        [
            f"{S}:2:7: name: `As` gives the module name `as`, which is a Python "
            "keyword; set `module`, e.g. `module: as_layer`"
        ],
    ),
    (
        "module-shadows-keras",
        HEAD + "module: keras\n" + EXAMPLE,
        [
            f"{S}:4:9: module: a module named `keras` would shadow `keras`, which the "
            "generated code imports; choose another name"
        ],
    ),
    (
        # `from random import Random` in a test beside an `--out` layer would import
        # the standard library's class.
        "class-name-gives-a-stdlib-module",
        "klgen: 1\nname: Random\nsummary: Scales.\n" + EXAMPLE,
        [
            f"{S}:2:7: name: `Random` gives the module name `random`, which is a module "
            "of Python's standard library; set `module`, e.g. `module: random_layer`"
        ],
    ),
    (
        # ruff's isort files `xx` with the standard library, as CPython's test module.
        "module-is-a-stdlib-name",
        HEAD + "module: xx\n" + EXAMPLE,
        [
            f"{S}:4:9: module: `xx` is a module of Python's standard library: where the "
            "layer is a top-level module (`--out DIR`) one hides the other, and import "
            "sorters file it with the standard library; choose another name"
        ],
    ),
    (
        "output-dtype-unknown",
        HEAD + "output_dtype: flaot32\n" + EXAMPLE,
        [
            f"{S}:4:15: output_dtype: unknown dtype `flaot32` (did you mean "
            "`float32`?)"
        ],
    ),
    (
        "arg-key-not-a-name",
        HEAD + "args:\n  1: {type: int, default: 1}\n" + EXAMPLE,
        [f"{S}:5:3: args[1]: `1` is not a name; keys here are names"],
    ),
    # -- types and defaults -------------------------------------------------------------
    (
        "default-vs-type",
        HEAD + "args:\n  units: {type: int, default: 0.5}\n" + EXAMPLE,
        [f"{S}:5:31: args.units.default: 0.5 is not an int"],
    ),
    (
        "default-vs-min-and-max",
        HEAD + spec("""
            args:
              units: {type: int, default: 0, min: 1}
              rate: {type: float, default: 5.0, max: 1}
            """) + EXAMPLE,
        [
            f"{S}:5:31: args.units.default: 0 is below `min` 1",
            f"{S}:6:32: args.rate.default: 5.0 is above `max` 1",
        ],
    ),
    (
        "default-vs-range",
        HEAD
        + 'args:\n  rate: {type: float, default: 0.0, range: "(0, 1]"}\n'
        + EXAMPLE,
        [f"{S}:5:32: args.rate.default: 0.0 is outside the range (0, 1]"],
    ),
    (
        "default-vs-choices",
        HEAD
        + "args:\n  mode: {type: str, default: max, choices: [sum, mean]}\n"
        + EXAMPLE,
        [
            f"{S}:5:30: args.mode.default: 'max' is not one of the choices ['sum', 'mean']"
        ],
    ),
    (
        "null-default-of-a-non-nullable-type",
        HEAD + "args:\n  seed: {type: int, default: null}\n" + EXAMPLE,
        [
            f"{S}:5:30: args.seed.default: null is not a int; declare the type "
            "`int | None`"
        ],
    ),
    (
        "bad-range-syntax",
        HEAD + 'args:\n  rate: {type: float, default: 0.5, range: "0..1"}\n' + EXAMPLE,
        [
            f"{S}:5:44: args.rate.range: `0..1` is not an interval such as `(0, 1]` "
            "or `[1, inf)`"
        ],
    ),
    (
        "range-on-a-string",
        HEAD + "args:\n  mode: {type: str, default: a, min: 1}\n" + EXAMPLE,
        [f"{S}:5:38: args.mode.min: `min` applies to int and float arguments, not str"],
    ),
    (
        "unknown-type",
        HEAD + "args:\n  rate: {type: flaot | None, default: 0.5}\n" + EXAMPLE,
        [
            f"{S}:5:16: args.rate.type: unknown type `flaot | None` "
            f"(did you mean `float | None`?); {TYPES}"
        ],
    ),
    (
        "unknown-type-of-an-arg-used-elsewhere",
        HEAD + spec("""
            args:
              init: {type: initiizer, default: zeros}
              seed: {type: int | none, default: null}
            seed_generator: seed
            weights:
              w: {shape: [3], initializer: init}
            """) + EXAMPLE,
        [
            f"{S}:5:16: args.init.type: unknown type `initiizer` (did you mean "
            f"`initializer`?); {TYPES}",
            f"{S}:6:16: args.seed.type: unknown type `int | none` (did you mean "
            f"`int | None`?); {TYPES}",
        ],
    ),
    (
        "required-arg-after-a-default",
        HEAD + spec("""
            args:
              rate: {type: float, default: 0.5}
              units: {type: int}
            examples:
              - {input_shape: [2, 3], init: {units: 2}}
            """),
        [
            f"{S}:6:3: args.units: required argument `units` (no `default`) must come "
            "before `rate`, which has a default"
        ],
    ),
    # -- code: bodies and expressions, located at the statement -------------------------
    (
        "unknown-self-attribute",
        HEAD + spec("""
            args:
              factor: {type: float, default: 2.0}
            call:
              body: |
                scaled = inputs
                if self.factor != 1.0:
                    scaled = inputs * self.factr
                outputs = scaled
            """) + EXAMPLE,
        [
            f"{S}:10:27: call.body: unknown attribute `self.factr` (did you mean "
            "`factor`?); the layer has its args, weights and `keras.layers.Layer`'s"
        ],
    ),
    (
        "syntax-error-in-a-body",
        HEAD + spec("""
            call:
              body: |
                scaled = inputs * 2

                outputs = ops.where(scaled > 0, scaled,
            """) + EXAMPLE,
        [f"{S}:8:24: call.body: syntax error in the body: '(' was never closed"],
    ),
    (
        "syntax-error-at-the-end-of-a-multi-line-expression",
        HEAD + spec("""
            call:
              body: |
                outputs = ops.where(
                    inputs > 0, inputs, 0.0
                ) if self.built
            """) + EXAMPLE,
        [
            f"{S}:8:20: call.body: syntax error in the body: expected 'else' after 'if' "
            "expression"
        ],
    ),
    (
        "syntax-error-in-a-quoted-body",
        HEAD + "call:\n  body: 'outputs = inputs *'\n" + EXAMPLE,
        [f"{S}:5:28: call.body: syntax error in the body: invalid syntax"],
    ),
    (
        "unknown-name-in-a-body",
        HEAD + spec("""
            call:
              body: |
                for axis in range(2):
                    inputs = inputs * scale
                outputs = inputs
            """) + EXAMPLE,
        [
            f"{S}:7:27: call.body: unknown name `scale`; in scope: axis, inputs, keras, "
            "ops, outputs, self"
        ],
    ),
    (
        "body-does-not-assign-outputs",
        HEAD + "call:\n  body: |\n    result = inputs\n" + EXAMPLE,
        [f"{S}:5:9: call.body: the body must assign `outputs`"],
    ),
    (
        "python-state-in-a-body",
        HEAD + "call:\n  body: |\n    self.calls = 1\n    outputs = inputs\n" + EXAMPLE,
        [
            f"{S}:6:5: call.body: `self.calls = ...` in a body keeps Python state that is "
            "neither traced nor replicated; declare a non-trainable weight and update it "
            "through `state`"
        ],
    ),
    (
        "import-in-a-body",
        HEAD + "call:\n  body: |\n    import numpy\n    outputs = inputs\n" + EXAMPLE,
        [
            f"{S}:6:5: call.body: imports and global statements are not allowed in a "
            "body; `keras` and `ops` are in scope; list other modules in `imports`"
        ],
    ),
    (
        "folded-body",
        HEAD + "call:\n  body: >\n    y = inputs\n    outputs = y\n" + EXAMPLE,
        [
            f"{S}:5:9: call.body: code must be a literal block (`|`); a folded block "
            "(`>`) joins its lines"
        ],
    ),
    (
        "unknown-name-in-a-weight-shape",
        HEAD + spec("""
            args:
              units: {type: int, default: 2}
            weights:
              kernel:
                shape:
                  - input_shape[-1]
                  - unit
            """) + EXAMPLE,
        [
            f"{S}:10:9: weights.kernel.shape[1]: unknown name `unit` (did you mean "
            "`units`?); in scope: input_shape, self, units"
        ],
    ),
    # -- state, training, seeds -----------------------------------------------------------
    (
        "state-on-a-trainable-weight",
        HEAD + spec("""
            training: true
            weights:
              count: {shape: [], initializer: zeros}
            state:
              count: self.count + 1
            """) + EXAMPLE,
        [
            f"{S}:8:3: state.count: weight `count` is trainable; state is updated by "
            "assignment, so declare it `trainable: false`"
        ],
    ),
    (
        "state-without-training",
        HEAD + spec("""
            weights:
              count: {shape: [], initializer: zeros, trainable: false}
            state:
              count: self.count + 1
            """) + EXAMPLE,
        [
            f"{S}:6:1: state: `state` updates happen only in training; set `training: true`"
        ],
    ),
    (
        "state-of-an-unknown-weight",
        HEAD + spec("""
            training: true
            weights:
              count: {shape: [], initializer: zeros, trainable: false}
            state:
              cout: self.count + 1
            """) + EXAMPLE,
        [f"{S}:8:3: state.cout: `cout` is not a weight (did you mean `count`?)"],
    ),
    (
        "keras-random-without-seed-generator",
        HEAD + spec("""
            call:
              body: |
                noise = keras.random.normal(ops.shape(inputs))
                outputs = inputs + noise
            """) + EXAMPLE,
        [
            f"{S}:5:9: call.body: the body uses `keras.random`; name an `int | None` "
            "argument in `seed_generator` and pass `seed=self.seed_generator`"
        ],
    ),
    (
        "seed-generator-not-int-or-none",
        HEAD
        + "args:\n  seed: {type: int, default: 1}\nseed_generator: seed\n"
        + EXAMPLE,
        [
            f"{S}:6:17: seed_generator: `seed_generator` needs an `int | None` argument; "
            "`seed` is int"
        ],
    ),
    (
        "seed-generator-unknown-arg",
        HEAD
        + "args:\n  seed: {type: int | None, default: null}\nseed_generator: sed\n"
        + EXAMPLE,
        [
            f"{S}:6:17: seed_generator: `seed_generator` names argument `sed`, which does "
            "not exist (did you mean `seed`?)"
        ],
    ),
    (
        "output-shape-needs-a-body",
        HEAD + "output_shape: input_shape[:-1] + (1,)\n" + EXAMPLE,
        [
            f"{S}:4:1: call: `output_shape` is not `same`, so the spec must give the "
            "`call` body that computes it"
        ],
    ),
    (
        "training-needs-both-bodies",
        HEAD + "training: true\ncall:\n  training: |\n    outputs = inputs\n" + EXAMPLE,
        [
            f"{S}:5:1: call: with `training: true`, `call` needs both a `training` and an "
            "`inference` body; `inference` is missing"
        ],
    ),
    (
        "training-body-without-training",
        HEAD + "call:\n  training: |\n    outputs = inputs\n" + EXAMPLE,
        [
            f"{S}:5:3: call.training: `training` bodies need `training: true`; a layer "
            "without training behaviour has one `body`"
        ],
    ),
    (
        "custom-masking-needs-compute-mask",
        HEAD + "masking: custom\n" + EXAMPLE,
        [
            f"{S}:4:1: compute_mask: `masking: custom` needs a `compute_mask` body that "
            "assigns `output_mask`"
        ],
    ),
    (
        "mask-out-of-scope",
        HEAD
        + "masking: propagate\ncall:\n  body: |\n    outputs = inputs * mask\n"
        + EXAMPLE,
        [
            f"{S}:7:24: call.body: `mask` is only in scope with `masking: use`, "
            "`consume` or `custom`"
        ],
    ),
    (
        "weight-arg-name-clash",
        HEAD + spec("""
            args:
              scale: {type: float, default: 1.0}
            weights:
              scale: {shape: []}
            """) + EXAMPLE,
        [
            f"{S}:7:3: weights.scale: weight `scale` has the name of an argument; both "
            "would be `self.scale`"
        ],
    ),
    (
        "weight-initializer-typo",
        HEAD + "weights:\n  w: {shape: [3], initializer: glorot_unifrom}\n" + EXAMPLE,
        [
            f"{S}:5:32: weights.w.initializer: `glorot_unifrom` is neither an initializer "
            "argument nor a Keras initializer (did you mean `glorot_uniform`?)"
        ],
    ),
    # -- examples -------------------------------------------------------------------------
    (
        "example-init-unknown-arg",
        HEAD
        + "args:\n  units: {type: int, default: 2}\n"
        + "examples:\n  - {input_shape: [2, 3], init: {unit: 3}}\n",
        [
            f"{S}:7:34: examples[0].init.unit: `unit` is not an argument "
            "(did you mean `units`?)"
        ],
    ),
    (
        "example-init-missing-required-arg",
        HEAD
        + "args:\n  units: {type: int, min: 1}\n"
        + "examples:\n  - {input_shape: [2, 3]}\n  - {input_shape: [2, 3], init: {units: 0}}\n",
        [
            f"{S}:7:5: examples[0].init: required argument `units` has no value; add it "
            "to `init`",
            f"{S}:8:41: examples[1].init.units: 0 is below `min` 1",
        ],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_spec_is_refused_with_located_messages(
    tmp_path: Path, text: str | bytes, expected: list[str]
) -> None:
    path = tmp_path / S
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    outcome = run_klgen(tmp_path, ["new", "--spec", S, "--out", "out"])
    assert_refused(outcome, expected, {S})


def test_case_ids_are_unique() -> None:
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 30


@pytest.mark.parametrize(
    "case", ["several-rule-problems-at-once", "unsafe-yaml-tag", "not-utf-8"]
)
def test_the_installed_command_refuses_with_exit_2_and_no_traceback(
    tmp_path: Path, case: str
) -> None:
    """The same through the real entry point in its own process, not the test runner."""
    text, expected = next(c[1:] for c in CASES if c[0] == case)
    (tmp_path / S).write_bytes(
        text if isinstance(text, bytes) else text.encode("utf-8")
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "keraslayer_gen.cli",
            "new",
            "--spec",
            S,
            "--out",
            "out",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == expected
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == [S]
