"""Hypothesis strategies for issue 11's fields: random valid specs with named inputs (both
call styles), masks per input, call arguments, sub-layers, helper methods, imports and
several outputs.

Validity is by construction from the rules (keraslayer_gen/spec/rules/ and
docs/spec.md): a spec drawn here that klgen refuses is a bug in the rules or in this file.
No rendering here: the templates of these fields are tested with the catalogue.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from keraslayer_gen.spec.names import LAYER_ATTRIBUTES

from .strategies import prose, snake_names

_MASKING = ("none", "propagate", "use", "consume")
_CALL_ARG_VALUES = {
    "int": st.integers(-5, 5),
    "float": st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3)),
    "bool": st.booleans(),
    "str": prose,
}


def _mask_params(inputs: dict[str, dict[str, Any]], masking: str, listed: bool) -> Any:
    """The mask names a body sees, as keraslayer_gen.spec.scope.mask_scope gives them."""
    names = [n for n, d in inputs.items() if d.get("mask")]
    if not names and masking in ("use", "consume"):
        names = [next(iter(inputs))]
    if not names:
        return []
    if listed:
        return ["mask", *(f"{n}_mask" for n in inputs)]
    if len(inputs) == 1:
        return ["mask"]
    return [f"{n}_mask" for n in names]


@st.composite
def composite_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid spec using the composite fields."""
    pool = draw(
        st.lists(
            snake_names.filter(
                lambda n: n not in LAYER_ATTRIBUTES
                and not n.endswith("_mask")
                and not n.endswith("_shape")
                and n not in ("mask", "training", "inputs", "np", "math", "x", "y")
                and n not in ("factor", "ops", "keras", "self", "outputs")
            ),
            min_size=10,
            max_size=10,
            unique=True,
        )
    )
    n_inputs = draw(st.integers(1, 3))
    input_names, pool = pool[:n_inputs], pool[n_inputs:]
    listed = n_inputs >= 2 and draw(st.booleans())
    masking = draw(st.sampled_from(_MASKING))
    inputs: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(input_names):
        decl: dict[str, Any] = {"min_ndim": 2}
        if masking != "none" and draw(st.booleans()):
            decl["mask"] = True
        if i == n_inputs - 1 and i > 0 and not listed and draw(st.booleans()):
            decl["optional"] = True
        if draw(st.booleans()):
            decl["doc"] = draw(prose)
        inputs[name] = decl
    first = input_names[0]
    spec: dict[str, Any] = {
        "klgen": 1,
        "name": "Block",
        "summary": "A composite block.",
        "inputs": inputs,
        "masking": masking,
    }
    if listed:
        spec["input_list"] = True
    imports = draw(st.lists(st.sampled_from(["math", "numpy as np"]), unique=True))
    if imports:
        spec["imports"] = imports
    call_args: dict[str, dict[str, Any]] = {}
    n_call_args = draw(st.integers(0, 2))
    call_arg_names, pool = pool[:n_call_args], pool[n_call_args:]
    seen_default = any(d.get("optional") for d in inputs.values())
    for name in call_arg_names:
        kind = draw(st.sampled_from(sorted(_CALL_ARG_VALUES)))
        arg: dict[str, Any] = {"type": kind}
        if seen_default or draw(st.booleans()):
            arg["default"] = draw(_CALL_ARG_VALUES[kind])
            seen_default = True
        call_args[name] = arg
    if call_args:
        spec["call_args"] = call_args
    n_layers = draw(st.integers(0, 2))
    layer_names, pool = pool[:n_layers], pool[n_layers:]
    layers: dict[str, dict[str, Any]] = {}
    shape = "input_shape" if listed or n_inputs == 1 else f"{first}_shape"
    if listed:
        shape = draw(st.sampled_from(["input_shape[0]", f"{first}_shape"]))
    for name in layer_names:
        sub: dict[str, Any] = {"layer": "Dense", "args": {"units": 4}}
        if draw(st.booleans()):
            sub["args"]["activation"] = '"relu"'
        if n_inputs > 1 and not listed:
            sub["build"] = shape  # the default is the first shape; say it anyway
        layers[name] = sub
    if layers:
        spec["layers"] = layers
        spec["training"] = draw(st.sampled_from([False, "forward"]))
    method = pool.pop() if draw(st.booleans()) else None
    if method is not None:
        spec["methods"] = {
            method: {"args": "x, factor=2.0", "body": "y = x * factor\nreturn y\n"}
        }
    # -- the body: every input, mask, call argument, sub-layer and method is used ----
    lines = [f"x = {first}"]
    for name in input_names[1:]:
        if inputs[name].get("optional"):
            lines.append(f"if {name} is not None:\n    x = x + ops.mean({name})")
        else:
            lines.append(f"x = x + ops.mean({name})")
    for name in layer_names:
        call_training = ", training=training" if spec.get("training") else ""
        lines.append(f"x = self.{name}(x{call_training})")
    for mask in _mask_params(inputs, masking, listed):
        lines.append(f"if {mask} is not None:\n    x = x * 1.0")
    for name in call_args:
        lines.append(f"if {name} is not None:\n    x = x * 1.0")
    if method is not None:
        lines.append(f"x = self.{method}(x)")
    if "math" in imports:
        lines.append("x = x * math.pi")
    if "numpy as np" in imports:
        lines.append("x = x * np.float32(1.0)")
    several = draw(st.booleans())
    out_names = pool[:2] if several else []
    if out_names:
        lines += [f"{out_names[0]} = x", f"{out_names[1]} = -x"]
        spec["outputs"] = {
            out_names[0]: {"shape": "same"},
            out_names[1]: {"doc": draw(prose)},
        }
    else:
        lines.append("outputs = x")
    spec["call"] = {"body": "\n".join(lines) + "\n"}
    examples = []
    for _ in range(draw(st.integers(1, 2))):
        ex_inputs: dict[str, Any] = {}
        for name, decl in inputs.items():
            if decl.get("optional") and draw(st.booleans()):
                continue
            dims = draw(st.lists(st.integers(1, 6), min_size=2, max_size=3))
            if draw(st.booleans()):
                ex_inputs[name] = dims
            else:
                tensor: dict[str, Any] = {"shape": dims}
                if decl.get("mask") and draw(st.booleans()):
                    tensor["mask"] = True
                if draw(st.booleans()):
                    lo = draw(st.integers(-3, 3))
                    tensor.update(min=lo, max=lo + draw(st.integers(0, 5)))
                ex_inputs[name] = tensor
        example: dict[str, Any] = {"inputs": ex_inputs}
        values = {
            n: draw(_CALL_ARG_VALUES[a["type"]])
            for n, a in call_args.items()
            if "default" not in a or draw(st.booleans())
        }
        if values:
            example["call_args"] = values
        examples.append(example)
    spec["examples"] = examples
    return spec
