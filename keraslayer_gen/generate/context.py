"""Spec -> the context the templates receive: every decision made here, layout left to Jinja.

This is template API version 2 (`TEMPLATE_API`): overlays may rely on every field of
`LayerContext`, `ArgView`, `CheckView`, `WeightView`, `ExampleView` and `DocView`, and on
the macros of `templates/macros/` and the blocks of `templates/base/layer.py.jinja`
(docs/templates.md). Fields are spelled for `target`: weight keywords and the input spec
differ between Keras 3 and tf-keras (`tf_keras_idioms.py`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from keraslayer_gen.files.regions import USER_REGION_DEFAULT
from keraslayer_gen.generate.docstring import DocView, escape, layer_doc
from keraslayer_gen.generate.formatting import LINE_LENGTH
from keraslayer_gen.generate.output_shape import expected_shape
from keraslayer_gen.generate.tf_keras_idioms import (
    AGGREGATIONS,
    FUNCTION_SOURCES,
    reads_name,
    returned,
    spec_for_target,
    sublayer_build_function,
    sublayer_build_method,
    update_op,
)
from keraslayer_gen.spec.model import (
    KERAS_OBJECT_MODULES,
    Arg,
    LayerSpec,
    TensorExample,
)
from keraslayer_gen.spec.scope import input_names
from keraslayer_gen.spec.scope import shape_names as spec_shape_names
from keraslayer_gen.spec.values import parse_range

TEMPLATE_API = 2


@dataclass(frozen=True)
class CheckView:
    """One argument check of `__init__`: `if <condition>: raise ValueError(...)`, the
    message `Invalid value for argument `<name>`. Expected <expected>. Received: ...`.
    """

    name: str
    condition: str  # Python source, true when the value is invalid
    expected: str  # the clause after "Expected", without the final period


@dataclass(frozen=True)
class ExampleView:
    """One example of the spec as the generated test runs it."""

    id: str  # the pytest id: `4x10x8`, `4x10x8-mask`, `4x3x6-float64`
    data: dict[str, Any]  # input_shape, init, mask, dtype
    expected: dict[str, Any]  # what the spec knows of the layer built on this example


@dataclass(frozen=True)
class ArgView:
    name: str
    type: str
    base_type: str
    nullable: bool
    required: bool
    default: str  # Python source of the default, "" when required
    assign: str  # right-hand side of `self.<name> = ...`
    config: str  # value in `get_config`
    checks: list[CheckView]  # rendered by `value_check` of macros/layer.jinja
    doc: str


@dataclass(frozen=True)
class WeightView:
    name: str
    when: str | None  # `self.<arg>` condition, or None
    kwargs: list[tuple[str, str]]  # keyword -> Python source, in add_weight order
    trainable: bool


@dataclass(frozen=True)
class Region:
    """A user region: its id, and the code inside it (default or carried over)."""

    id: str
    code: str


@dataclass(frozen=True)
class SubLayerView:
    """One sub-layer: `self.<name> = <create>` in `__init__`, `self.<name>.build(<build>)`
    in `build` (no build when `build` is None)."""

    name: str
    create: str  # the constructor call, `dtype=self.dtype_policy` last
    build: str | None
    build_method: str = (
        "build"  # tf-keras: `_build_from_signature` of MultiHeadAttention
    )
    #: tf-keras: the module-level function that builds it instead of its method
    #: (`_build_multi_head_attention(self.<name>, <build>)`), or None
    build_function: str | None = None


@dataclass(frozen=True)
class MethodView:
    """A helper method: `def <name>(self<params>):`, its docstring and its body."""

    name: str
    params: str  # ", x, offset=0" (with the leading comma) or ""
    doc: str
    body: str


@dataclass(frozen=True)
class CallView:
    """What the new fields of issue 11 make of `call`, `build`, `compute_output_shape`
    and `compute_mask`: signatures as Python source (after `self`), the statements
    around the bodies, what is returned. A spec with none of those fields gets the
    layout of the fields of `LayerContext` alone (`legacy`)."""

    legacy: bool
    call_params: str  # after `self, `
    unpack: list[str]  # statements before the body (list style)
    after: list[str]  # statements after the body: state on every call, losses
    returns: str  # what `call` returns
    build_params: str
    build_unpack: list[str]
    shape_params: str  # of `compute_output_shape`
    output_shape: str  # what `compute_output_shape` returns
    mask_params: str  # of `compute_mask`
    output_mask: str | None  # what `compute_mask` returns (several outputs)


@dataclass
class LayerContext:
    """Everything a layer or test template needs, as ready-made Python source snippets."""

    template_api: int
    klgen_version: str
    target: str
    spec: LayerSpec
    class_name: str
    module_name: str
    import_path: str
    package: str
    source: str  # what the header says the file was generated from
    doc: DocView
    args: list[ArgView]
    weights: list[WeightView]
    seed_generator: str | None
    supports_masking: bool
    mask_in_call: bool
    input_spec: str | None
    built_input_spec: str | None  # re-set at the end of `build`, with the known axes
    build_body: str | None
    training: bool
    call_body: str | Region | None
    training_body: str | Region | None
    inference_body: str | Region | None
    state: list[tuple[str, str]]
    float32_internal: bool
    compute_mask: str | None
    consume_mask: bool
    output_shape: str | None  # what `compute_output_shape` returns; None: the input's
    uses_ops: bool
    keras_modules: list[str] = field(default_factory=list)  # `from keras import NAME`
    examples: list[dict[str, Any]] = field(default_factory=list)
    example_views: list[ExampleView] = field(default_factory=list)
    test_region: Region = field(default_factory=lambda: Region("tests", ""))
    # What the tf-keras templates need beyond the fields above.
    updates: list[str] = field(default_factory=list)  # `add_update` ops, `state` order
    uses_backend: bool = False  # the layer calls `K.` (the training split, or a body)
    build_reads_shape: bool = False  # `build` or a weight shape reads `input_shape`
    training_return: str | None = None  # a one-statement body's `outputs = <expr>`
    inference_return: str | None = None
    # The test's `from <import_path> import ...` is the repository's own (first-party)
    # package, so import sorters (ruff's `I`, isort) want it in a block of its own.
    import_is_first_party: bool = False
    # The fields of issue 11 (additive, template API 2): base class, imports, sub-layers, several
    # inputs and outputs, call arguments, helper methods, losses.
    base_class: str = "keras.layers.Layer"
    super_init: str = "super().__init__(**kwargs)"
    std_imports: list[str] = field(default_factory=list)  # `import math`, before keras
    third_party_imports: list[str] = field(default_factory=list)  # `import numpy as np`
    own_imports: list[str] = field(default_factory=list)  # `from pkg.mod import Base`
    sublayers: list[SubLayerView] = field(default_factory=list)
    #: tf-keras: the source of the module-level functions the sub-layers' builds call
    functions: list[str] = field(default_factory=list)
    methods: list[MethodView] = field(default_factory=list)
    training_arg: bool = False  # `call` takes `training=None` (a split or `forward`)
    needs_from_config: list[tuple[str, bool]] = field(default_factory=list)
    structure: CallView | None = None
    structured: bool = False  # the generated test uses the several-input layout
    mask_map: dict[str, str] = field(
        default_factory=dict
    )  # input -> its mask in `call`


def _literal(value: Any, base: str) -> str:
    if value is None:
        return "None"
    if base in ("shape", "ints"):
        return repr(tuple(value))
    if base == "float" and isinstance(value, int):
        return repr(float(value))
    return repr(value)


def _number(value: float, base: str) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _checks(name: str, arg: Arg) -> list[CheckView]:
    """Keras's checks: an `int` argument is an `int` (`isinstance`, as Keras's `Dense`
    checks `units`), merged with its bounds into one condition and one message."""
    base = arg.base_type
    guard = f"{name} is not None and " if arg.nullable else ""
    checks: list[CheckView] = []
    if arg.choices is not None:
        options = ", ".join(repr(c) for c in arg.choices)
        cond = f"{name} not in ({options}{',' if len(arg.choices) == 1 else ''})"
        return [CheckView(name, guard + cond, f"one of {options}")]
    # An int with bounds is an int first (Keras's `not isinstance(units, int) or units
    # <= 0`); one without bounds (an axis, a seed) is left to the code that reads it.
    integer = base == "int"
    bounds: list[str] = []  # the conditions that make the value invalid
    words: list[str] = []
    if arg.range is not None and (parsed := parse_range(arg.range)):
        lo, lo_closed, hi, hi_closed = parsed
        parts = []
        if lo is not None:
            parts.append(f"{_number(lo, base)} {'<=' if lo_closed else '<'} ")
        parts.append(name)
        if hi is not None:
            parts.append(f" {'<=' if hi_closed else '<'} {_number(hi, base)}")
        bounds.append(f"not {''.join(parts)}")
        words.append(f"in the interval {arg.range}")
    for key, op, word in (("min", "<", ">="), ("max", ">", "<=")):
        bound = getattr(arg, key)
        if bound is not None:
            value = _number(bound, base)
            bounds.append(f"{name} {op} {value}")
            words.append(f"{word} {value}")
    if integer and bounds:
        kind = _integer_kind(arg)
        if kind is not None:
            words = []
        cond = " or ".join([f"not isinstance({name}, int)", *bounds])
        if guard:
            cond = f"{guard}({cond})"
        expected = kind or " ".join(["an integer", " and ".join(words)]).strip()
        return [CheckView(name, cond, expected)]
    for cond, word in zip(bounds, words, strict=True):
        wrapped = f"({cond})" if guard and cond.startswith("not ") else cond
        checks.append(CheckView(name, guard + wrapped, f"a value {word}"))
    return checks


def _integer_kind(arg: Arg) -> str | None:
    """`a positive integer` (min 1) or `a non-negative integer` (min 0), Keras's words."""
    if arg.range is not None or arg.max is not None or arg.min is None:
        return None
    return {1: "a positive integer", 0: "a non-negative integer"}.get(int(arg.min))


def _arg_view(name: str, arg: Arg, modules: set[str]) -> ArgView:
    base = arg.base_type
    assign, config = name, f"self.{name}"
    if base in KERAS_OBJECT_MODULES:
        module = KERAS_OBJECT_MODULES[base]
        qualified = module if module in modules else f"keras.{module}"
        assign = f"{qualified}.get({name})"
        config = f"{qualified}.serialize(self.{name})"
    elif base in ("shape", "ints"):
        assign = f"tuple({name})" + (
            f" if {name} is not None else None" if arg.nullable else ""
        )
    elif base == "layer":  # kept as given; `from_config` deserializes it
        config = f"keras.saving.serialize_keras_object(self.{name})"
    elif base == "dict":
        guard = f" if {name} is not None else None" if arg.nullable else ""
        assign = f"dict({name}){guard}"
        config = f"dict(self.{name})" + (
            f" if self.{name} is not None else None" if arg.nullable else ""
        )
        if isinstance(arg.default, dict) and not arg.required:
            # A mapping default would be one dict shared by every layer (ruff B006):
            # the signature says None and `__init__` copies the default.
            assign = f"dict({name}) if {name} is not None else {arg.default!r}"
            config = f"dict(self.{name})"
    return ArgView(
        name=name,
        type=arg.type,
        base_type=base,
        nullable=arg.nullable,
        required=arg.required,
        default=(
            ""
            if arg.required
            else (
                "None"
                if base == "dict" and isinstance(arg.default, dict)
                else _literal(arg.default, base)
            )
        ),
        assign=assign,
        config=config,
        checks=_checks(name, arg),
        doc=arg.doc,
    )


class _SelfArgs(ast.NodeTransformer):
    """In weight shapes, a bare argument name means `self.<arg>`."""

    def __init__(self, args: set[str]) -> None:
        self.args = args

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.args and isinstance(node.ctx, ast.Load):
            return ast.copy_location(
                ast.Attribute(
                    value=ast.Name("self", ast.Load()), attr=node.id, ctx=ast.Load()
                ),
                node,
            )
        return node


def _dim(dim: int | str, args: set[str]) -> str:
    if isinstance(dim, int):
        return str(dim)
    tree = _SelfArgs(args).visit(ast.parse(dim, mode="eval"))
    return ast.unparse(tree)


def _weight_view(name: str, spec: LayerSpec, target: str) -> WeightView:
    weight = spec.weights[name]
    args = set(spec.args)
    dims = [_dim(d, args) for d in weight.shape]
    shape = "()" if not dims else f"({', '.join(dims)}{',' if len(dims) == 1 else ''})"
    kwargs: list[tuple[str, str]] = [
        ("name", repr(weight.name or name)),
        ("shape", shape),
    ]
    for kind in ("initializer", "regularizer", "constraint"):
        value = getattr(weight, kind)
        if value is not None:
            kwargs.append((kind, f"self.{value}" if value in args else repr(value)))
    tf_keras = target == "tf-keras"
    if not weight.trainable or tf_keras:
        kwargs.append(("trainable", repr(weight.trainable)))
    if weight.dtype is not None:
        kwargs.append(("dtype", repr(weight.dtype)))
    if weight.aggregation is not None:
        value = weight.aggregation
        kwargs.append(("aggregation", AGGREGATIONS[value] if tf_keras else repr(value)))
    autocast = weight.autocast
    if autocast is None and spec.float32_internal:
        autocast = False
    if autocast is not None:
        # tf-keras's own layers (BatchNormalization) spell it `experimental_autocast`.
        kwargs.append(
            ("experimental_autocast" if tf_keras else "autocast", repr(autocast))
        )
    return WeightView(
        name=name,
        when=f"self.{weight.when}" if weight.when else None,
        kwargs=kwargs,
        trainable=weight.trainable,
    )


def _input_spec_call(parts: list[str], target: str) -> str:
    cls = "keras.layers.InputSpec" if target == "tf-keras" else "keras.InputSpec"
    return f"{cls}({', '.join(parts)})"


def _rank_parts(spec: LayerSpec) -> list[str]:
    s = spec.input_spec
    if s is None:
        return []
    return [
        f"{key}={getattr(s, key)}"
        for key in ("ndim", "min_ndim", "max_ndim")
        if getattr(s, key) is not None
    ]


def _input_spec(spec: LayerSpec, target: str) -> str | None:
    s = spec.input_spec
    if s is None:
        return None
    parts = _rank_parts(spec)
    if s.axes:
        items = ", ".join(f"{axis}: {dim}" for axis, dim in s.axes.items())
        parts.append(f"axes={{{items}}}")
    return _input_spec_call(parts, target)


def _axis_of(node: ast.AST) -> str | None:
    """`K` of a weight dimension `input_shape[K]` (an int or `self.<arg>`), else None."""
    if not (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "input_shape"
    ):
        return None
    key = node.slice
    if isinstance(key, ast.Constant) and type(key.value) is int:
        return str(key.value)
    if (
        isinstance(key, ast.UnaryOp)
        and isinstance(key.op, ast.USub)
        and isinstance(key.operand, ast.Constant)
        and type(key.operand.value) is int
    ):
        return f"-{key.operand.value}"
    if (
        isinstance(key, ast.Attribute)
        and isinstance(key.value, ast.Name)
        and key.value.id == "self"
    ):
        return ast.unparse(key)
    return None


def _named_axes(build: str) -> dict[str, str]:
    """`NAME -> K` for each top-level `NAME = input_shape[K]` of the build body."""
    try:
        tree = ast.parse(build)
    except SyntaxError:
        return {}
    found: dict[str, str] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Subscript)
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "input_shape"
            and not isinstance(node.value.slice, ast.Slice)
        ):
            found[node.targets[0].id] = ast.unparse(node.value.slice)
    return found


def _built_input_spec(spec: LayerSpec, target: str) -> str | None:
    """Keras's `build` re-sets the input spec with the axes it built weights for
    (`InputSpec(min_ndim=2, axes={-1: input_dim})` in `Dense`): another feature size in
    a later call is then Keras's clear error, not a shape error deep in `call`. The axes
    are those a weight shape reads as `input_shape[K]`; None when no weight does."""
    args = set(spec.args)
    named = _named_axes(spec.build or "")
    axes: dict[str, str] = {}
    for weight in spec.weights.values():
        for dim in weight.shape:
            if isinstance(dim, int):
                continue
            if dim in named:  # `channels = input_shape[axis]` in the build body
                axes.setdefault(named[dim], dim)
                continue
            node = ast.parse(_dim(dim, args), mode="eval").body
            axis = _axis_of(node)
            if axis is not None:
                axes.setdefault(axis, f"input_shape[{axis}]")
    if not axes:
        return None
    declared = spec.input_spec.axes if spec.input_spec and spec.input_spec.axes else {}
    items = {
        str(axis): str(dim) if isinstance(dim, int) else f"self.{dim}"
        for axis, dim in declared.items()
    }
    items.update(axes)
    parts = _rank_parts(spec)
    parts.append(f"axes={{{', '.join(f'{k}: {v}' for k, v in items.items())}}}")
    return _input_spec_call(parts, target)


class _TupleShape(ast.NodeTransformer):
    """`input_shape` as a tuple where the expression slices or concatenates it (Keras
    passes a tuple or a list; `list + tuple` fails), and nowhere else."""

    def _wrap(self, node: ast.expr) -> ast.expr:
        if isinstance(node, ast.Name) and node.id == "input_shape":
            call = ast.Call(ast.Name("tuple", ast.Load()), [node], [])
            return ast.copy_location(call, node)
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.slice, ast.Slice):
            node.value = self._wrap(node.value)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        node.left, node.right = self._wrap(node.left), self._wrap(node.right)
        return node

    def visit_Starred(self, node: ast.Starred) -> ast.AST:
        self.generic_visit(node)
        node.value = self._wrap(node.value)
        return node


def _returned_shape(expr: str) -> str:
    """What `compute_output_shape` returns, without rebinding its argument."""
    tree = _TupleShape().visit(ast.parse(expr.strip(), mode="eval"))
    return ast.unparse(ast.fix_missing_locations(tree))


def _modules(spec: LayerSpec, target: str, *, uses_ops: bool) -> list[str]:
    """The Keras modules imported by name (`from keras import initializers`, as Keras's
    own layers read), `ops` among them on Keras 3 when the layer uses it; a module an
    argument name would shadow in `__init__` stays qualified (`keras.initializers.get`).
    """
    wanted = {
        KERAS_OBJECT_MODULES[a.base_type]
        for a in spec.args.values()
        if a.base_type in KERAS_OBJECT_MODULES
    }
    found = {m for m in wanted if m not in spec.args}
    if target == "keras3":  # used in `call` and `build`, where no argument shadows them
        if spec.float32_internal:
            found.add("backend")  # backend.result_type(inputs.dtype, "float32")
        if uses_ops:
            found.add("ops")
    # One `from keras import a, b` line, as import sorters (ruff's default `I`) want it,
    # that black leaves on one line: what does not fit stays qualified.
    package = "keras" if target == "keras3" else "tf_keras"
    for module in ("backend", "activations", "constraints", "regularizers"):
        if len(f"from {package} import {', '.join(sorted(found))}") <= LINE_LENGTH:
            break
        found.discard(module)
    return sorted(found)


def _arg_value(spec: LayerSpec, name: str, init: dict[str, Any]) -> Any:
    if name in init:
        return init[name]
    arg = spec.args.get(name)
    return None if arg is None or arg.required else arg.default


def _example_view(spec: LayerSpec, index: int, ids: list[str]) -> ExampleView:
    """An example and what the spec knows of it: the output shape (None when the
    expression needs Keras to evaluate), the weights its `init` creates, the seed
    generators, the regularization losses (None when a body adds losses itself)."""
    example = spec.examples[index]
    init = dict(example.init)
    is_structured = structured(spec)
    active = [
        w
        for w in spec.weights.values()
        if w.when is None or bool(_arg_value(spec, w.when, init))
    ]
    if is_structured:
        output: tuple[int | None, ...] | None = None
    elif spec.output_shape == "same":
        output = tuple(example.input_shape or ())
    else:
        attrs = {name: _arg_value(spec, name, init) for name in spec.args}
        output = expected_shape(spec.output_shape, example.input_shape or (), attrs)
    code = " ".join(
        c or ""
        for c in (
            spec.build,
            spec.compute_mask,
            *(
                (spec.call.body, spec.call.training, spec.call.inference)
                if spec.call
                else ()
            ),
        )
    )
    losses = None
    if "add_loss" not in code:
        losses = sum(
            1
            for w in active
            if w.regularizer is not None
            and (
                w.regularizer not in spec.args
                or _arg_value(spec, w.regularizer, init) is not None
            )
        )
    expected: dict[str, Any] = {
        "output_shape": output,
        "trainable_weights": sum(1 for w in active if w.trainable),
        "non_trainable_weights": sum(1 for w in active if not w.trainable),
        "seed_generators": 1 if spec.seed_generator else 0,
        "losses": losses,
    }
    if not is_structured:
        return ExampleView(
            id=ids[index], data=_example_data(example), expected=expected
        )
    data = {
        "inputs": example_tensors(spec, example),
        "init": init,
        "call_args": dict(example.call_args),
    }
    return ExampleView(
        id=ids[index],
        data=data,
        expected=_structured_expected(spec, example, expected),
    )


def _example_ids(spec: LayerSpec) -> list[str]:
    """Readable pytest ids: the example's `name`, else its shape (`2x5x8-mask`);
    made unique with a counter."""
    ids = []
    for example in spec.examples:
        if example.name:
            ids.append(example.name)
            continue
        if example.input_shape is not None:
            parts = ["x".join(str(d) for d in example.input_shape)]
        else:
            tensors = example_tensors(spec, example).values()
            parts = ["_".join("x".join(str(d) for d in t["shape"]) for t in tensors)]
            if any(t["mask"] for t in tensors):
                parts.append("mask")
        if example.mask:
            parts.append("mask")
        if example.dtype != "float32":
            parts.append(example.dtype)
        ids.append("-".join(parts))
    seen: dict[str, int] = {}
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
    counts: dict[str, int] = {}
    unique = []
    for i in ids:
        if seen[i] > 1:
            counts[i] = counts.get(i, 0) + 1
            unique.append(f"{i}-{counts[i]}")
        else:
            unique.append(i)
    return unique


# --- The fields of issue 11: several inputs and outputs, sub-layers, call arguments ---

#: Example fields added by issue 11, left out of an example's data when unset, so that
#: the examples of a spec without them are written as before.
_NEW_EXAMPLE_KEYS = ("inputs", "call_args", "min", "max", "padding")


def _example_data(example: Any) -> dict[str, Any]:
    data: dict[str, Any] = example.model_dump(exclude={"name"})
    for key in _NEW_EXAMPLE_KEYS:
        if data.get(key) in (None, {}):
            data.pop(key, None)
    return data


def structured(spec: LayerSpec) -> bool:
    """Whether the spec uses a field that changes the layout of `call` and its test."""
    return bool(
        spec.inputs is not None
        or spec.outputs is not None
        or spec.call_args
        or spec.layers
        or spec.training == "forward"
        or spec.masking == "use"
        or spec.losses
        or spec.state_on == "every_call"
        or any(
            e.inputs or e.call_args or e.min is not None or e.padding is not None
            for e in spec.examples
        )
    )


def several_inputs(spec: LayerSpec) -> bool:
    return len(input_names(spec)) > 1


def mask_names(spec: LayerSpec) -> dict[str, str]:
    """Input -> the name of its mask in `call`, for the inputs whose mask `call` takes:
    `mask` for a layer with one input, `<input>_mask` for each of several (the names
    Keras fills in)."""
    names = input_names(spec)
    decls = spec.inputs or {}
    if len(names) == 1:
        decl = decls.get(names[0])
        wants = spec.masking in ("use", "consume", "custom") or bool(decl and decl.mask)
        return {names[0]: "mask"} if wants else {}
    found = {n: f"{n}_mask" for n, d in decls.items() if d.mask}
    if not found and spec.masking in ("use", "consume", "custom"):
        found = {names[0]: f"{names[0]}_mask"}
    return found


def _source_value(value: Any) -> str:
    """A sub-layer or base argument: a string is Python source, the rest a literal."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return repr(tuple(value))
    return repr(value)


def _class_ref(name: str, own: list[str]) -> str:
    """`Dense` -> `keras.layers.Dense`; `pkg.mod.Class` is imported, then `Class`."""
    if "." not in name:
        return f"keras.layers.{name}"
    if name.startswith("keras."):
        return name
    module, _, cls = name.rpartition(".")
    line = f"from {module} import {cls}"
    if line not in own:
        own.append(line)
    return cls


def _sublayer_views(
    spec: LayerSpec, own: list[str], target: str = "keras3"
) -> list[SubLayerView]:
    first = spec_shape_names(spec)[0]
    if spec.input_list and several_inputs(spec):
        first = f"{input_names(spec)[0]}_shape"
    views = []
    for name, sub in spec.layers.items():
        parts = [f"{k}={_source_value(v)}" for k, v in sub.args.items()]
        parts.append("dtype=self.dtype_policy")
        create = f"{_class_ref(sub.layer, own)}({', '.join(parts)})"
        build: str | None
        if sub.build is False:
            build = None
        elif sub.build is None or sub.build is True:
            build = first
        else:
            build = " ".join(str(sub.build).split())
        method = "build"
        function = None
        if target == "tf-keras":
            method = sublayer_build_method(sub.layer)
            function = sublayer_build_function(sub.layer)
        views.append(SubLayerView(name, create, build, method, function))
    return views


def _imports(spec: LayerSpec) -> tuple[list[str], list[str]]:
    """`imports` as lines: the standard library's, and the third-party ones (numpy)."""
    std: list[str] = []
    third: list[str] = []
    for item in spec.imports:
        words = item.split()
        line = f"import {' '.join(words)}"
        (third if words[0] == "numpy" else std).append(line)
    return sorted(std), sorted(third)


def _param(name: str, default: Any) -> str:
    return f"{name}={_literal(default, '')}"


def _call_view(
    spec: LayerSpec,
    target: str,
    *,
    state: dict[str, str],
    losses: list[str],
    float32: bool,
) -> CallView:
    names = input_names(spec)
    decls = spec.inputs or {}
    masks = mask_names(spec)
    several = len(names) > 1
    legacy = spec.inputs is None and not spec.call_args
    params: list[str] = []
    unpack: list[str] = []
    if spec.input_list or not several:
        params.append(names[0] if spec.inputs is not None and not several else "inputs")
        if spec.input_list and several:
            unpack.append(f"{', '.join(names)} = inputs")
    else:
        for name in names:
            decl = decls.get(name)
            params.append(
                f"{name}=None" if decl is not None and decl.optional else name
            )
    required = [n for n, a in spec.call_args.items() if a.required]
    optional = [n for n, a in spec.call_args.items() if not a.required]
    mask_params: list[str] = []
    if masks:
        if spec.input_list and several:
            mask_params.append("mask=None")
            names_ = ", ".join(f"{n}_mask" for n in names)
            nones = ", ".join("None" for _ in names)
            unpack.append(f"{names_} = mask if mask is not None else ({nones})")
        else:
            mask_params += [f"{m}=None" for m in masks.values()]
    training = ["training=None"] if spec.training else []
    if legacy:
        params += training + mask_params
    else:
        params += required + mask_params
        params += [_param(n, spec.call_args[n].default) for n in optional]
        params += training
    after: list[str] = []
    if spec.state_on == "every_call" and spec.training is not True:
        if target == "tf-keras":
            after += [f"self.add_update({update_op(w, e)})" for w, e in state.items()]
        else:
            after += [f"self.{w}.assign({e.strip()})" for w, e in state.items()]
    after += [f"self.add_loss({' '.join(e.split())})" for e in losses]
    outputs = list(spec.outputs) if spec.outputs is not None else ["outputs"]
    returns = ", ".join(outputs)
    shape_names = spec_shape_names(spec)
    build_params = [
        f"{n}=None" if (decls.get(i) is not None and decls[i].optional) else n
        for n, i in zip(
            shape_names, names if len(shape_names) > 1 else names[:1], strict=True
        )
    ]
    build_unpack = []
    if spec.input_list and several:
        build_unpack.append(f"{', '.join(f'{n}_shape' for n in names)} = input_shape")
    first_shape = shape_names[0]
    if spec.input_list and several:
        first_shape = "input_shape[0]"
    shapes = []
    for out in spec.outputs.values() if spec.outputs is not None else []:
        if out.shape == "same":
            shapes.append(first_shape)
        else:
            expr = out.shape
            if spec.input_list and several:
                for i, n in enumerate(names):
                    expr = re.sub(rf"\b{n}_shape\b", f"input_shape[{i}]", expr)
            shapes.append(_returned_shape(expr))
    if target == "tf-keras":
        shapes = [f"tf.TensorShape({s})" for s in shapes]
    if spec.outputs is None:
        if spec.output_shape == "same":
            shape = first_shape
        else:
            expr = spec.output_shape
            if spec.input_list and several:
                for i, n in enumerate(names):
                    expr = re.sub(rf"\b{n}_shape\b", f"input_shape[{i}]", expr)
            shape = _returned_shape(expr)
        if target == "tf-keras":
            shape = f"tf.TensorShape({shape})"
    elif len(shapes) == 1:
        shape = shapes[0]
    else:
        shape = f"({', '.join(shapes)})"
    output_mask = None
    if spec.outputs is not None and len(spec.outputs) > 1 and spec.masking != "none":
        first_mask = masks.get(names[0], "mask")
        exprs = []
        for out in spec.outputs.values():
            expr = out.mask or "None"
            if spec.input_list and several:
                for i, n in enumerate(names):
                    expr = re.sub(
                        rf"\b{n}_mask\b",
                        f"(mask[{i}] if mask is not None else None)",
                        expr,
                    )
            else:
                expr = re.sub(rf"\b{first_mask}\b", "mask", expr)
            exprs.append(expr)
        output_mask = f"({', '.join(exprs)})"
    return CallView(
        legacy=legacy,
        call_params=", ".join(params),
        unpack=unpack,
        after=after,
        returns=returns,
        build_params=", ".join(build_params),
        build_unpack=build_unpack,
        shape_params=", ".join(build_params),
        output_shape=shape,
        mask_params="inputs, mask=None",
        output_mask=output_mask,
    )


#: How many weights a Keras layer creates, from its constructor arguments (the
#: arguments Keras's `build` reads); the generated test asserts the layer's counts.
def _known_weights(layer: str, args: dict[str, Any]) -> tuple[int, int] | None:
    name = layer.rpartition(".")[2] if layer.startswith("keras.") else layer
    flag = lambda key, default=True: bool(args.get(key, default))  # noqa: E731
    table: dict[str, tuple[int, int]] = {
        "Dense": (1 + flag("use_bias"), 0),
        "EinsumDense": (1 + (args.get("bias_axes") is not None), 0),
        "Embedding": (1, 0),
        "LayerNormalization": (flag("scale") + flag("center"), 0),
        "BatchNormalization": (flag("scale") + flag("center"), 2),
        "MultiHeadAttention": (8 if flag("use_bias") else 4, 0),
        "Dropout": (0, 0),
        "Activation": (0, 0),
        "Flatten": (0, 0),
        "Reshape": (0, 0),
        "Conv1D": (1 + flag("use_bias"), 0),
        "Conv2D": (1 + flag("use_bias"), 0),
    }
    return table.get(name)


def _resolved(value: Any, spec: LayerSpec, init: dict[str, Any]) -> Any:
    """A sub-layer argument's value on an example: a literal, or an argument's name."""
    if isinstance(value, str):
        if value in spec.args:
            return _arg_value(spec, value, init)
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return None
    return value


def _sublayer_weights(spec: LayerSpec, init: dict[str, Any]) -> tuple[int, int] | None:
    trainable = non_trainable = 0
    for sub in spec.layers.values():
        args = {k: _resolved(v, spec, init) for k, v in sub.args.items()}
        if sub.build is False and sub.layer.rpartition(".")[2] not in ("Dropout",):
            return None  # built on the first call: not counted after `build`
        found = _known_weights(sub.layer, args)
        if found is None:
            return None
        trainable += found[0]
        non_trainable += found[1]
    return trainable, non_trainable


def example_tensors(spec: LayerSpec, example: Any) -> dict[str, dict[str, Any]]:
    """Input name -> `{shape, dtype, min, max, padding, mask}` of an example, for
    every layer (a one-input example's `input_shape` is the input `inputs`)."""
    names = input_names(spec)
    decls = spec.inputs or {}
    found: dict[str, dict[str, Any]] = {}
    if example.inputs:
        for name in names:
            value = example.inputs.get(name)
            if value is None:
                continue
            tensor = (
                value
                if isinstance(value, TensorExample)
                else TensorExample.model_validate({"shape": list(value)})
            )
            decl = decls.get(name)
            dtype = tensor.dtype or (decl.dtype if decl and decl.dtype else "float32")
            found[name] = {
                "shape": list(tensor.shape),
                "dtype": dtype,
                "min": tensor.min,
                "max": tensor.max,
                "padding": tensor.padding,
                "mask": tensor.mask,
            }
        return found
    decl = decls.get(names[0])
    dtype = example.dtype
    if decl is not None and decl.dtype and "dtype" not in example.model_fields_set:
        dtype = decl.dtype
    found[names[0]] = {
        "shape": list(example.input_shape or []),
        "dtype": dtype,
        "min": example.min,
        "max": example.max,
        "padding": example.padding,
        "mask": example.mask,
    }
    return found


def _structured_expected(
    spec: LayerSpec, example: Any, expected: dict[str, Any]
) -> dict[str, Any]:
    """The expectations of a structured spec's example: one output shape per output,
    the weight counts with the sub-layers', the losses per call."""
    init = dict(example.init)
    tensors = example_tensors(spec, example)
    names = input_names(spec)
    first = tuple(tensors[names[0]]["shape"]) if names[0] in tensors else ()
    shapes = {f"{n}_shape": tuple(t["shape"]) for n, t in tensors.items()}
    attrs = {name: _arg_value(spec, name, init) for name in spec.args}
    outputs: list[Any] = []
    decls = (
        list(spec.outputs.values())
        if spec.outputs is not None
        else [None]  # one output, `output_shape`
    )
    for out in decls:
        expr = spec.output_shape if out is None else out.shape
        if expr == "same":
            outputs.append(first)
        else:
            outputs.append(expected_shape(expr, first, attrs, shapes))
    expected = dict(expected)
    expected["output_shapes"] = outputs
    del expected["output_shape"]
    sub = _sublayer_weights(spec, init)
    if sub is None:
        expected["trainable_weights"] = expected["non_trainable_weights"] = None
    else:
        expected["trainable_weights"] += sub[0]
        expected["non_trainable_weights"] += sub[1]
    if spec.losses:
        expected["losses"] = len(spec.losses)
    elif spec.layers:
        expected["losses"] = None  # sub-layers may add their own
    return expected


def _body(code: str | None, region: str, regions: dict[str, str]) -> str | Region:
    if code is not None:
        return code.strip("\n")
    return Region(region, regions.get(region, USER_REGION_DEFAULT))


_OPS = re.compile(r"\bops\.")
_BACKEND = re.compile(r"\bK\.")


def build_context(
    spec: LayerSpec,
    *,
    target: str,
    version: str,
    import_path: str,
    package: str,
    source: str,
    regions: dict[str, str] | None = None,
    bodies: Any = None,
) -> LayerContext:
    """The template context of `spec` for `target`; `regions` carries user code over.
    tf-keras renders several tensor arguments as one list (`spec_for_target`)."""
    spec = spec_for_target(spec, target)
    regions = regions or {}
    call = bodies.call if bodies is not None else spec.call
    state = (
        bodies.state if bodies is not None and bodies.state is not None else spec.state
    )
    compute_mask = bodies.compute_mask if bodies is not None else spec.compute_mask
    mask_in_call = spec.masking in ("consume", "custom")
    methods = spec.methods
    if bodies is not None and bodies.methods is not None:
        methods = {**methods, **bodies.methods}
    losses = (
        bodies.losses
        if bodies is not None and bodies.losses is not None
        else spec.losses
    )
    call_body: str | Region | None = None
    training_body: str | Region | None = None
    inference_body: str | Region | None = None
    if spec.training is True:
        training_body = _body(call.training if call else None, "training", regions)
        inference_body = _body(call.inference if call else None, "inference", regions)
    else:
        call_body = _body(call.body if call else None, "call", regions)
    code = [
        c.code if isinstance(c, Region) else c
        for c in (call_body, training_body, inference_body)
        if c is not None
    ]
    code += [*state.values(), compute_mask or "", spec.build or ""]
    code += [m.body for m in methods.values()] + list(losses)
    code += [
        v
        for sub in spec.layers.values()
        for v in [*sub.args.values(), sub.build]
        if isinstance(v, str)
    ]
    code += [o.shape for o in (spec.outputs or {}).values()]
    uses_ops = spec.float32_internal or any(_OPS.search(c) for c in code)
    modules = _modules(spec, target, uses_ops=uses_ops)
    ids = _example_ids(spec)
    shape_code = [spec.build or ""]
    shape_code += [
        d for w in spec.weights.values() for d in w.shape if isinstance(d, str)
    ]
    own: list[str] = []
    std, third = _imports(spec)
    base_class = "keras.layers.Layer"
    if spec.base is not None:
        base_class = _class_ref(spec.base, own)
    sublayers = _sublayer_views(spec, own, target)
    super_args = [f"{k}={_source_value(v)}" for k, v in spec.base_args.items()]
    view = _call_view(
        spec,
        target,
        state=dict(state),
        losses=list(losses),
        float32=spec.float32_internal,
    )
    is_structured = structured(spec)
    if is_structured:
        mask_in_call = bool(mask_names(spec))
    ctx = LayerContext(
        template_api=TEMPLATE_API,
        klgen_version=version,
        target=target,
        spec=spec,
        class_name=spec.name,
        module_name=spec.module_name,
        import_path=import_path,
        package=package,
        source=source,
        doc=layer_doc(spec, mask_in_call=mask_in_call),
        args=[_arg_view(n, a, set(modules)) for n, a in spec.args.items()],
        weights=[_weight_view(n, spec, target) for n in spec.weights],
        seed_generator=spec.seed_generator,
        supports_masking=spec.masking != "none",
        mask_in_call=mask_in_call,
        input_spec=_input_spec(spec, target),
        built_input_spec=_built_input_spec(spec, target),
        build_body=spec.build.strip("\n") if spec.build else None,
        training=spec.training is True,
        call_body=call_body,
        training_body=training_body,
        inference_body=inference_body,
        state=list(state.items()),
        float32_internal=spec.float32_internal,
        compute_mask=compute_mask.strip("\n") if compute_mask else None,
        consume_mask=spec.masking == "consume",
        output_shape=(
            None if spec.output_shape == "same" else _returned_shape(spec.output_shape)
        ),
        uses_ops=uses_ops,
        keras_modules=modules,
        examples=[e.model_dump(exclude={"name"}) for e in spec.examples],
        example_views=[_example_view(spec, i, ids) for i in range(len(spec.examples))],
        updates=[update_op(weight, expr) for weight, expr in state.items()],
        uses_backend=spec.training is True or any(_BACKEND.search(c) for c in code),
        build_reads_shape=any(reads_name(c, "input_shape") for c in shape_code),
        training_return=returned(training_body),
        inference_return=returned(inference_body),
        base_class=base_class,
        super_init=f"super().__init__({', '.join([*super_args, '**kwargs'])})",
        std_imports=std,
        third_party_imports=third,
        own_imports=own,
        sublayers=sublayers,
        functions=[
            FUNCTION_SOURCES[f]
            for f in dict.fromkeys(
                s.build_function
                for s in sublayers
                if s.build_function is not None and s.build is not None
            )
        ],
        methods=[
            MethodView(
                name,
                f", {m.args.strip()}" if m.args.strip() else "",
                escape(" ".join(m.doc.split())),
                m.body.strip("\n"),
            )
            for name, m in methods.items()
        ],
        training_arg=bool(spec.training),
        needs_from_config=[
            (n, a.nullable) for n, a in spec.args.items() if a.base_type == "layer"
        ],
        structure=view,
        structured=is_structured,
        mask_map=mask_names(spec),
    )
    if is_structured:
        ctx.doc = layer_doc(spec, mask_in_call=mask_in_call, masks=mask_names(spec))
    return ctx
