"""Hypothesis strategies: random valid specs drawing on every field kind of format 1.

`specs()` draws spec data (plain dicts) that klgen must accept; `spec_yaml()` writes it
the way people do (block mappings, code in `|` blocks) so that mutations can be made on
known lines. Validity is by construction from the rules of docs/spec.md: a spec drawn here
that klgen refuses is a bug in klgen or in this file, and the test says which spec.
"""

from __future__ import annotations

import keyword
import string
from typing import Any

import yaml
from hypothesis import strategies as st

from keraslayer_gen.spec.model import ARG_TYPES, DTYPES
from keraslayer_gen.spec.names import (
    BUILTIN_NAMES,
    KERAS_LAYER_NAMES,
    LAYER_ATTRIBUTES,
    STDLIB_MODULES,
    snake_case,
)
from keraslayer_gen.spec.registry import BODY_SCOPE
from keraslayer_gen.spec.rules.prose import MARKER_LIKE
from keraslayer_gen.spec.values import KERAS_IDENTIFIERS

FLOAT_DTYPES = tuple(d for d in DTYPES if d.startswith(("float", "bfloat")))

KERAS_KINDS = ("initializer", "regularizer", "constraint", "activation")
#: Names the generated code itself uses where an argument or weight name could clash.
#: `input_shape` and `seed_generator` are refused (or are known bugs, see
#: test_hostile.py); the rest must work.
_RESERVED = (
    set(LAYER_ATTRIBUTES)
    | set(BODY_SCOPE)
    | set(BUILTIN_NAMES)
    | {"kwargs", "input_shape", "seed_generator", "config", "outputs", "output_mask"}
    | {"l", "O", "I"}  # ruff E741: ambiguous with digits, refused by the rules
)
#: Names people really use, some close to reserved ones, drawn next to random ones.
_NAME_POOL = (
    "units rate axis epsilon momentum groups center scale use_bias noise_shape seed "
    "kernel bias gamma beta moving_mean moving_variance iterations temperature "
    "pool_size strides padding data_format dropout alpha beta_1 size_ num_heads "
    "inputs_scale mask_value training_steps layer_dtype call_count"
).split()


def _ok_name(name: str) -> bool:
    return (
        name.isidentifier()
        and not keyword.iskeyword(name)
        and not keyword.issoftkeyword(name)
        and name not in _RESERVED
    )


snake_names = st.one_of(
    st.sampled_from(_NAME_POOL),
    st.from_regex(r"\A[a-z][a-z0-9]{0,6}(_[a-z0-9]{1,5}){0,2}\Z"),
).filter(_ok_name)


#: Modules the generated layer and test import: a layer module may not shadow them.
#: Standard-library names are refused as modules too (one would hide the other).
_IMPORTED = {
    "keras",
    "tensorflow",
    "tf_keras",
    "numpy",
    "pytest",
    "jax",
    "torch",
} | STDLIB_MODULES


def _ok_class(name: str) -> bool:
    module = snake_case(name)
    return (
        name not in KERAS_LAYER_NAMES
        and name not in BUILTIN_NAMES
        and not keyword.iskeyword(name)
        and not keyword.iskeyword(module)
        and module not in _IMPORTED
    )


class_names = st.from_regex(r"\A[A-Z][a-z]{1,7}([A-Z][a-z0-9]{1,6}){0,2}\Z").filter(
    _ok_class
)

#: Prose with what trips up quoting: quotes, backslashes, braces, colons, unicode.
prose = st.text(
    alphabet=st.sampled_from(
        list(string.ascii_letters + string.digits + " .,;:!?'\"`()[]{}<>*_-+=/\\#%&@")
        + ["é", "ß", "λ", "→", "中"]
    ),
    min_size=1,
    max_size=60,
).map(lambda s: s.strip() or "x")
#: ... but not prose that reads like a klgen marker (`# klgen-digest:`), which a spec
#: refuses on purpose (tests/hardening/test_hostile.py covers that refusal).
prose = prose.filter(lambda s: not MARKER_LIKE.search(s))

descriptions = st.lists(
    st.one_of(
        prose,
        st.lists(prose, min_size=1, max_size=3).map(
            lambda items: "\n".join(f"- {i}" for i in items)
        ),
    ),
    min_size=1,
    max_size=3,
).map(lambda paragraphs: "\n\n".join(paragraphs) + "\n")


# -- arguments -------------------------------------------------------------------------
@st.composite
def _constraint(draw: st.DrawFn, base: str) -> dict[str, Any]:
    """min / max / range / choices for an int, float or str argument, or nothing."""
    if base == "str":
        if draw(st.booleans()):
            return {}
        choices = draw(
            st.lists(
                st.one_of(
                    st.sampled_from(["same", "valid", "any", "all", "channels_last"]),
                    prose,
                ),
                min_size=1,
                max_size=4,
                unique=True,
            )
        )
        return {"choices": choices}
    kind = draw(st.sampled_from(["none", "min", "max", "min_max", "range", "choices"]))
    integral = base == "int"
    number = (
        st.integers(-50, 50)
        if integral
        else st.floats(-50, 50, allow_nan=False, allow_infinity=False).map(
            lambda v: round(v, 3)
        )
    )
    if kind == "none":
        return {}
    if kind == "choices":
        return {"choices": draw(st.lists(number, min_size=1, max_size=4, unique=True))}
    lo = draw(number)
    hi = lo + draw(st.integers(2, 20))  # room for a value strictly inside
    if kind == "min":
        return {"min": lo}
    if kind == "max":
        return {"max": hi}
    if kind == "min_max":
        return {"min": lo, "max": hi}
    left, right = draw(st.sampled_from("[(")), draw(st.sampled_from("])"))
    lo_text = draw(st.sampled_from([str(lo), "-inf", ""])) if left == "(" else str(lo)
    hi_text = draw(st.sampled_from([str(hi), "inf", ""])) if right == ")" else str(hi)
    return {"range": f"{left}{lo_text}, {hi_text}{right}", "_bounds": (lo, hi)}


def _fits(value: Any, constraint: dict[str, Any]) -> Any:
    """A value that meets `constraint`, starting from `value`."""
    if "choices" in constraint:
        return constraint["choices"][0] if value not in constraint["choices"] else value
    lo = constraint.get("min", constraint.get("_bounds", (None, None))[0])
    hi = constraint.get("max", constraint.get("_bounds", (None, None))[1])
    if lo is not None and hi is not None:
        return value if lo < value < hi else type(value)((lo + hi) / 2)
    if lo is not None:
        return value if value > lo else lo + 1
    if hi is not None:
        return value if value < hi else hi - 1
    return value


@st.composite
def arg_values(
    draw: st.DrawFn, base: str, nullable: bool, constraint: dict[str, Any]
) -> Any:
    """A value of an argument: a default, or a value in an example's `init`."""
    if base == "layer":
        # Drawn only as `layer | None` with a null default (see `args`): a layer value
        # is a serialised Keras object, which no example here builds on purpose.
        return None
    if nullable and draw(st.integers(0, 4)) == 0:
        return None
    if base == "dict":
        return draw(
            st.dictionaries(
                snake_names,
                st.one_of(st.integers(-5, 5), st.booleans(), prose),
                max_size=3,
            )
        )
    if base in KERAS_KINDS:
        return draw(st.sampled_from(KERAS_IDENTIFIERS[base]))
    if base == "bool":
        return draw(st.booleans())
    if base == "str":
        return _fits(draw(prose), constraint)
    if base == "shape":
        return draw(st.lists(st.one_of(st.none(), st.integers(0, 64)), max_size=4))
    if base == "ints":
        return draw(st.lists(st.integers(-4, 64), max_size=4))
    if base == "int":
        return _fits(draw(st.integers(-100, 100)), constraint)
    value = draw(
        st.one_of(
            st.floats(-100, 100, allow_nan=False).map(lambda v: round(v, 4)),
            st.sampled_from([0.0, 1.0, 1e-5, 0.5, 0.999]),
        )
    )
    fitted = _fits(value, constraint)
    return float(fitted) if not isinstance(fitted, bool) else fitted


@st.composite
def args(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    """Ordered args: the required ones first, then those with a default."""
    names = draw(st.lists(snake_names, max_size=7, unique=True))
    out: dict[str, dict[str, Any]] = {}
    required = draw(st.integers(0, len(names)))
    for i, name in enumerate(names):
        base = draw(st.sampled_from(ARG_TYPES))
        nullable = draw(st.booleans())
        if base == "layer" and i < required:
            base = "dict"  # a required layer needs a serialised layer in every example
        if base in ("layer", "dict") and i >= required:
            # Defaults of these are null only: a mapping default renders as a mutable
            # default (ruff B006) until the templates copy it from `None`.
            nullable = True
        constraint = draw(_constraint(base)) if base in ("int", "float", "str") else {}
        arg: dict[str, Any] = {"type": f"{base} | None" if nullable else base}
        arg.update({k: v for k, v in constraint.items() if not k.startswith("_")})
        arg["_constraint"] = constraint
        if i >= required:
            arg["default"] = (
                None
                if base in ("layer", "dict")
                else draw(arg_values(base, nullable, constraint))
            )
        if draw(st.booleans()):
            arg["doc"] = draw(prose)
        out[name] = arg
    return out


def _base(arg: dict[str, Any]) -> tuple[str, bool]:
    parts = [p.strip() for p in arg["type"].split("|")]
    return parts[0], "None" in parts


# -- the whole spec --------------------------------------------------------------------
CALL_BODIES = [
    "outputs = inputs",
    "outputs = inputs * 2.0",
    "outputs = ops.tanh(inputs)",
    "scaled = ops.multiply(inputs, 0.5)\noutputs = ops.relu(scaled)",
    "# keep the sign, squash the size\noutputs = ops.sign(inputs) * ops.log1p(ops.abs(inputs))",
    "total = inputs\nfor _ in range(2):\n    total = total + inputs\noutputs = total / 3.0",
    'label = "a {b} \\"c\\" \'d\'"\noutputs = inputs if label else -inputs',
    "größe = ops.shape(inputs)\noutputs = ops.reshape(inputs, größe)",
    "outputs = ops.add(ops.multiply(inputs, 0.5), ops.multiply(inputs, 0.25)) + "
    "ops.multiply(inputs, 0.125) - ops.multiply(inputs, 0.0625)",
]
MASK_BODY = (
    "if mask is not None:\n"
    "    keep = ops.expand_dims(ops.cast(mask, inputs.dtype), axis=-1)\n"
    "    outputs = inputs * keep\n"
    "else:\n"
    "    outputs = inputs"
)
RANDOM_BODY = (
    "noise = keras.random.normal(ops.shape(inputs), seed=self.seed_generator)\n"
    "outputs = inputs + 0.1 * noise"
)
COMPUTE_MASKS = [
    "output_mask = mask",
    "output_mask = ops.any(ops.not_equal(inputs, 0), axis=-1)\n"
    "if mask is not None:\n"
    "    output_mask = ops.logical_and(output_mask, mask)",
]


@st.composite
def _weight(
    draw: st.DrawFn, spec_args: dict[str, dict[str, Any]], build_locals: list[str]
) -> dict[str, Any]:
    int_args = [n for n, a in spec_args.items() if _base(a) == ("int", False)]
    dims = st.one_of(
        st.integers(0, 16),
        st.sampled_from(["input_shape[-1]", "input_shape[-1] * 2", *build_locals]),
        *([st.sampled_from(int_args)] if int_args else []),
        *(
            [st.sampled_from(int_args).map(lambda n: f"self.{n} + input_shape[-1]")]
            if int_args
            else []
        ),
    )
    weight: dict[str, Any] = {"shape": draw(st.lists(dims, max_size=3))}
    for kind in ("initializer", "regularizer", "constraint"):
        of_kind = [n for n, a in spec_args.items() if _base(a)[0] == kind]
        choice = draw(
            st.one_of(
                st.none(),
                st.sampled_from(KERAS_IDENTIFIERS[kind]),
                *([st.sampled_from(of_kind)] if of_kind else []),
            )
        )
        if choice is not None:
            weight[kind] = choice
    if draw(st.booleans()):
        weight["trainable"] = draw(st.booleans())
    if draw(st.booleans()):
        weight["dtype"] = draw(st.sampled_from(FLOAT_DTYPES))
    if draw(st.booleans()):
        weight["aggregation"] = draw(
            st.sampled_from(["none", "mean", "sum", "only_first_replica"])
        )
    if draw(st.booleans()):
        weight["autocast"] = draw(st.booleans())
    bools = [n for n, a in spec_args.items() if _base(a) == ("bool", False)]
    if bools and draw(st.booleans()):
        weight["when"] = draw(st.sampled_from(bools))
    if draw(st.booleans()):
        weight["doc"] = draw(prose)
    return weight


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid spec, as the plain data of its YAML."""
    spec: dict[str, Any] = {"klgen": 1}
    shadow = draw(st.integers(0, 9)) == 0
    spec["name"] = draw(
        st.sampled_from(["Dense", "Dropout", "Masking"]) if shadow else class_names
    )
    if shadow:
        spec["allow_shadowing"] = True
    if draw(st.booleans()):
        spec["module"] = draw(snake_names.filter(lambda n: n not in _IMPORTED))
    spec["summary"] = draw(prose)
    if draw(st.booleans()):
        spec["description"] = draw(descriptions)
    if draw(st.booleans()):
        spec["references"] = draw(st.lists(prose, min_size=1, max_size=2))
    if draw(st.booleans()):
        spec["package"] = draw(st.from_regex(r"\A[A-Za-z][A-Za-z0-9_.\-]{0,12}\Z"))
    if draw(st.booleans()):
        spec["target"] = "keras3"
    spec_args = draw(args())
    masking = draw(st.sampled_from(["none", "propagate", "consume", "custom"]))
    training = draw(st.booleans())
    random = draw(st.booleans())
    if random:
        seed = draw(snake_names.filter(lambda n: n not in spec_args))
        spec_args[seed] = {"type": "int | None", "default": None, "_constraint": {}}
        spec["seed_generator"] = seed
    weight_names = draw(
        st.lists(
            snake_names.filter(lambda n: n not in spec_args), max_size=3, unique=True
        )
    )
    build_locals: list[str] = []
    if draw(st.booleans()):
        spec["build"] = (
            "channels = input_shape[-1]\n"
            "if channels is None:\n"
            "    raise ValueError(\n"
            '        f"The last axis must be defined. Received: input_shape={input_shape}"\n'
            "    )"
        )
        build_locals = ["channels"]
    weights = {n: draw(_weight(spec_args, build_locals)) for n in weight_names}
    spec["args"] = spec_args
    spec["weights"] = weights
    spec["masking"] = masking
    spec["training"] = training
    # Bodies: pieces that fit the policies, joined so that the last assigns `outputs`.
    mask_in_scope = masking in ("consume", "custom")
    pieces = list(CALL_BODIES)
    if mask_in_scope:
        pieces.append(MASK_BODY)
    if random:
        pieces.append(RANDOM_BODY)
    if weights:
        w = draw(st.sampled_from(sorted(weights)))
        pieces.append(f"outputs = inputs + ops.mean(ops.cast(self.{w}, inputs.dtype))")

    def body() -> str:
        chosen = draw(st.lists(st.sampled_from(pieces), min_size=1, max_size=2))
        return "\n".join(chosen) + "\n"

    output_shape = "same"
    int_args = [n for n, a in spec_args.items() if _base(a) == ("int", False)]
    if draw(st.booleans()):
        output_shape = draw(
            st.sampled_from(
                [
                    "(input_shape[0], input_shape[-1])",
                    "tuple(input_shape)",
                    *[f"input_shape[:-1] + (self.{n},)" for n in int_args],
                ]
            )
        )
    give_call = output_shape != "same" or random or draw(st.booleans())
    non_trainable = [n for n, w in weights.items() if w.get("trainable") is False]
    if training:
        if give_call:
            spec["call"] = {"training": body(), "inference": body()}
        state_weights = draw(
            st.lists(st.sampled_from(non_trainable), unique=True)
            if non_trainable
            else st.just([])
        )
        if state_weights:
            spec["state"] = {
                n: draw(
                    st.sampled_from(
                        [
                            f"self.{n} + 1",
                            f"self.{n} * 0.9 + ops.mean(inputs) * 0.1",
                            f"ops.zeros_like(self.{n})",
                        ]
                    )
                )
                for n in state_weights
            }
    elif give_call:
        spec["call"] = {"body": body()}
    if masking == "custom":
        spec["compute_mask"] = draw(st.sampled_from(COMPUTE_MASKS)) + "\n"
    spec["output_shape"] = output_shape
    if draw(st.booleans()):
        spec["float32_internal"] = draw(st.booleans())
    ranks = (2, 3, 4)
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["ndim", "range", "axes"]))
        if kind == "ndim":
            ndim = draw(st.sampled_from(ranks))
            spec["input_spec"] = {"ndim": ndim}
            ranks = (ndim,)
        elif kind == "range":
            spec["input_spec"] = {"min_ndim": 2, "max_ndim": 4}
        else:
            dim = draw(st.one_of(st.integers(1, 8), *map(st.just, int_args)))
            spec["input_spec"] = {"min_ndim": 2, "axes": {-1: dim}}
    examples = []
    for _ in range(draw(st.integers(1, 3))):
        rank = draw(st.sampled_from(ranks))
        example: dict[str, Any] = {
            "input_shape": draw(
                st.lists(st.integers(1, 8), min_size=rank, max_size=rank)
            )
        }
        init = {}
        for name, arg in spec_args.items():
            if "default" not in arg or draw(st.integers(0, 3)) == 0:
                base, nullable = _base(arg)
                init[name] = draw(arg_values(base, nullable, arg["_constraint"]))
        if init:
            example["init"] = init
        if masking != "none" and draw(st.booleans()):
            example["mask"] = True
        if draw(st.booleans()):
            example["dtype"] = draw(st.sampled_from(DTYPES))
        examples.append(example)
    spec["examples"] = examples
    for arg in spec_args.values():
        del arg["_constraint"]
    return spec


# -- YAML as people write it ------------------------------------------------------------
class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def spec_yaml(data: dict[str, Any]) -> str:
    """Block style, one key per line, code in literal blocks."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=10**6,
    )


# -- specs whose layers must also pass the runtime contract -----------------------------
@st.composite
def runtime_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid spec whose layer honours the whole runtime contract (docs/contract.md §4-13):
    elementwise bodies (mask invariance), every trainable weight in the output (gradients),
    state that changes in every training call, noise only where a seed generator is."""
    spec: dict[str, Any] = {
        "klgen": 1,
        "name": draw(class_names),
        "summary": draw(prose),
    }
    spec_args: dict[str, Any] = {
        "factor": {"type": "float", "default": draw(st.sampled_from([0.5, 1.5, 2.0]))}
    }
    spec_args["factor"]["range"] = "(0, 10]"
    activation = draw(st.sampled_from([None, "tanh", "relu", "sigmoid"]))
    spec_args["activation"] = {"type": "activation | None", "default": activation}
    scaled = draw(st.booleans())
    conditional = scaled and draw(st.booleans())
    if conditional:
        spec_args["use_scale"] = {"type": "bool", "default": True}
    if scaled:
        spec_args["scale_initializer"] = {
            "type": "initializer",
            "default": draw(
                st.sampled_from(["ones", "random_uniform", "glorot_uniform"])
            ),
        }
        spec_args["scale_regularizer"] = {
            "type": "regularizer | None",
            "default": draw(st.sampled_from([None, "l2"])),
        }
    training = draw(st.booleans())
    noisy = training and draw(st.booleans())
    if noisy:
        spec_args["seed"] = {"type": "int | None", "default": None}
        spec["seed_generator"] = "seed"
    masking = draw(st.sampled_from(["none", "propagate", "consume", "custom"]))
    weights: dict[str, Any] = {}
    if scaled:
        weights["scale"] = {
            "shape": ["input_shape[-1]"],
            "initializer": "scale_initializer",
            "regularizer": "scale_regularizer",
            "constraint": draw(st.sampled_from([None, "non_neg"])),
        }
        if weights["scale"]["constraint"] is None:
            del weights["scale"]["constraint"]
        if conditional:
            weights["scale"]["when"] = "use_scale"
    state: dict[str, str] = {}
    if training and draw(st.booleans()):
        weights["steps"] = {
            "shape": [],
            "initializer": "zeros",
            "trainable": False,
            "dtype": "float32",
            "autocast": False,
            "aggregation": draw(st.sampled_from(["only_first_replica", "sum", "mean"])),
        }
        state["steps"] = "self.steps + 1"
    if training and draw(st.booleans()):
        weights["moving"] = {
            "shape": ["input_shape[-1]"],
            "initializer": "zeros",
            "trainable": False,
            "aggregation": "mean",
        }
        state["moving"] = (
            "self.moving * 0.9 + ops.cast(ops.mean(inputs, axis=tuple(range(len(inputs.shape) "
            "- 1))), self.moving.dtype) * 0.1"
        )
    body = ["outputs = inputs * self.factor"]
    if scaled:
        use = "outputs = outputs * ops.cast(self.scale, outputs.dtype)"
        body.append(f"if self.scale is not None:\n    {use}" if conditional else use)
    body.append("outputs = self.activation(outputs)")
    inference = "\n".join(body) + "\n"
    if training:
        extra = ["outputs = outputs * 0.5"]
        if noisy:
            extra.append(
                "outputs = outputs + 0.1 * keras.random.normal(\n"
                "    ops.shape(outputs), seed=self.seed_generator, dtype=outputs.dtype\n)"
            )
        spec["call"] = {
            "training": "\n".join(body + extra) + "\n",
            "inference": inference,
        }
    else:
        spec["call"] = {"body": inference}
    spec.update(
        args=spec_args, weights=weights, masking=masking, training=training, state=state
    )
    if not state:
        del spec["state"]
    if masking == "custom":
        spec["compute_mask"] = "output_mask = mask\n"
    spec["float32_internal"] = draw(st.booleans())
    spec["input_spec"] = {"min_ndim": 2}
    examples = []
    for _ in range(draw(st.integers(1, 2))):
        rank = draw(st.integers(2, 3))
        example: dict[str, Any] = {
            "input_shape": draw(
                st.lists(st.integers(2, 5), min_size=rank, max_size=rank)
            )
        }
        if masking != "none" and rank == 3 and draw(st.booleans()):
            example["mask"] = True
        examples.append(example)
    spec["examples"] = examples
    return spec
