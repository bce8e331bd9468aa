"""Spec -> the context the templates receive: every decision made here, layout left to Jinja.

This is template API version 1 (`TEMPLATE_API`): overlays may rely on every field of
`LayerContext`, `ArgView` and `WeightView`. Fields are spelled for `target`: weight keywords
and the input spec differ between Keras 3 and tf-keras (`tf_keras_idioms.py`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from .docstring import class_docstring, module_docstring
from .regions import USER_REGION_DEFAULT
from .rules import parse_range
from .spec import KERAS_OBJECT_MODULES, Arg, LayerSpec
from .tf_keras_idioms import AGGREGATIONS, reads_name, returned, update_op

TEMPLATE_API = 1


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
    checks: list[str]  # `if ...: raise ValueError(...)` blocks
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
    module_docstring: str
    class_docstring: str
    args: list[ArgView]
    weights: list[WeightView]
    seed_generator: str | None
    supports_masking: bool
    mask_in_call: bool
    input_spec: str | None
    build_body: str | None
    training: bool
    call_body: str | Region | None
    training_body: str | Region | None
    inference_body: str | Region | None
    state: list[tuple[str, str]]
    float32_internal: bool
    compute_mask: str | None
    consume_mask: bool
    output_shape: str | None  # None: same as the input
    uses_ops: bool
    examples: list[dict[str, Any]] = field(default_factory=list)
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


def _raise(name: str, expected: str) -> str:
    """A Keras-worded `ValueError`: one string piece per clause, each fitting its line."""
    pieces = [
        f"Invalid value for argument `{name}`. ",
        *_chunks(f"Expected {expected}. ", 56),
    ]
    body = "\n".join(f'    "{_escape(p)}"' for p in pieces)
    return f'raise ValueError(\n{body}\n    f"Received: {name}={{{name}}}"\n)'


def _chunks(text: str, width: int) -> list[str]:
    """`text` in pieces of at most `width` characters, split between words."""
    out: list[str] = []
    line = ""
    for word in text.split(" "):
        if line and len(line) + len(word) > width:
            out.append(line)
            line = ""
        line += word + " "
    if line.strip():
        out.append(line[:-1])
    return out


def _escape(text: str) -> str:
    """Text as the inside of a plain (not f-) double-quoted string literal."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _checks(name: str, arg: Arg) -> list[str]:
    base = arg.base_type
    guard = f"{name} is not None and " if arg.nullable else ""
    checks: list[str] = []
    if arg.choices is not None:
        options = ", ".join(repr(c) for c in arg.choices)
        cond = f"{name} not in ({options}{',' if len(arg.choices) == 1 else ''})"
        checks.append(
            f"if {guard}{cond}:\n    "
            + _raise(name, f"one of {options}").replace("\n", "\n    ")
        )
    if arg.range is not None and (bounds := parse_range(arg.range)):
        lo, lo_closed, hi, hi_closed = bounds
        parts = []
        if lo is not None:
            parts.append(f"{_number(lo, base)} {'<=' if lo_closed else '<'} ")
        parts.append(name)
        if hi is not None:
            parts.append(f" {'<=' if hi_closed else '<'} {_number(hi, base)}")
        cond = f"not {''.join(parts)}" if not guard else f"not ({''.join(parts)})"
        checks.append(
            f"if {guard}{cond}:\n    "
            + _raise(name, f"a value in the interval {arg.range}").replace(
                "\n", "\n    "
            )
        )
    for key, op, word in (("min", "<", ">="), ("max", ">", "<=")):
        bound = getattr(arg, key)
        if bound is not None:
            value = _number(bound, base)
            checks.append(
                f"if {guard}{name} {op} {value}:\n    "
                + _raise(name, f"a value {word} {value}").replace("\n", "\n    ")
            )
    return checks


def _arg_view(name: str, arg: Arg) -> ArgView:
    base = arg.base_type
    assign, config = name, f"self.{name}"
    if base in KERAS_OBJECT_MODULES:
        module = KERAS_OBJECT_MODULES[base]
        assign = f"keras.{module}.get({name})"
        config = f"keras.{module}.serialize(self.{name})"
    elif base in ("shape", "ints"):
        assign = f"tuple({name})" + (
            f" if {name} is not None else None" if arg.nullable else ""
        )
    return ArgView(
        name=name,
        type=arg.type,
        base_type=base,
        nullable=arg.nullable,
        required=arg.required,
        default="" if arg.required else _literal(arg.default, base),
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
    kwargs: list[tuple[str, str]] = [("name", repr(name)), ("shape", shape)]
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


def _input_spec(spec: LayerSpec, target: str) -> str | None:
    s = spec.input_spec
    if s is None:
        return None
    parts = [
        f"{key}={getattr(s, key)}"
        for key in ("ndim", "min_ndim", "max_ndim")
        if getattr(s, key) is not None
    ]
    if s.axes:
        items = ", ".join(
            f"{axis}: {dim if isinstance(dim, int) else dim}"
            for axis, dim in s.axes.items()
        )
        parts.append(f"axes={{{items}}}")
    cls = "keras.layers.InputSpec" if target == "tf-keras" else "keras.InputSpec"
    return f"{cls}({', '.join(parts)})"


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
    """The template context of `spec` for `target`; `regions` carries user code over."""
    regions = regions or {}
    call = bodies.call if bodies is not None else spec.call
    state = (
        bodies.state if bodies is not None and bodies.state is not None else spec.state
    )
    compute_mask = bodies.compute_mask if bodies is not None else spec.compute_mask
    mask_in_call = spec.masking in ("consume", "custom")
    call_body: str | Region | None = None
    training_body: str | Region | None = None
    inference_body: str | Region | None = None
    if spec.training:
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
    uses_ops = spec.float32_internal or any(_OPS.search(c) for c in code)
    shape_code = [spec.build or ""]
    shape_code += [
        d for w in spec.weights.values() for d in w.shape if isinstance(d, str)
    ]
    return LayerContext(
        template_api=TEMPLATE_API,
        klgen_version=version,
        target=target,
        spec=spec,
        class_name=spec.name,
        module_name=spec.module_name,
        import_path=import_path,
        package=package,
        source=source,
        module_docstring=module_docstring(spec),
        class_docstring=class_docstring(spec, mask_in_call=mask_in_call),
        args=[_arg_view(n, a) for n, a in spec.args.items()],
        weights=[_weight_view(n, spec, target) for n in spec.weights],
        seed_generator=spec.seed_generator,
        supports_masking=spec.masking != "none",
        mask_in_call=mask_in_call,
        input_spec=_input_spec(spec, target),
        build_body=spec.build.strip("\n") if spec.build else None,
        training=spec.training,
        call_body=call_body,
        training_body=training_body,
        inference_body=inference_body,
        state=list(state.items()),
        float32_internal=spec.float32_internal,
        compute_mask=compute_mask.strip("\n") if compute_mask else None,
        consume_mask=spec.masking == "consume",
        output_shape=None if spec.output_shape == "same" else spec.output_shape,
        uses_ops=uses_ops,
        examples=[e.model_dump() for e in spec.examples],
        updates=[update_op(weight, expr) for weight, expr in state.items()],
        uses_backend=spec.training or any(_BACKEND.search(c) for c in code),
        build_reads_shape=any(reads_name(c, "input_shape") for c in shape_code),
        training_return=returned(training_body),
        inference_return=returned(inference_body),
    )
