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

from .output_shape import Dim, Unsupported, evaluate, shape_text, symbolic_input
from .spec import LayerSpec

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


def layer_doc(spec: LayerSpec, *, mask_in_call: bool) -> DocView:
    """What each section of the class docstring says."""
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
    if mask_in_call:
        call_args.append(DocItem("mask", _CALL_MASKS[spec.masking]))
    return DocView(
        summary=escape(" ".join(spec.summary.split())),
        description=escape(description),
        args=args,
        call_args=call_args,
        input_shape=_input_shape(spec),
        output_shape=_output_shape(spec),
        references=[escape(" ".join(ref.split())) for ref in spec.references],
    )
