"""The class docstring as data: Keras's sections, spec text escaped, shapes derived.

`layer_doc` decides what each section says; `macros/docstring.jinja` lays the sections out
and wraps them at Keras's line length with the `wrap` filter (`wrap`, below). The Input
and Output shape sections say what the code does: the rank the input spec requires, and
the output in Keras's `(batch_size, ..., units)` form, evaluated from `output_shape` on a
symbolic input shape (`output_shape.py`).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

from keraslayer_gen.generate.output_shape import (
    Dim,
    Unsupported,
    evaluate,
    shape_text,
    symbolic_input,
)
from keraslayer_gen.spec.model import LayerSpec

WIDTH = 80
_LIST_ITEM = re.compile(r"^\s*([-*]|\d+[.)])\s")


@dataclass(frozen=True)
class DocItem:
    """One `name: text` entry of `Args:` or `Call arguments:`; `text` is escaped."""

    name: str
    text: str


@dataclass(frozen=True)
class DocView:
    """The sections of the class docstring, every text escaped for a `\"\"\"` string."""

    summary: str
    description: str  # paragraphs, blank-line separated; "" when none
    args: list[DocItem]  # empty: no `Args:` section (then no `**kwargs` line either)
    call_args: list[DocItem]
    input_shape: str
    output_shape: str
    references: list[str] = field(default_factory=list)
    returns: list[DocItem] = field(default_factory=list)  # several outputs: `Returns:`


def escape(text: str) -> str:
    """Spec text as the inside of a `\"\"\"` string: it can never close or escape it."""
    text = text.replace("\\", "\\\\")
    # A quote followed by another, or ending the text, is escaped: no run of three
    # unescaped quotes can form, and the closing quotes cannot merge with a final one.
    return re.sub(r'"(?="|$)', '\\\\"', text)


def wrap(text: str, indent: str = "", hanging: str | None = None) -> str:
    """Paragraphs re-wrapped at `WIDTH`, the first line at `indent`, the others at
    `hanging`; indented lines and list items kept as the author wrote them."""
    hanging = indent if hanging is None else hanging
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip("\n")):
        if out:
            out.append("")
        lines = block.splitlines()
        first_indent = indent if not out else hanging
        if any(
            line.startswith((" ", "\t")) or _LIST_ITEM.match(line) for line in lines
        ):
            out.extend(
                (first_indent if i == 0 else hanging) + line.rstrip()
                for i, line in enumerate(lines)
            )
            continue
        out.extend(
            textwrap.wrap(
                " ".join(line.strip() for line in lines),
                WIDTH,
                initial_indent=first_indent,
                subsequent_indent=hanging,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(line if line.strip() else "" for line in out)


def default_text(value: object) -> str:
    """A default as the code spells it (black's double quotes), in backquotes."""
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, str) and '"' not in value and "\\" not in value:
        return f'`"{value}"`'
    return f"`{value!r}`"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _input_shape(spec: LayerSpec) -> str:
    s = spec.input_spec
    if s is None or (s.ndim is None and s.min_ndim is None and s.max_ndim is None):
        return "Arbitrary."
    if s.ndim is not None:
        return shape_text(symbolic_input(s.ndim))
    bounds = []
    if s.min_ndim is not None:
        bounds.append(f"N >= {s.min_ndim}")
    if s.max_ndim is not None:
        bounds.append(f"N <= {s.max_ndim}")
    return f"{shape_text(symbolic_input(None))[:-1]}, with {' and '.join(bounds)}."


def _output_shape(spec: LayerSpec) -> str:
    if spec.output_shape == "same":
        return "Same shape as input."
    ndim = spec.input_spec.ndim if spec.input_spec is not None else None
    attrs = {name: Dim(name) for name in spec.args}
    try:
        value = evaluate(spec.output_shape, symbolic_input(ndim), attrs)
        if isinstance(value, tuple):
            return shape_text(value)
    except Unsupported:
        pass
    expr = escape(" ".join(spec.output_shape.split()))
    return f"`{expr}`, where `input_shape` is the input's shape."


#: A layer that takes no `mask` argument says what it does with masks here; the others
#: say it under "Call arguments:".
_MASK_NOTE = "The layer passes the input mask, if any, on unchanged."
_CALL_MASKS = {
    "consume": "Boolean tensor of shape `inputs.shape[:-1]`, `True` for the entries "
    "to use. The output has no mask.",
    "custom": "Boolean tensor of shape `inputs.shape[:-1]`, `True` for the entries "
    "to use, or `None`.",
}


def _rank_text(ndim: int | None, min_ndim: int | None, max_ndim: int | None) -> str:
    if ndim is not None:
        return shape_text(symbolic_input(ndim))
    bounds = []
    if min_ndim is not None:
        bounds.append(f"N >= {min_ndim}")
    if max_ndim is not None:
        bounds.append(f"N <= {max_ndim}")
    if not bounds:
        return "Arbitrary."
    return f"{shape_text(symbolic_input(None))[:-1]}, with {' and '.join(bounds)}."


def _structured_doc(
    spec: LayerSpec, masks: dict[str, str]
) -> tuple[list[DocItem], str, str, list[DocItem]]:
    """`Call arguments:`, the shape sections and `Returns:` of a spec with inputs,
    outputs or call arguments (issue 11)."""
    names = list(spec.inputs) if spec.inputs is not None else ["inputs"]
    decls = spec.inputs or {}
    items: list[DocItem] = []
    shapes: list[str] = []
    for name in names:
        decl = decls.get(name)
        text = _sentence(decl.doc) if decl and decl.doc.strip() else "Input tensor."
        if decl is not None and decl.dtype and decl.dtype.startswith(("int", "uint")):
            text += f" Of dtype `{decl.dtype}`."
        if decl is not None and decl.optional:
            text += " Optional."
        if spec.input_list:
            shapes.append(f"`{name}`: " + _rank_text(*_ranks(decl)))
            continue
        items.append(DocItem(name, escape(text)))
        shapes.append(f"`{name}`: " + _rank_text(*_ranks(decl)))
    if spec.input_list:
        listed = ", ".join(f"`{n}`" for n in names)
        items.append(DocItem("inputs", f"List of the input tensors {listed}."))
    for name, mask in masks.items():
        what = f"`{name}`"
        text = f"Boolean tensor, `True` for the entries of {what} to use, or `None`."
        if spec.input_list and len(names) > 1:
            items.append(
                DocItem("mask", "List of boolean masks of the inputs, or `None`.")
            )
            break
        items.append(DocItem(mask, text))
    for name, arg in spec.call_args.items():
        text = _sentence(arg.doc) if arg.doc.strip() else f"The `{name}` argument."
        if not arg.required:
            text += f" Defaults to {default_text(arg.default)}."
        items.append(DocItem(name, escape(text)))
    if spec.training:
        items.append(
            DocItem(
                "training",
                "Python boolean indicating whether the layer should behave in "
                "training mode or in inference mode.",
            )
        )
    if len(names) == 1 and not spec.input_list:
        input_text = shapes[0].split(": ", 1)[1]
    else:
        input_text = _items(shapes)
    returns: list[DocItem] = []
    if spec.outputs is None:
        output_text = _output_shape(spec)
    else:
        lines = []
        for name, out in spec.outputs.items():
            if out.shape == "same":
                shape = f"Same shape as `{names[0]}`."
            else:
                shape = f"`{escape(' '.join(out.shape.split()))}`."
            lines.append(f"`{name}`: {shape}")
            doc = _sentence(out.doc) if out.doc.strip() else "An output tensor."
            returns.append(DocItem(name, escape(doc)))
        output_text = lines[0].split(": ", 1)[1] if len(lines) == 1 else _items(lines)
    return items, input_text, output_text, returns


def _items(lines: list[str]) -> str:
    """Lines as `- ` list items wrapped for a section item's indentation (8)."""
    out = []
    for line in lines:
        out += textwrap.wrap(
            line,
            WIDTH - 8,
            initial_indent="- ",
            subsequent_indent="  ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    return "\n".join(out)


def _ranks(decl: object) -> tuple[int | None, int | None, int | None]:
    if decl is None:
        return None, None, None
    return (
        getattr(decl, "ndim", None),
        getattr(decl, "min_ndim", None),
        getattr(decl, "max_ndim", None),
    )


def layer_doc(
    spec: LayerSpec, *, mask_in_call: bool, masks: dict[str, str] | None = None
) -> DocView:
    """What each section of the class docstring says; `masks` (input -> mask name in
    `call`) for a spec with the structure fields of issue 11."""
    description = spec.description.strip()
    if spec.masking == "propagate":
        note = _MASK_NOTE
        description = f"{description}\n\n{note}" if description else note
    args = []
    for name, arg in spec.args.items():
        text = _sentence(arg.doc) if arg.doc.strip() else f"The `{name}` argument."
        if not arg.required:
            text += f" Defaults to {default_text(arg.default)}."
        args.append(DocItem(name, escape(text)))
    call_args = [DocItem("inputs", "Input tensor.")]
    if spec.training:
        call_args.append(
            DocItem(
                "training",
                "Python boolean indicating whether the layer should behave in "
                "training mode or in inference mode.",
            )
        )
    if mask_in_call and masks is None and spec.masking in _CALL_MASKS:
        call_args.append(DocItem("mask", _CALL_MASKS[spec.masking]))
    returns: list[DocItem] = []
    input_text, output_text = _input_shape(spec), ""
    if masks is not None:
        call_args, input_text, output_text, returns = _structured_doc(spec, masks)
        if spec.inputs is None:
            input_text = _input_shape(spec)
    return DocView(
        summary=escape(" ".join(spec.summary.split())),
        description=escape(description),
        args=args,
        call_args=call_args,
        input_shape=input_text,
        output_shape=output_text or _output_shape(spec),
        references=[escape(" ".join(ref.split())) for ref in spec.references],
        returns=returns,
    )
