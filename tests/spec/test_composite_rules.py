"""Bad input in issue 11's fields: each spec is refused with exactly these located
messages (`FILE:LINE:COL: path: message`), all problems of a spec at once, exit code 2,
and nothing written; and a valid spec per new field loads without a problem.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from keraslayer_gen.spec.load import load_spec_file, load_spec_text
from tests.spec.runner import SPEC, assert_refused, run_klgen

S = SPEC
HEAD = "klgen: 1\nname: Block\nsummary: A block.\n"
EXAMPLES = Path(__file__).resolve().parents[2] / "keraslayer_gen" / "examples"


def spec(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


CASES: list[tuple[str, str, list[str]]] = [
    (
        "unknown-sub-layer-class",
        HEAD + spec("""
    args:
      units: {type: int}
    layers:
      proj:
        layer: Dens
        args: {units: units}
      attention:
        layer: keras.layers.MultiHeadAtention
      norm:
        layer: keras.ops.Norm
    call:
      body: |
        outputs = self.proj(inputs)
    output_shape: input_shape[:-1] + (self.units,)
    examples:
      - {input_shape: [2, 3], init: {units: 4}}
    """),
        [
            (
                f"{S}:8:12: layers.proj.layer: `Dens` is not a `keras.layers` class (did you "
                "mean `Dense`?); a class of your own package is written `module.path.Class`"
            ),
            (
                f"{S}:11:12: layers.attention.layer: `MultiHeadAtention` is not a "
                "`keras.layers` class (did you mean `MultiHeadAttention`?); a class of your "
                "own package is written `module.path.Class`"
            ),
            (
                f"{S}:13:12: layers.norm.layer: `keras.ops.Norm` is neither a `keras.layers` "
                "name nor a `module.path.Class` of your own package"
            ),
        ],
    ),
    (
        "unknown-base",
        HEAD + spec("""
    base: MultiHeadAttenton
    base_args: {autocast: false}
    examples:
      - {input_shape: [2, 3]}
    """),
        [
            (
                f"{S}:4:7: base: `MultiHeadAttenton` is not a `keras.layers` class (did you "
                "mean `MultiHeadAttention`?); a class of your own package is written "
                "`module.path.Class`"
            ),
        ],
    ),
    (
        "base-args-without-base",
        HEAD + spec("""
    base_args: {autocats: false, dtype: '"float32"'}
    examples:
      - {input_shape: [2, 3]}
    """),
        [
            (
                f"{S}:4:13: base_args.autocats: `keras.layers.Layer` takes no argument "
                "`autocats` (did you mean `autocast`?); set `base` for a base class that "
                "does (Layer flags: `activity_regularizer`, `autocast`, `input_dim` and "
                "`input_shape`)"
            ),
            (
                f"{S}:4:30: base_args.dtype: `dtype` comes from the layer's own `**kwargs`; "
                "leave it out"
            ),
        ],
    ),
    (
        "sub-layer-args-expressions",
        HEAD + spec("""
    args:
      units: {type: int}
    layers:
      proj:
        layer: Dense
        args: {units: unit, activation: relu, use_bias: "True if", dtype: '"float32"'}
    call:
      body: |
        outputs = self.proj(inputs)
    output_shape: input_shape[:-1] + (self.units,)
    examples:
      - {input_shape: [2, 3], init: {units: 4}}
    """),
        [
            (
                f"{S}:9:19: layers.proj.args.units: unknown name `unit` (did you mean "
                '`units`?); write \'"unit"\' for the string "unit"; in scope: the layer\'s '
                "arguments, `self`, `keras`, `ops` and builtins"
            ),
            (
                f"{S}:9:37: layers.proj.args.activation: unknown name `relu`; write '\"relu\"' "
                'for the string "relu"; in scope: the layer\'s arguments, `self`, `keras`, '
                "`ops` and builtins"
            ),
            (
                f"{S}:9:54: layers.proj.args.use_bias: syntax error in the expression: "
                "invalid syntax"
            ),
            (
                f"{S}:9:64: layers.proj.args.dtype: `dtype=self.dtype_policy` is always "
                "passed; leave `dtype` out"
            ),
        ],
    ),
    (
        "sub-layer-build",
        HEAD + spec("""
    layers:
      first:
        layer: Dense
        args: {units: 4}
        build: query_shape
      second:
        layer: Dense
        args: {units: 4}
        build: self.third.compute_output_shape(input_shape)
      third:
        layer: Dense
        args: {units: 4}
        build: true
    call:
      body: |
        outputs = self.third(self.second(self.first(inputs)))
    output_shape: input_shape[:-1] + (4,)
    examples:
      - {input_shape: [2, 3]}
    """),
        [
            (
                f"{S}:8:12: layers.first.build: unknown name `query_shape` (did you mean "
                "`input_shape`?); in scope: input_shape, keras, ops, self"
            ),
            (
                f"{S}:12:12: layers.second.build: `self.third` is built after `second` "
                "(sub-layers are built in order); use an earlier one"
            ),
        ],
    ),
    (
        "body-undeclared-input-sub-layer-call-arg-method",
        HEAD + spec("""
    inputs:
      query: {ndim: 3}
      value: {ndim: 3}
    layers:
      attention:
        layer: MultiHeadAttention
        args: {num_heads: 2, key_dim: 4}
        build: "query_shape, value_shape"
    call_args:
      use_causal_mask: {type: bool, default: false}
    methods:
      scale:
        args: x
        body: |
          return x * 2.0
    call:
      body: |
        attended = self.attn(query, key, use_causal_mask=causal)
        outputs = self.scal(attended) + self.attention(query, value)
    examples:
      - inputs: {query: [2, 5, 8], value: [2, 7, 8]}
    """),
        [
            (
                f"{S}:21:16: call.body: unknown attribute `self.attn` (did you mean "
                "`attention`?); the layer has its args, weights, sub-layers, methods and "
                "`keras.layers.Layer`'s"
            ),
            (
                f"{S}:21:33: call.body: unknown name `key`; in scope: attended, keras, ops, "
                "outputs, query, self, use_causal_mask, value"
            ),
            (
                f"{S}:21:54: call.body: unknown name `causal`; in scope: attended, keras, "
                "ops, outputs, query, self, use_causal_mask, value"
            ),
            (
                f"{S}:22:15: call.body: unknown attribute `self.scal` (did you mean "
                "`scale`?); the layer has its args, weights, sub-layers, methods and "
                "`keras.layers.Layer`'s"
            ),
        ],
    ),
    (
        "outputs-not-assigned",
        HEAD + spec("""
    outputs:
      trend: {}
      residual: {}
    call:
      body: |
        trend = ops.mean(inputs, axis=-1, keepdims=True)
    examples:
      - {input_shape: [2, 3]}
    """),
        [
            (
                f"{S}:8:9: call.body: the body must assign `residual` (the layer returns "
                "(trend, residual))"
            ),
        ],
    ),
    (
        "outputs-assigned-instead-of-names",
        HEAD + spec("""
    outputs:
      trend: {}
      residual: {}
    call:
      body: |
        trend = ops.mean(inputs, axis=-1, keepdims=True)
        outputs = (trend, inputs - trend)
    examples:
      - {input_shape: [2, 3]}
    """),
        [
            (
                f"{S}:8:9: call.body: this layer returns (trend, residual): assign `trend` "
                "and `residual`, not `outputs`"
            ),
        ],
    ),
    (
        "tuple-outputs-without-outputs",
        HEAD + spec("""
    call:
      body: |
        trend = ops.mean(inputs, axis=-1, keepdims=True)
        outputs = trend, inputs - trend
    examples:
      - {input_shape: [2, 3]}
    """),
        [
            (
                f"{S}:7:5: call.body: the body assigns 2 tensors to `outputs`, but the layer "
                "has one output; declare them under `outputs` (one name each) and assign "
                "each name"
            ),
        ],
    ),
    (
        "imports-outside-the-allow-list",
        HEAD + spec("""
    imports: [maths, numpy as np, os, "numpy as", tensorflow, math, math]
    call:
      body: |
        import math
        outputs = inputs * np.pi
    examples:
      - {input_shape: [2, 3]}
    """),
        [
            (
                f"{S}:4:11: imports[0]: `maths` is not an allowed import (did you mean "
                "`math`?); allowed: `math`, `numpy`, `functools`, `itertools`, "
                "`collections`, `string` and `warnings`"
            ),
            (
                f"{S}:4:31: imports[2]: `os` is not an allowed import; allowed: `math`, "
                "`numpy`, `functools`, `itertools`, `collections`, `string` and `warnings`"
            ),
            (
                f"{S}:4:35: imports[3]: `numpy as` is not `MODULE` or `MODULE as NAME`; "
                "modules: `math`, `numpy`, `functools`, `itertools`, `collections`, "
                "`string` and `warnings`"
            ),
            (
                f"{S}:4:47: imports[4]: `tensorflow` is not an allowed import; allowed: "
                "`math`, `numpy`, `functools`, `itertools`, `collections`, `string` and "
                "`warnings`"
            ),
            f"{S}:4:65: imports[6]: `math` is already imported by `imports[5]`",
            (
                f"{S}:7:5: call.body: imports and global statements are not allowed in a "
                "body; `keras` and `ops` are in scope; list other modules in `imports`"
            ),
        ],
    ),
    (
        "inputs-rules",
        HEAD + spec("""
    args:
      rate: {type: float, default: 0.5}
    inputs:
      query: {optional: true, ndim: 3, min_ndim: 2}
      rate: {}
      mask: {}
      value: {mask: true, dtype: float23}
    call_args:
      training: {type: bool, default: false}
    call:
      body: |
        outputs = query
    examples:
      - inputs: {query: [2, 3, 4], rate: [2, 3], mask: [2, 3], value: [2, 3]}
    """),
        [
            f"{S}:7:3: inputs.query: give `ndim`, or `min_ndim`/`max_ndim`, not both",
            f"{S}:7:21: inputs.query.optional: the first input cannot be optional",
            (
                f"{S}:8:3: inputs.rate: an input `rate` has the name of an argument of the "
                "layer; rename one of them"
            ),
            (
                f"{S}:9:3: inputs.mask: `mask` is a mask parameter of the generated `call`; "
                "choose another name"
            ),
            (
                f"{S}:10:17: inputs.value.mask: `mask: true` needs a layer that supports "
                "masks (`masking` other than `none`)"
            ),
            (
                f"{S}:10:30: inputs.value.dtype: unknown dtype `float23` (did you mean "
                "`float32`?)"
            ),
            (
                f"{S}:12:3: call_args.training: `training` is the parameter `training` of "
                "the generated `call`; choose another name"
            ),
        ],
    ),
    (
        "input-list-needs-two",
        HEAD + spec("""
    inputs:
      first: {}
    input_list: true
    call:
      body: |
        outputs = first
    examples:
      - inputs: {first: [2, 3]}
    """),
        [
            f"{S}:6:13: input_list: `input_list: true` needs two or more `inputs`",
        ],
    ),
    (
        "call-args-rules",
        HEAD + spec("""
    call_args:
      start_index: {type: int, default: 0.5}
      positions: {type: tensr}
      scale: {type: float}
      cache: {type: tensor, default: 1}
    call:
      body: |
        outputs = inputs * scale
    examples:
      - input_shape: [2, 3]
        call_args: {start_index: "two", scale: 1.0, stride: 2}
      - input_shape: [2, 3]
    """),
        [
            f"{S}:5:37: call_args.start_index.default: 0.5 is not an int",
            (
                f"{S}:6:3: call_args.positions: required call argument `positions` (no "
                "`default`) must come before `start_index`, which has a default"
            ),
            (
                f"{S}:6:21: call_args.positions.type: unknown call-argument type `tensr` "
                "(did you mean `tensor`?); types are int, float, bool, str, tensor, each "
                "optionally `| None`"
            ),
            (
                f"{S}:7:3: call_args.scale: required call argument `scale` (no `default`) "
                "must come before `start_index`, which has a default"
            ),
            (
                f"{S}:8:34: call_args.cache.default: a tensor call argument's default can "
                "only be null"
            ),
            (
                f"{S}:14:16: examples[0].call_args: required call argument `positions` has "
                "no value; add it to `call_args`"
            ),
            f"{S}:14:30: examples[0].call_args.start_index: 'two' is not an int",
            (
                f"{S}:14:49: examples[0].call_args.stride: `stride` is not a call argument "
                "(did you mean `start_index`?)"
            ),
            (
                f"{S}:15:5: examples[1].call_args: required call argument `positions` has no "
                "value; add it to `call_args`"
            ),
            (
                f"{S}:15:5: examples[1].call_args: required call argument `scale` has no "
                "value; add it to `call_args`"
            ),
        ],
    ),
    (
        "examples-with-inputs",
        HEAD + spec("""
    inputs:
      query: {ndim: 3, dtype: int32}
      value: {ndim: 3}
    masking: propagate
    call:
      body: |
        outputs = value
    examples:
      - inputs: {query: [2, 5, 8]}
      - input_shape: [2, 5, 8]
      - inputs: {query: {shape: [2, 5], min: 5, max: 1.5}, value: [2, 5, 8], valeu: [2, 5]}
        min: 0
    """),
        [
            f"{S}:12:5: examples[0].inputs: no shape for input `value`",
            (
                f"{S}:13:5: examples[1].input_shape: this layer declares `inputs`; give one "
                "shape per input under `inputs` (`query` and `value`) instead of "
                "`input_shape`"
            ),
            (
                f"{S}:14:29: examples[2].inputs.query.shape: rank 2 does not fit input "
                "`query` (rank 3)"
            ),
            f"{S}:14:50: examples[2].inputs.query.max: `max` 1.5 is below `min` 5",
            (
                f"{S}:14:50: examples[2].inputs.query.max: `max` 1.5 is not a whole number, "
                "and the input is int32"
            ),
            (
                f"{S}:14:74: examples[2].inputs.valeu: `valeu` is not a declared input (did "
                "you mean `value`?)"
            ),
            (
                f"{S}:15:5: examples[2].min: this layer declares `inputs`; give `min` per "
                "input under `inputs`"
            ),
        ],
    ),
    (
        "examples-without-inputs",
        HEAD + spec("""
    examples:
      - inputs: {x: [2, 3]}
      - {name: second, dtype: int32, min: 0.5, max: 9}
    """),
        [
            (
                f"{S}:5:5: examples[0].inputs: `inputs` is for a layer that declares "
                "`inputs`; this one takes one tensor: give `input_shape`"
            ),
            f"{S}:6:5: examples[1].input_shape: missing; this field is required",
            (
                f"{S}:6:39: examples[1].min: `min` 0.5 is not a whole number, and the input "
                "is int32"
            ),
        ],
    ),
    (
        "modes",
        HEAD + spec("""
    args:
      seed: {type: int | None, default: null}
    weights:
      total: {shape: [], trainable: false, initializer: zeros, name: count}
      count: {shape: [], trainable: false, initializer: zeros, name: Count}
    training: forward
    random_inference: true
    state_on: every_call
    state:
      total: self.total + ops.sum(inputs)
    call:
      training: |
        outputs = inputs
      inference: |
        outputs = inputs
    examples:
      - {input_shape: [2, 3]}
    """),
        [
            f"{S}:8:66: weights.count.name: `Count` is not a snake_case name",
            (
                f"{S}:9:11: training: `training: forward` has one `body` (with `training` in "
                "scope to pass on to sub-layers), not `training`/`inference` bodies"
            ),
            (
                f"{S}:9:11: training: `training: forward` passes `training` to sub-layers; "
                "declare them under `layers` (or use `training: true`)"
            ),
            (
                f"{S}:10:19: random_inference: `random_inference: true` needs "
                "`seed_generator` (the layer draws from `keras.random` at inference)"
            ),
            f"{S}:14:1: call: `training: forward` needs one `body`",
        ],
    ),
    (
        "methods-rules",
        HEAD + spec("""
    methods:
      helper:
        args: "x, = 1"
        body: |
          return x
      doubled:
        args: x
        body: |
          y = x * factor
      build:
        body: |
          return 1
    call:
      body: |
        outputs = self.doubled(inputs)
    examples:
      - {input_shape: [2, 3]}
    """),
        [
            (
                f"{S}:6:11: methods.helper.args: syntax error in the parameters: invalid "
                "syntax"
            ),
            f"{S}:11:11: methods.doubled.body: a method's body must `return` its result",
            (
                f"{S}:12:15: methods.doubled.body: unknown name `factor`; in scope: keras, "
                "ops, self, x, y"
            ),
            (
                f"{S}:13:3: methods.build: `build` is an attribute of `keras.layers.Layer`; "
                "using it breaks the layer, choose another name"
            ),
        ],
    ),
    (
        "losses-and-output-expressions",
        HEAD + spec("""
    masking: propagate
    outputs:
      trend: {shape: "input_shape[:-1] + (1,)", mask: "mask"}
      residual: {shape: "input_sape", dtype: float33}
    losses:
      - 0.01 * ops.sum(trend ** 2
      - 0.01 * ops.mean(residul)
    call:
      body: |
        trend = ops.mean(inputs, axis=-1, keepdims=True)
        residual = inputs - trend
    examples:
      - {input_shape: [2, 3]}
    """),
        [
            (
                f"{S}:7:22: outputs.residual.shape: unknown name `input_sape` (did you mean "
                "`input_shape`?); in scope: input_shape, self"
            ),
            (
                f"{S}:7:42: outputs.residual.dtype: unknown dtype `float33` (did you mean "
                "`float32`?)"
            ),
            f"{S}:9:19: losses[0]: syntax error in the expression: '(' was never closed",
            (
                f"{S}:10:21: losses[1]: unknown name `residul` (did you mean `residual`?); "
                "in scope: inputs, keras, ops, residual, self, trend"
            ),
        ],
    ),
    (
        "names-clash",
        HEAD + spec("""
    args:
      units: {type: int}
    weights:
      kernel: {shape: ["input_shape[-1]", units]}
    layers:
      kernel: {layer: Dense, args: {units: units}}
      Proj: {layer: Dense, args: {units: units}}
      trainable: {layer: Dense, args: {units: units}}
    methods:
      units:
        body: |
          return 1
    call:
      body: |
        outputs = ops.matmul(inputs, self.kernel)
    output_shape: input_shape[:-1] + (self.units,)
    examples:
      - {input_shape: [2, 3], init: {units: 4}}
    """),
        [
            (
                f"{S}:9:3: layers.kernel: a sub-layer `kernel` has the name of a weight; "
                "both would be `self.kernel`"
            ),
            f"{S}:10:3: layers.Proj: `Proj` is not a snake_case name",
            (
                f"{S}:11:3: layers.trainable: `trainable` is an attribute of "
                "`keras.layers.Layer`; using it breaks the layer, choose another name"
            ),
            (
                f"{S}:13:3: methods.units: a method `units` has the name of an argument; "
                "both would be `self.units`"
            ),
        ],
    ),
    (
        "targets-copies",
        HEAD + spec("""
    methods:
      doubled:
        args: x
        body: |
          return ops.multiply(x, 2.0)
    losses:
      - ops.sum(outputs)
    call:
      body: |
        outputs = self.doubled(inputs)
    targets:
      tf-keras:
        call:
          body: |
            outputs = self.doubled(inputs)
        methods:
          triple:
            args: x
            body: |
              return x * 3.0
    examples:
      - {input_shape: [2, 3]}
    """),
        [
            (
                f"{S}:15:3: targets.tf-keras: `methods.doubled` uses `ops`, which tf-keras "
                "code does not have; give `targets.tf-keras.methods`"
            ),
            (
                f"{S}:15:3: targets.tf-keras: `losses[0]` uses `ops`, which tf-keras code "
                "does not have; give `targets.tf-keras.losses`"
            ),
            (
                f"{S}:20:7: targets.tf-keras.methods.triple: `triple` is not in the spec's "
                "`methods`"
            ),
        ],
    ),
    (
        "union-fields",
        HEAD + spec("""
    inputs:
      query: {}
      value: {}
    layers:
      proj: {layer: Dense, args: {units: 4}, build: 3}
    call:
      body: |
        outputs = self.proj(query) + value
    output_shape: query_shape[:-1] + (4,)
    examples:
      - inputs: {query: 5, value: {shape: [2, 3], colour: red}}
    """),
        [
            (
                f"{S}:8:49: layers.proj.build: expected a string (the build arguments) or "
                "false, got 3"
            ),
            (
                f"{S}:14:21: examples[0].inputs.query: expected a shape list or a mapping "
                "with `shape`, got 5"
            ),
            (
                f"{S}:14:47: examples[0].inputs.value.colour: unknown field `colour`; known "
                "fields: shape, dtype, min, max, padding, mask"
            ),
        ],
    ),
    (
        "state-every-call-with-training",
        HEAD + spec("""
    weights:
      total: {shape: [], trainable: false, initializer: zeros}
    training: true
    state_on: every_call
    state:
      total: self.total + ops.sum(inputs)
    call:
      training: |
        outputs = inputs
      inference: |
        outputs = inputs
    examples:
      - {input_shape: [2, 3]}
    """),
        [
            (
                f"{S}:7:11: state_on: `state_on: every_call` assigns `state` after the one "
                "`body`; it needs `training: false` or `forward`, not `true`"
            ),
        ],
    ),
    (
        "masks-of-inputs",
        HEAD + spec("""
    inputs:
      query: {mask: true}
      value: {}
    masking: use
    call:
      body: |
        outputs = query * ops.cast(ops.expand_dims(mask, -1), query.dtype) + value_mask
    examples:
      - inputs: {query: {shape: [2, 3, 4], mask: true}, value: {shape: [2, 3, 4], mask: true}}
    """),
        [
            (
                f"{S}:10:48: call.body: `mask` is not a parameter of this `call`; the masks "
                "are `query_mask`"
            ),
            (
                f"{S}:10:74: call.body: `value_mask` is not in scope; `call` receives the "
                "mask of `value` with `inputs.value.mask: true` (and a `masking` other than "
                "`none`)"
            ),
        ],
    ),
    (
        "sub-layer-order-and-keys",
        HEAD + spec("""
    layers:
      first:
        layer: Dense
        args: {units: 4, kernel_initializer: self.second.kernel_initializer}
      second:
        layer: Dense
        args: {units: 4, "class": 1}
    call:
      body: |
        outputs = self.second(self.first(inputs))
    output_shape: input_shape[:-1] + (4,)
    examples:
      - {input_shape: [2, 3]}
    """),
        [
            (
                f"{S}:7:42: layers.first.args.kernel_initializer: `self.second` does not "
                "exist yet here: sub-layers are created in order; use an earlier one"
            ),
            (
                f"{S}:10:22: layers.second.args.class: `class` is not a keyword argument "
                "name"
            ),
        ],
    ),
    (
        "tensor-call-arg-values",
        HEAD + spec("""
    call_args:
      bias: {type: tensor}
      scale: {type: tensor | None, default: null}
    call:
      body: |
        outputs = inputs + bias
        if scale is not None:
            outputs = outputs * scale
    examples:
      - {input_shape: [2, 3], call_args: {scale: [0.5, 1.0, 2.0]}}
      - {input_shape: [2, 3], call_args: {scale: null}}
    """),
        [
            (
                f"{S}:5:3: call_args.bias: a required tensor is an input: declare `bias` "
                "under `inputs` (the harness feeds inputs; a tensor call argument defaults "
                "to null)"
            ),
            (
                f"{S}:13:46: examples[0].call_args.scale: examples pass call arguments to "
                "`call` as they are, not as tensors; declare a tensor an example feeds "
                "under `inputs` (`optional: true`)"
            ),
        ],
    ),
    (
        "inputs-named-in-bodies",
        HEAD + spec("""
    inputs:
      query: {ndim: 3}
      value: {ndim: 3}
    call:
      body: |
        outputs = inputs[0] + values
    examples:
      - inputs: {query: [2, 5, 8], value: [2, 5, 8]}
    """),
        [
            (
                f"{S}:9:15: call.body: `inputs` is not a parameter of this `call`; its "
                "inputs are `query` and `value`"
            ),
            (
                f"{S}:9:27: call.body: unknown name `values` (did you mean `value`?); in "
                "scope: keras, ops, outputs, query, self, value"
            ),
        ],
    ),
    (
        "state-with-forward-training",
        HEAD + spec("""
    weights:
      total: {shape: [], trainable: false, initializer: zeros}
    layers:
      dropout: {layer: Dropout, args: {rate: 0.5}, build: false}
    training: forward
    state:
      total: self.total + ops.sum(inputs)
    call:
      body: |
        outputs = self.dropout(inputs, training=training)
    examples:
      - {input_shape: [2, 3]}
    """),
        [
            (
                f"{S}:9:1: state: with `training: forward` there is no training-only path to "
                "update `state` in; set `state_on: every_call`, or `training: true`"
            ),
        ],
    ),
    (
        "sub-layer-build-reads-an-arg-by-name",
        HEAD + spec("""
    args:
      units: {type: int}
    layers:
      proj:
        layer: Dense
        args: {units: units}
        build: input_shape[:-1] + (units,)
    call:
      body: |
        outputs = self.proj(inputs)
    output_shape: input_shape[:-1] + (self.units,)
    examples:
      - {input_shape: [2, 3], init: {units: 4}}
    """),
        [
            (
                f"{S}:10:32: layers.proj.build: `units` is an argument of the layer; write "
                "`self.units` here"
            ),
        ],
    ),
]

VALID: list[tuple[str, str]] = [
    (
        "sub-layers-and-forward-training",
        HEAD + spec("""
    args:
      units: {type: int, min: 1}
      rate: {type: float, default: 0.1}
    layers:
      first:
        layer: Dense
        args: {units: units, activation: '"relu"', use_bias: true}
      dropout:
        layer: keras.layers.Dropout
        args: {rate: rate}
        build: false
      second:
        layer: my_package.blocks.Projection
        args: {units: "units * 2"}
        build: self.first.compute_output_shape(input_shape)
    training: forward
    call:
      body: |
        hidden = self.dropout(self.first(inputs), training=training)
        outputs = self.second(hidden)
    output_shape: input_shape[:-1] + (self.units * 2,)
    examples:
      - {input_shape: [2, 3], init: {units: 4}}
    """),
    ),
    (
        "base-and-base-args",
        HEAD + spec("""
    base: MultiHeadAttention
    base_args: {num_heads: 2, key_dim: "key_dim"}
    args:
      key_dim: {type: int, default: 4}
    inputs:
      query: {ndim: 3}
      value: {ndim: 3}
    call:
      body: |
        outputs = super().call(query, value) + self.num_heads * 0.0
    examples:
      - inputs: {query: [2, 5, 8], value: [2, 7, 8]}
    """),
    ),
    (
        "layer-flags-without-base",
        HEAD + spec("""
    base_args: {autocast: false}
    examples:
      - {input_shape: [2, 3]}
    """),
    ),
    (
        "two-tensor-inputs-with-masks-and-call-args",
        HEAD + spec("""
    inputs:
      query: {ndim: 3, mask: true, doc: The sequence that attends.}
      value: {ndim: 3, mask: true}
      key: {ndim: 3, optional: true}
    layers:
      attention:
        layer: MultiHeadAttention
        args: {num_heads: 2, key_dim: 4}
        build: query_shape, value_shape
    call_args:
      attention_mask: {type: tensor | None, default: null}
      use_causal_mask: {type: bool, default: false}
    masking: use
    call:
      body: |
        outputs = self.attention(
            query,
            value,
            key=key,
            query_mask=query_mask,
            value_mask=value_mask,
            attention_mask=attention_mask,
            use_causal_mask=use_causal_mask,
        )
    examples:
      - inputs: {query: {shape: [2, 5, 8], mask: true}, value: [2, 7, 8]}
      - inputs: {query: [2, 5, 8], value: [2, 7, 8], key: [2, 7, 8]}
        call_args: {use_causal_mask: true}
    """),
    ),
    (
        "input-list",
        HEAD + spec("""
    args:
      units: {type: int}
    inputs:
      first: {min_ndim: 2, mask: true}
      second: {min_ndim: 2}
    input_list: true
    masking: consume
    layers:
      gate:
        layer: Dense
        args: {units: units}
        build: tuple(first_shape[:-1]) + (first_shape[-1] + second_shape[-1],)
    call:
      body: |
        gate = self.gate(ops.concatenate(inputs, axis=-1))
        outputs = gate * first + (1.0 - gate) * second
        if first_mask is not None:
            outputs = outputs * ops.expand_dims(ops.cast(mask[0], outputs.dtype), -1)
    output_shape: tuple(first_shape[:-1]) + (self.units,)
    examples:
      - inputs: {first: [2, 4], second: [2, 4]}
        init: {units: 4}
    """),
    ),
    (
        "one-named-integer-input",
        HEAD + spec("""
    args:
      vocabulary_size: {type: int, min: 1}
    inputs:
      token_ids: {ndim: 2, dtype: int32}
    layers:
      embedding:
        layer: Embedding
        args: {input_dim: vocabulary_size, output_dim: 8, mask_zero: true}
    masking: custom
    call:
      body: |
        outputs = self.embedding(token_ids)
    compute_mask: |
      output_mask = ops.not_equal(inputs, 0)
    output_shape: input_shape + (8,)
    examples:
      - inputs:
          token_ids: {shape: [2, 6], dtype: int32, min: 1, max: 9, padding: 0}
        init: {vocabulary_size: 10}
    """),
    ),
    (
        "one-input-integer-example-values",
        HEAD + spec("""
    examples:
      - {input_shape: [2, 6], dtype: int32, min: 0, max: 9, padding: 0}
    """),
    ),
    (
        "outputs-with-shapes-masks-and-losses",
        HEAD + spec("""
    masking: propagate
    outputs:
      trend: {shape: "input_shape[:-1] + (1,)", mask: mask, doc: The mean.}
      residual: {dtype: float32}
    losses:
      - 0.01 * ops.mean(ops.square(residual))
    call:
      body: |
        trend = ops.mean(inputs, axis=-1, keepdims=True)
        residual = inputs - trend
    examples:
      - {input_shape: [2, 3]}
    """),
    ),
    (
        "methods-and-imports",
        HEAD + spec("""
    imports: [math, numpy as np]
    args:
      max_wavelength: {type: int, default: 10000}
    call_args:
      start_index: {type: int, default: 0}
    methods:
      frequencies:
        args: dim, offset=0
        doc: The rotation frequencies.
        body: |
          exponents = ops.arange(offset, dim, 2, dtype="float32") / dim
          return ops.power(float(self.max_wavelength), -exponents) * math.pi / np.e
    call:
      body: |
        angles = ops.cast(start_index, "float32") * self.frequencies(ops.shape(inputs)[-1])
        outputs = inputs * ops.cos(ops.mean(angles))
    examples:
      - {input_shape: [2, 4, 8], call_args: {start_index: 2}}
    """),
    ),
    (
        "state-on-every-call",
        HEAD + spec("""
    weights:
      _mean: {shape: ["input_shape[-1]"], trainable: false, initializer: zeros, name: mean}
      count: {shape: [], trainable: false, initializer: zeros}
    state_on: every_call
    state:
      _mean: self._mean * 0.9 + 0.1 * ops.mean(inputs, axis=0)
      count: self.count + 1.0
    call:
      body: |
        outputs = inputs - self._mean
    examples:
      - {input_shape: [4, 3]}
    """),
    ),
    (
        "random-inference",
        HEAD + spec("""
    args:
      seed: {type: int | None, default: null}
    seed_generator: seed
    random_inference: true
    call:
      body: |
        outputs = inputs + keras.random.normal(ops.shape(inputs), seed=self.seed_generator)
    examples:
      - {input_shape: [2, 3]}
    """),
    ),
    (
        "layer-and-dict-args",
        HEAD + spec("""
    args:
      extra: {type: dict}
      inner: {type: layer | None, default: null}
      options: {type: dict, default: {scale: 2.0}}
    call:
      body: |
        outputs = inputs if self.inner is None else self.inner(inputs)
    examples:
      - input_shape: [2, 3]
        init: {extra: {}, inner: {class_name: Dense, config: {units: 3}}}
    """),
    ),
    (
        "targets-methods-and-losses",
        HEAD + spec("""
    methods:
      doubled:
        args: x
        body: |
          return ops.multiply(x, 2.0)
    losses:
      - ops.sum(outputs)
    call:
      body: |
        outputs = self.doubled(inputs)
    targets:
      tf-keras:
        call:
          body: |
            outputs = self.doubled(inputs)
        methods:
          doubled:
            args: x
            body: |
              return tf.multiply(x, 2.0)
        losses:
          - tf.reduce_sum(outputs)
    examples:
      - {input_shape: [2, 3]}
    """),
    ),
    (
        "call-arg-named-like-an-arg",
        HEAD + spec("""
    args:
      scale: {type: float, default: 1.0}
    call_args:
      scale: {type: float | None, default: null}
    call:
      body: |
        outputs = inputs * (self.scale if scale is None else scale)
    examples:
      - {input_shape: [2, 3], call_args: {scale: 2.0}}
    """),
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_composite_fields_are_refused_with_located_messages(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    (tmp_path / SPEC).write_text(text, encoding="utf-8")
    outcome = run_klgen(tmp_path, ["new", "--spec", SPEC, "--out", "out"])
    assert_refused(outcome, expected, {SPEC})


@pytest.mark.parametrize("text", [v[1] for v in VALID], ids=[v[0] for v in VALID])
def test_a_valid_spec_of_each_new_field_loads(text: str) -> None:
    spec = load_spec_text(text, SPEC)
    assert spec.name == "Block"


@pytest.mark.parametrize(
    "path", sorted(EXAMPLES.glob("*.klgen.yaml")), ids=lambda p: p.name
)
def test_every_bundled_example_loads_without_a_problem(path: Path) -> None:
    assert load_spec_file(path).examples
