"""The layer spec, format 1: pydantic models of every field, structure only.

Cross-field rules (names, expressions, bodies) live in `spec/rules/`, so that every problem of a
spec is reported at once instead of the first one a validator raises.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    model_validator,
)

from keraslayer_gen.spec.registry import (
    DOTTED_PATTERN,
    EXAMPLE_NAME_PATTERN,
    PACKAGE_PATTERN,
    PASCAL_PATTERN,
    RANGE_PATTERN,
    SNAKE_PATTERN,
    Target,
    optional_type_pattern,
)

FORMAT_VERSION = 1

Masking = Literal["none", "propagate", "use", "consume", "custom"]
Aggregation = Literal["none", "mean", "sum", "only_first_replica"]

#: Argument base types, in the order the docs list them.
ARG_TYPES = (
    "int",
    "float",
    "bool",
    "str",
    "shape",
    "ints",
    "initializer",
    "regularizer",
    "constraint",
    "activation",
    "layer",
    "dict",
)
#: Argument types that are Keras objects resolved with `keras.<module>.get`.
KERAS_OBJECT_MODULES = {
    "initializer": "initializers",
    "regularizer": "regularizers",
    "constraint": "constraints",
    "activation": "activations",
}


#: What `parse_arg_type` accepts: one type, optionally `| None` (on either side).
ARG_TYPE_PATTERN = optional_type_pattern(ARG_TYPES)
#: The dtypes a weight or an example may name.
DTYPES = (
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "bool",
)


def _names(pattern: str) -> dict[str, Any]:
    """Schema extra of a mapping whose keys are names of the generated code."""
    return {"propertyNames": {"pattern": pattern}}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Arg(_Model):
    """One `__init__` parameter."""

    type: str = Field(
        description="`int`, `float`, `bool`, `str`, `shape` (tuple of int or None), "
        "`ints` (tuple of int), `initializer`, `regularizer`, `constraint` or "
        "`activation`, `layer` (a Keras layer, serialised with "
        "`keras.saving.serialize_keras_object`) or `dict` (JSON-like data), each "
        "optionally `| None`. Keras-object types are resolved with `keras.<kind>.get` "
        "and serialised in `get_config`.",
        json_schema_extra={"pattern": ARG_TYPE_PATTERN},
    )
    default: Any = Field(
        None,
        description="The default value; leave it out for a required argument (required "
        "arguments come first). `null` needs a `| None` type.",
    )
    min: float | None = Field(
        None, description="Smallest allowed value (int and float arguments)."
    )
    max: float | None = Field(
        None, description="Largest allowed value (int and float arguments)."
    )
    range: str | None = Field(
        None,
        description='Allowed interval in interval notation, e.g. `"(0, 1]"` or '
        '`"[1, inf)"` (int and float arguments).',
        json_schema_extra={"pattern": RANGE_PATTERN},
    )
    choices: list[Any] | None = Field(
        None, description="The allowed values (int, float and str arguments)."
    )
    doc: str = Field(
        "", description="One sentence for the `Args:` section of the docstring."
    )

    @property
    def required(self) -> bool:
        return "default" not in self.model_fields_set

    @property
    def base_type(self) -> str:
        return parse_arg_type(self.type)[0]

    @property
    def nullable(self) -> bool:
        return parse_arg_type(self.type)[1]


class Weight(_Model):
    """One variable created in `build` with `add_weight`."""

    shape: list[StrictInt | str] = Field(
        description="Dimensions: ints, argument names, or expressions over `input_shape` "
        "and `self`, e.g. `[input_shape[-1], units]`; `[]` for a scalar."
    )
    initializer: str | None = Field(
        None,
        description="A Keras initializer identifier (`zeros`, `glorot_uniform`, ...) or "
        "the name of an `initializer` argument.",
    )
    regularizer: str | None = Field(
        None,
        description="A Keras regularizer identifier or the name of a `regularizer` "
        "argument.",
    )
    constraint: str | None = Field(
        None,
        description="A Keras constraint identifier or the name of a `constraint` "
        "argument.",
    )
    trainable: StrictBool = Field(
        True,
        description="Whether gradients update the weight; a weight named in `state` "
        "must be `false`.",
    )
    dtype: str | None = Field(
        None,
        description="The variable's dtype; by default the layer's variable dtype.",
        json_schema_extra={"enum": [*DTYPES, None]},
    )
    aggregation: Aggregation | None = Field(
        None,
        description="How replicas' values combine under a distribution strategy.",
    )
    autocast: StrictBool | None = Field(
        None,
        description="Whether the weight is cast to the compute dtype under mixed "
        "precision.",
    )
    when: str | None = Field(
        None,
        description="A `bool` argument: the weight is created only when it is true, "
        "and the attribute is `None` otherwise.",
        json_schema_extra={"pattern": SNAKE_PATTERN},
    )
    name: str | None = Field(
        None,
        description="The variable's name (`add_weight(name=...)`) when it differs from "
        "the attribute, e.g. attribute `_kernel`, name `kernel`; default: the "
        "attribute.",
        json_schema_extra={"pattern": SNAKE_PATTERN},
    )
    doc: str = Field("", description="What the weight holds.")


class SubLayer(_Model):
    """One sub-layer: created in `__init__`, built in `build`, tracked and saved by Keras."""

    layer: str = Field(
        description="The class: a `keras.layers` name (`Dense`, `MultiHeadAttention`, "
        "...; `keras.layers.Dense` also works), or `module.path.Class` of a layer "
        "class of your own package (imported in the generated module).",
        json_schema_extra={"pattern": DOTTED_PATTERN},
    )
    args: dict[str, Any] = Field(
        default_factory=dict,
        description="Constructor arguments. Numbers, booleans and null are literals; a "
        "string is a Python expression evaluated in `__init__`, where the layer's "
        "arguments are in scope by name: `units: units`, `activation: '\"relu\"'`. "
        "`dtype=self.dtype_policy` is always passed.",
        json_schema_extra=_names(SNAKE_PATTERN),
    )
    build: str | StrictBool | None = Field(
        None,
        description="The arguments of the sub-layer's `build` in `build`, a Python "
        "expression list over the input shapes and earlier sub-layers, e.g. "
        "`query_shape, value_shape` or `self.dense_1.compute_output_shape(input_shape)`; "
        "default: the (first) input's shape. `false`: not built in `build` (a layer "
        "without weights).",
    )
    doc: str = Field("", description="What the sub-layer does in this layer.")


class InputDecl(_Model):
    """One input tensor of `call`."""

    ndim: StrictInt | None = Field(None, description="The exact rank (batch included).")
    min_ndim: StrictInt | None = Field(None, description="The smallest rank.")
    max_ndim: StrictInt | None = Field(None, description="The largest rank.")
    dtype: str | None = Field(
        None,
        description="The dtype the layer expects (`int32` for token ids); default: "
        "floating.",
        json_schema_extra={"enum": [*DTYPES, None]},
    )
    mask: StrictBool = Field(
        False,
        description="`call` receives this input's mask: `mask` when `call` takes one "
        "tensor (one input, or the list of `input_list`), `<name>_mask` per input when "
        "it takes several (the names Keras fills in).",
    )
    optional: StrictBool = Field(
        False,
        description="The input may be left out (`None` by default); never the first.",
    )
    doc: str = Field(
        "", description="The input, for the docstring's `Call arguments:`."
    )


class OutputDecl(_Model):
    """One output tensor; `call` returns them as a tuple, in this order."""

    shape: str = Field(
        "same",
        description="`same` (the first input's shape) or an expression over the input "
        "shapes and `self`, as `output_shape`.",
    )
    mask: str | None = Field(
        None,
        description="The output's mask, an expression over the input masks "
        "(`mask`, `<name>_mask`), or leave it out for none.",
    )
    dtype: str | None = Field(
        None,
        description="The output's dtype whatever the policy; by default the compute "
        "dtype.",
        json_schema_extra={"enum": [*DTYPES, None]},
    )
    doc: str = Field("", description="The output, for the docstring's `Returns:`.")


#: What a call argument may be.
CALL_ARG_TYPES = ("int", "float", "bool", "str", "tensor")


class CallArg(_Model):
    """One extra argument of `call` (after the inputs, before `training` and masks)."""

    type: str = Field(
        description="`int`, `float`, `bool`, `str` or `tensor`, each optionally "
        "`| None`.",
    )
    default: Any = Field(
        None,
        description="The default value; leave it out for a required argument.",
    )
    doc: str = Field("", description="One sentence for `Call arguments:`.")

    @property
    def required(self) -> bool:
        return "default" not in self.model_fields_set


class Method(_Model):
    """A helper method of the layer class, called from the bodies as `self.<name>(...)`."""

    args: str = Field(
        "",
        description="The parameters after `self`, as Python writes them, e.g. "
        "`x, offset=0`.",
    )
    body: str = Field(description="The statements, ending in `return`.")
    doc: str = Field("", description="The method's one-line docstring.")


#: The modules a spec may import besides Keras (`imports`).
ALLOWED_IMPORTS = (
    "math",
    "numpy",
    "functools",
    "itertools",
    "collections",
    "string",
    "warnings",
)


class CallBodies(_Model):
    """The statements of `call`: one `body`, or a `training` and an `inference` body."""

    body: str | None = Field(
        None,
        description="Python statements that assign `outputs` (with `training: false`). "
        "In scope: `inputs`, `mask` (when the layer receives it), `self`, `ops`, "
        "`keras`.",
    )
    training: str | None = Field(
        None,
        description="The statements of the training path (with `training: true`); "
        "`state` is assigned after them.",
    )
    inference: str | None = Field(
        None,
        description="The statements of the inference path (with `training: true`).",
    )


class InputSpec(_Model):
    """`self.input_spec`: what Keras checks of the inputs before `build` and `call`."""

    ndim: StrictInt | None = Field(None, description="The exact rank of the input.")
    min_ndim: StrictInt | None = Field(None, description="The smallest rank.")
    max_ndim: StrictInt | None = Field(None, description="The largest rank.")
    axes: dict[int, str | StrictInt] | None = Field(
        None,
        description="Axis -> size: an int, or the name of an argument holding it.",
    )


class TensorExample(_Model):
    """One input tensor of an example, for a layer with `inputs`."""

    shape: list[StrictInt] = Field(
        min_length=1, description="The full shape, batch dimension first."
    )
    dtype: str | None = Field(
        None,
        description="The dtype; default: the input's declared dtype, else float32.",
        json_schema_extra={"enum": [*DTYPES, None]},
    )
    min: float | None = Field(
        None, description="Smallest value (integer inputs: ids drawn from min..max)."
    )
    max: float | None = Field(None, description="Largest value.")
    padding: float | None = Field(
        None,
        description="Pad the last steps of each row but the first with this value "
        "(`0` for token ids), so that a mask from the padding is not all true.",
    )
    mask: StrictBool = Field(
        False, description="Also pass a padding mask for this input."
    )


class Example(_Model):
    """One input the generated test and the harness run the layer on."""

    input_shape: list[StrictInt] | None = Field(
        None,
        min_length=1,
        description="The full input shape, batch dimension first, e.g. `[4, 10, 8]` "
        "(layers with one input); a layer with `inputs` gives `inputs` instead.",
    )
    inputs: dict[str, TensorExample | list[StrictInt]] | None = Field(
        None,
        description="One tensor per declared input, by name: a shape, or a mapping "
        "with `shape`, `dtype`, `min`, `max`, `padding` and `mask`.",
        json_schema_extra=_names(SNAKE_PATTERN),
    )
    call_args: dict[str, Any] = Field(
        default_factory=dict,
        description="Values of the call arguments for this example (`start_index: 2`).",
        json_schema_extra=_names(SNAKE_PATTERN),
    )
    min: float | None = Field(
        None,
        description="Smallest input value (one-input layers; ids drawn from min..max).",
    )
    max: float | None = Field(None, description="Largest input value.")
    padding: float | None = Field(
        None,
        description="Pad the last steps of each row but the first with this value "
        "(`0` for token ids), as `TensorExample.padding`.",
    )
    init: dict[str, Any] = Field(
        default_factory=dict,
        description="Arguments of the layer for this example; every required argument.",
    )
    mask: StrictBool = Field(
        False, description="Also run the layer with a padding mask."
    )
    dtype: str = Field(
        "float32",
        description="The input dtype (one-input layers).",
        json_schema_extra={"enum": list(DTYPES)},
    )
    name: str | None = Field(
        default=None,
        description="The example's id in the generated test (`pytest -k NAME`); "
        "default: its shape, e.g. `2x5x8-mask`.",
        pattern=EXAMPLE_NAME_PATTERN,
    )


class TargetBodies(_Model):
    """Code for another target than the spec's own: bodies in that target's idiom."""

    call: CallBodies | None = Field(None, description="`call` bodies for this target.")
    state: dict[str, str] | None = Field(
        None, description="State updates for this target, for the weights of `state`."
    )
    compute_mask: str | None = Field(
        None, description="The `compute_mask` body for this target."
    )
    methods: dict[str, Method] | None = Field(
        None, description="Helper methods for this target, for the names of `methods`."
    )
    losses: list[str] | None = Field(
        None, description="`losses` expressions for this target."
    )


class LayerSpec(_Model):
    """A klgen layer spec, format 1: one custom Keras layer. See docs/spec.md."""

    model_config = ConfigDict(title="klgen layer spec, format 1")

    klgen: Literal[1] = Field(description="The spec format version: `1`.")
    name: str = Field(
        description="The class name: PascalCase, not a Python keyword or builtin, not a "
        "`keras.layers` name unless `allow_shadowing`.",
        json_schema_extra={"pattern": PASCAL_PATTERN},
    )
    module: str | None = Field(
        None,
        description="The module name (snake_case); default: the snake_case of `name`.",
        json_schema_extra={"pattern": SNAKE_PATTERN},
    )
    summary: str = Field(description="The one-line summary of the class docstring.")
    description: str = Field(
        "", description="Paragraphs of the class docstring, after the summary."
    )
    references: list[str] = Field(
        default_factory=list, description="The docstring's `Reference:` entries."
    )
    package: str | None = Field(
        None,
        description="`register_keras_serializable(package=...)`; default: "
        "`[tool.klgen] package`, else the project name.",
        json_schema_extra={"pattern": PACKAGE_PATTERN},
    )
    target: Target = Field(
        "keras3",
        description="The Keras the bodies are written for: `keras3` (default) or "
        "`tf-keras`.",
    )
    allow_shadowing: StrictBool = Field(
        False, description="Allow a `name` that is also a `keras.layers` name."
    )
    base: str | None = Field(
        None,
        description="The base class: a `keras.layers` name (`MultiHeadAttention`, with "
        "`call` overridden) or `module.path.Class` of your package's base layer; "
        "default `keras.layers.Layer`.",
        json_schema_extra={"pattern": DOTTED_PATTERN},
    )
    base_args: dict[str, Any] = Field(
        default_factory=dict,
        description="Keyword arguments of the base class's `__init__` besides "
        "`**kwargs`: Layer flags such as `autocast: false`, or a Keras base's own "
        "arguments; strings are Python expressions, as in `layers`.",
        json_schema_extra=_names(SNAKE_PATTERN),
    )
    imports: list[str] = Field(
        default_factory=list,
        description="Extra imports of the generated module, from an allow-list: "
        "`math`, `numpy`, `functools`, `itertools`, `collections`, `string`, "
        "`warnings`, each optionally `as NAME` (`numpy as np`).",
    )
    args: dict[str, Arg] = Field(
        default_factory=dict,
        description="`__init__` parameters in order (then `**kwargs`); names are "
        "snake_case and must not shadow `Layer` attributes (`name`, `dtype`, ...).",
        json_schema_extra=_names(SNAKE_PATTERN),
    )
    weights: dict[str, Weight] = Field(
        default_factory=dict,
        description="Variables created in `build`, in this order.",
        json_schema_extra=_names(SNAKE_PATTERN),
    )
    layers: dict[str, SubLayer] = Field(
        default_factory=dict,
        description="Sub-layers, created in `__init__` in this order as `self.<name>` "
        "and built in `build`; Keras tracks and saves their weights.",
        json_schema_extra=_names(SNAKE_PATTERN),
    )
    inputs: dict[str, InputDecl] | None = Field(
        None,
        description="The input tensors of `call`, in order; default: one input "
        "`inputs`. Each is a `call` argument, and `build` and `compute_output_shape` "
        "receive `<name>_shape` for each, as Keras calls them; with `input_list`, "
        "`call` takes one list `inputs` instead.",
        json_schema_extra=_names(SNAKE_PATTERN),
    )
    input_list: StrictBool = Field(
        False,
        description="`call(self, inputs)` with `inputs` a list of the declared inputs "
        "(unpacked by name before the body); `build` receives a list of shapes.",
    )
    outputs: dict[str, OutputDecl] | None = Field(
        None,
        description="Several outputs, in order: the bodies assign each name and "
        "`call` returns them as a tuple; default: one output `outputs`.",
        json_schema_extra=_names(SNAKE_PATTERN),
    )
    call_args: dict[str, CallArg] = Field(
        default_factory=dict,
        description="Extra arguments of `call`, in order, after the inputs.",
        json_schema_extra=_names(SNAKE_PATTERN),
    )
    methods: dict[str, Method] = Field(
        default_factory=dict,
        description="Helper methods, in order, after the Keras methods.",
        json_schema_extra=_names(SNAKE_PATTERN),
    )
    losses: list[str] = Field(
        default_factory=list,
        description="Expressions added with `self.add_loss` after the body, on every "
        "call (activity penalties).",
    )
    seed_generator: str | None = Field(
        None,
        description="The `int | None` argument that seeds `self.seed_generator`; "
        "required when a body uses `keras.random`.",
        json_schema_extra={"pattern": SNAKE_PATTERN},
    )
    masking: Masking = Field(
        "none",
        description="`none` (no masks), `propagate` (the mask passes through), "
        "`use` (`call` receives `mask` and the mask passes through), `consume` "
        "(`call` receives `mask`; the output has none), `custom` (`compute_mask` "
        "decides).",
    )
    training: StrictBool | Literal["forward"] = Field(
        False,
        description="`true`: `call` takes `training=None` and has a `training` and an "
        "`inference` body. `forward`: one `body`, with `training` in scope to pass "
        "to sub-layers.",
    )
    random_inference: StrictBool = Field(
        False,
        description="The layer is random at inference too (a sampler): `keras.random` "
        "in the inference path, and the harness expects two inference calls to "
        "differ.",
    )
    build: str | None = Field(
        None,
        description="Statements run at the start of `build` to validate `input_shape`; "
        "the names they assign may shape weights.",
    )
    state: dict[str, str] = Field(
        default_factory=dict,
        description="Weight -> expression of its new value, assigned after the "
        "training body, in training only (see `state_on`); the weight must be "
        "non-trainable.",
        json_schema_extra=_names(SNAKE_PATTERN),
    )
    state_on: Literal["training", "every_call"] = Field(
        "training",
        description="When `state` is assigned: `training` (after the training body) "
        "or `every_call` (after the one `body`, in training and inference alike).",
    )
    call: CallBodies | None = Field(
        None,
        description="The bodies of `call`; leave it out to write the body in the "
        "generated file's user region (only when `output_shape` is `same`).",
    )
    compute_mask: str | None = Field(
        None,
        description="Statements that assign `output_mask` (with `masking: custom`).",
    )
    output_shape: str = Field(
        "same",
        description="`same`, or an expression over `input_shape` and `self`, such as "
        "`input_shape[:-1] + (self.units,)`.",
    )
    float32_internal: StrictBool = Field(
        False,
        description="Compute in float32 and cast the output to the compute dtype "
        "(normalisation layers); weights get `autocast=False`.",
    )
    output_dtype: str | None = Field(
        None,
        description="The dtype of the output whatever the dtype policy, when producing "
        "it is the layer's purpose (a cast layer); by default the compute dtype. "
        "`klgen verify` holds the layer to it.",
        json_schema_extra={"enum": [*DTYPES, None]},
    )
    input_spec: InputSpec | None = Field(None, description="Becomes `self.input_spec`.")
    targets: dict[Target, TargetBodies] = Field(
        default_factory=dict,
        description="Bodies in another target's idiom, to render the spec for it.",
    )
    examples: list[Example] = Field(
        min_length=1,
        description="Inputs the generated test and `klgen verify` run the layer on; "
        "default: the one example flags use, `input_shape: [2, 5, 8]`, or one such "
        "tensor per declared input (cut to its rank).",
        json_schema_extra={"default": [{"input_shape": [2, 5, 8]}]},
    )

    @model_validator(mode="before")
    @classmethod
    def _default_example(cls, data: Any) -> Any:
        """A spec without `examples` gets the example flags use without
        `--example-input`, so that the two spellings give the same layer."""
        if isinstance(data, dict) and "examples" not in data:
            inputs = data.get("inputs")
            if inputs is None or (
                isinstance(inputs, dict) and all(isinstance(k, str) for k in inputs)
            ):
                return {**data, "examples": [default_example(inputs)]}
        return data

    @property
    def module_name(self) -> str:
        from keraslayer_gen.spec.names import snake_case

        return self.module or snake_case(self.name)


def default_example(inputs: Any = None) -> dict[str, Any]:
    """The example of flags that give no `--example-input`: `2,5,8`, or one such
    tensor per declared input (cut to the input's rank)."""
    if not inputs:
        return {"input_shape": [2, 5, 8]}
    return {"inputs": {name: _default_shape(decl) for name, decl in inputs.items()}}


def _default_shape(decl: Any) -> list[int]:
    """The default example's shape of an input: `2,5,8`, cut or padded to its rank."""
    rank = 3
    if isinstance(decl, dict):
        ndim, low, high = (decl.get(k) for k in ("ndim", "min_ndim", "max_ndim"))
        if isinstance(low, int) and not isinstance(low, bool):
            rank = max(rank, low)
        if isinstance(high, int) and not isinstance(high, bool):
            rank = min(rank, high)
        if isinstance(ndim, int) and not isinstance(ndim, bool):
            rank = ndim
    return ([2, 5, 8] + [4] * max(rank - 3, 0))[: max(rank, 1)]


def parse_arg_type(text: str) -> tuple[str, bool]:
    """Split `"float | None"` into `("float", True)`; unknown types raise `ValueError`."""
    parts = [p.strip() for p in text.split("|")]
    nullable = "None" in parts
    rest = [p for p in parts if p != "None"]
    if len(rest) != 1 or rest[0] not in ARG_TYPES or len(parts) > 2:
        raise ValueError(text)
    return rest[0], nullable
