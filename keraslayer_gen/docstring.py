"""The class docstring in Keras's order, wrapped at Keras's line length, spec text escaped."""

from __future__ import annotations

import re
import textwrap

from .spec import LayerSpec

WIDTH = 80
_LIST_ITEM = re.compile(r"^\s*([-*]|\d+[.)])\s")


def escape(text: str) -> str:
    """Spec text as the inside of a `\"\"\"` string: it can never close or escape it."""
    text = text.replace("\\", "\\\\")
    # A quote followed by another, or ending the text, is escaped: no run of three
    # unescaped quotes can form, and the closing quotes cannot merge with a final one.
    return re.sub(r'"(?="|$)', '\\\\"', text)


def _wrap(text: str, indent: str, hanging: str | None = None) -> list[str]:
    """Paragraphs re-wrapped; indented lines and list items kept as the author wrote them."""
    hanging = indent if hanging is None else hanging
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip("\n")):
        if out:
            out.append("")
        lines = block.splitlines()
        if any(
            line.startswith((" ", "\t")) or _LIST_ITEM.match(line) for line in lines
        ):
            out.extend(
                (indent if i == 0 else hanging) + line.rstrip()
                for i, line in enumerate(lines)
            )
            continue
        first_indent = indent if not out else hanging
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
    return out


def _default_text(value: object) -> str:
    if isinstance(value, list):
        value = tuple(value)
    return f"`{value!r}`" if isinstance(value, str) else f"`{value}`"


def class_docstring(
    spec: LayerSpec, *, mask_in_call: bool, indent: str = "    "
) -> str:
    """The docstring's lines, indented for a class body, without the quotes."""
    body = indent
    item = indent + "    "
    more = item + "    "
    lines = _wrap(spec.summary, "", body)
    if spec.description.strip():
        lines += [""] + _wrap(spec.description, body)
    if spec.args:
        lines += ["", f"{body}Args:"]
        for name, arg in spec.args.items():
            doc = arg.doc.strip() or f"The `{name}` argument."
            if not doc.endswith((".", "!", "?")):
                doc += "."
            if not arg.required:
                doc += f" Defaults to {_default_text(arg.default)}."
            lines += _wrap(f"{name}: {doc}", item, more)
        lines += _wrap(
            "**kwargs: Base layer keyword arguments, such as `name` and `dtype`.",
            item,
            more,
        )
    lines += ["", f"{body}Call arguments:", f"{item}inputs: Input tensor."]
    if spec.training:
        lines += _wrap(
            "training: Python boolean indicating whether the layer should behave "
            "in training mode or in inference mode.",
            item,
            more,
        )
    if mask_in_call:
        what = {
            "consume": "Boolean tensor of shape `inputs.shape[:-1]`, `True` for the entries "
            "to use. The output has no mask.",
            "custom": "Boolean tensor of shape `inputs.shape[:-1]`, `True` for the entries "
            "to use, or `None`.",
        }[spec.masking]
        lines += _wrap(f"mask: {what}", item, more)
    lines += ["", f"{body}Input shape:"]
    if spec.input_spec is not None and spec.input_spec.ndim is not None:
        lines.append(
            f"{item}{spec.input_spec.ndim}D tensor with shape " f"`(batch_size, ...)`."
        )
    else:
        lines.append(f"{item}Arbitrary.")
    lines += ["", f"{body}Output shape:"]
    if spec.output_shape == "same":
        lines.append(f"{item}Same shape as input.")
    else:
        lines += _wrap(
            f"`{spec.output_shape}`, where `input_shape` is the shape of `inputs`.",
            item,
            item,
        )
    if spec.masking == "propagate":
        lines += _wrap("The input mask, if any, is passed on unchanged.", item, item)
    if spec.references:
        lines += ["", f"{body}Reference:"]
        for ref in spec.references:
            lines += _wrap(f"- {ref}", item, item + "  ")
    return escape("\n".join(lines))


def module_docstring(spec: LayerSpec) -> str:
    return escape(" ".join(spec.summary.split()))
