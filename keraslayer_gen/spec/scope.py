"""The names the generated code has: its inputs, masks, shapes and imports, by spec.

The templates (through `generate/context.py`) and the rules both read these, so that a
body is checked in exactly the scope it is rendered in; nothing here imports Keras.
"""

from __future__ import annotations

from keraslayer_gen.spec.model import LayerSpec

#: The `masking` modes in which `call` receives the mask.
MASKING_WITH_MASK = ("use", "consume", "custom")


def input_names(spec: LayerSpec) -> list[str]:
    """The input tensors by name: the declared ones, or the one `inputs`."""
    return list(spec.inputs) if spec.inputs else ["inputs"]


def tensor_arguments(spec: LayerSpec) -> list[str]:
    """The tensor parameters of `call` after `self`: `inputs` for one input or a list."""
    if not spec.inputs or spec.input_list:
        return ["inputs"]
    return list(spec.inputs)


def mask_names(spec: LayerSpec) -> dict[str, str]:
    """Input -> the `call` parameter that receives its mask, as Keras 3 fills them in:
    `mask` when `call` has one tensor argument (one input, or a list of them), and
    `<name>_mask` per input when it has several.

    An input receives its mask when it says `mask: true`; when none does, the first one
    does if the layer's `masking` reads the mask (`use`, `consume`, `custom`).
    """
    if not spec.inputs:
        return {"inputs": "mask"} if spec.masking in MASKING_WITH_MASK else {}
    names = [name for name, decl in spec.inputs.items() if decl.mask]
    if not names and spec.masking in MASKING_WITH_MASK:
        names = [next(iter(spec.inputs))]
    if spec.input_list or len(spec.inputs) == 1:
        return {name: "mask" for name in names[:1]} if names else {}
    return {name: f"{name}_mask" for name in names}


def mask_scope(spec: LayerSpec) -> set[str]:
    """The mask names a body sees: the `call` parameters of `mask_names`, and with
    `input_list` the list `mask` unpacked as `<name>_mask` per input."""
    names = set(mask_names(spec).values())
    if names and spec.input_list and spec.inputs and len(spec.inputs) > 1:
        names |= {f"{name}_mask" for name in spec.inputs}
    return names


def shape_names(spec: LayerSpec) -> list[str]:
    """The parameters of `build` and `compute_output_shape` after `self`."""
    if not spec.inputs or spec.input_list or len(spec.inputs) == 1:
        return ["input_shape"]
    return [f"{name}_shape" for name in spec.inputs]


def shape_scope_names(spec: LayerSpec) -> list[str]:
    """The shape names `build` and the shape expressions see: `shape_names`, and with
    `input_list` the list `input_shape` unpacked as `<name>_shape` per input."""
    names = shape_names(spec)
    if spec.input_list and spec.inputs and len(spec.inputs) > 1:
        names += [f"{name}_shape" for name in spec.inputs]
    return names


def parse_import(text: str) -> tuple[str, str | None] | None:
    """`"numpy as np"` -> `("numpy", "np")`, `"math"` -> `("math", None)`; None if
    it is neither form."""
    parts = text.split()
    if len(parts) == 1:
        return parts[0], None
    if len(parts) == 3 and parts[1] == "as":
        return parts[0], parts[2]
    return None


def import_names(spec: LayerSpec) -> list[str]:
    """The names the spec's `imports` bring into the module's scope."""
    out = []
    for text in spec.imports:
        parsed = parse_import(text)
        if parsed is not None:
            out.append(parsed[1] or parsed[0])
    return out
