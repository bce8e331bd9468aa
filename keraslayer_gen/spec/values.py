"""What a value of a spec means: argument types, defaults, ranges, choices, call-argument
values; read by the rules and by the generated code's context alike."""

from __future__ import annotations

import re
from typing import Any

from keraslayer_gen.spec.model import (
    ARG_TYPES,
    CALL_ARG_TYPES,
    DTYPES,
    KERAS_OBJECT_MODULES,
    Arg,
    parse_arg_type,
)
from keraslayer_gen.spec.names import did_you_mean
from keraslayer_gen.spec.registry import range_pattern

_RANGE = re.compile(range_pattern(groups=True))

#: Built-in Keras identifiers by kind, to catch typos without importing Keras.
KERAS_IDENTIFIERS = {
    "initializer": (
        "zeros ones constant glorot_uniform glorot_normal he_uniform he_normal "
        "lecun_uniform lecun_normal orthogonal random_normal random_uniform "
        "truncated_normal identity variance_scaling"
    ).split(),
    "regularizer": "l1 l2 l1_l2 orthogonal_regularizer".split(),
    "constraint": "max_norm min_max_norm non_neg unit_norm".split(),
    "activation": (
        "linear relu relu6 sigmoid softmax softplus softsign tanh elu selu gelu "
        "silu swish exponential hard_sigmoid hard_silu hard_swish leaky_relu mish "
        "log_softmax"
    ).split(),
}
#: The integer dtypes (an example's values there are whole numbers).
INT_DTYPES = tuple(d for d in DTYPES if d.startswith(("int", "uint")))


def parse_range(text: str) -> tuple[float | None, bool, float | None, bool] | None:
    """`"(0, 1]"` -> `(0.0, False, 1.0, True)`: bounds and whether each is closed."""
    match = _RANGE.match(text)
    if not match:
        return None
    lo_text, hi_text = match.group(2), match.group(3)
    try:
        lo = None if lo_text in ("", "-inf") else float(lo_text)
        hi = None if hi_text in ("", "inf", "+inf") else float(hi_text)
    except ValueError:
        return None
    return lo, match.group(1) == "[", hi, match.group(4) == "]"


def value_problem(base: str, nullable: bool, value: Any) -> str | None:
    """Why `value` is not a value of an argument of type `base` (nullable: `| None`)."""
    if value is None:
        return (
            None
            if nullable
            else f"null is not a {base}; declare the type `{base} | None`"
        )
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
        "shape": isinstance(value, list)
        and all(
            v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)
            for v in value
        ),
        "ints": isinstance(value, list)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value),
        "dict": isinstance(value, dict) and all(isinstance(k, str) for k in value),
        "layer": isinstance(value, dict) and isinstance(value.get("class_name"), str),
    }.get(base)
    if base in KERAS_OBJECT_MODULES:
        if not isinstance(value, str):
            return f"a default {base} is a Keras identifier string, got {value!r}"
        if value not in KERAS_IDENTIFIERS[base]:
            return (
                f"`{value}` is not a Keras {base}"
                f"{did_you_mean(value, KERAS_IDENTIFIERS[base])}"
            )
        return None
    if not ok:
        what = {
            "shape": "a list of ints or nulls",
            "ints": "a list of ints",
            "dict": "a mapping with string keys",
            "layer": "a serialised Keras layer (a mapping with `class_name`)",
        }.get(base, base)
        if not what.startswith("a "):
            what = f"{'an' if what[0] in 'aeiou' else 'a'} {what}"
        return f"{value!r} is not {what}"
    return None


def constraint_problem(arg: Arg, value: Any, bounds: Any) -> str | None:
    """Why `value` breaks the arg's `min`/`max`/`range`/`choices`, or None."""
    if value is None:
        return None
    if arg.choices is not None and value not in arg.choices:
        return f"{value!r} is not one of the choices {arg.choices}"
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    if arg.min is not None and value < arg.min:
        return f"{value!r} is below `min` {arg.min:g}"
    if arg.max is not None and value > arg.max:
        return f"{value!r} is above `max` {arg.max:g}"
    if bounds:
        lo, lo_closed, hi, hi_closed = bounds
        if lo is not None and (value < lo or (value == lo and not lo_closed)):
            return f"{value!r} is outside the range {arg.range}"
        if hi is not None and (value > hi or (value == hi and not hi_closed)):
            return f"{value!r} is outside the range {arg.range}"
    return None


def type_hint(text: str) -> str:
    """` (did you mean `float | None`?)` for `flaot | none`; empty when no type is near."""
    parts = [p.strip() for p in text.split("|")]
    words = [p for p in parts if p.lower() not in ("none", "null", "nonetype", "")]
    if len(words) != 1:
        return ""
    word = (
        words[0] if words[0] in ARG_TYPES else did_you_mean(words[0], ARG_TYPES)[16:-3]
    )
    if not word:
        return ""
    fixed = f"{word} | None" if len(words) < len(parts) else word
    return f" (did you mean `{fixed}`?)" if fixed != text else ""


def sample_value(arg: Any) -> Any:
    """A value of `arg`'s type that its constraints accept, to show in an example."""
    if arg.choices:
        return arg.choices[0]
    try:
        base, _ = parse_arg_type(arg.type)
    except ValueError:
        return 1
    table: dict[str, list[Any]] = {
        "int": [4, 1, 2, 8, 16, 64, 0],
        "float": [0.5, 1.0, 0.1, 2.0, 0.0, 10.0],
        "bool": [True],
        "str": ["value"],
        "shape": [[2, 2]],
        "ints": [[1]],
        "initializer": ["zeros"],
        "regularizer": [None],
        "constraint": [None],
        "activation": ["relu"],
        "dict": [{}],
        "layer": [{"class_name": "Dense", "config": {"units": 4}}],
    }
    candidates = table.get(base, [None])
    bounds = parse_range(arg.range) if arg.range else None
    for value in candidates:
        if not constraint_problem(arg, value, bounds):
            return value
    return candidates[0]


def call_arg_type(text: str) -> tuple[str, bool] | None:
    """`"int | None"` -> `("int", True)`; None for a type that is not a call-arg type."""
    parts = [p.strip() for p in text.split("|")]
    nullable = "None" in parts
    rest = [p for p in parts if p != "None"]
    if len(rest) != 1 or rest[0] not in CALL_ARG_TYPES or len(parts) > 2:
        return None
    return rest[0], nullable


def call_value_problem(
    typed: tuple[str, bool], value: Any, default: bool = False
) -> str | None:
    """Why `value` is not a value of a call argument of this type."""
    base, nullable = typed
    if value is None:
        if nullable or (base == "tensor" and default):
            return None
        return f"null is not a {base}; declare the type `{base} | None`"
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
        "tensor": False,
    }[base]
    if base == "tensor":
        if default:
            return "a tensor call argument's default can only be null"
        return (
            "examples pass call arguments to `call` as they are, not as tensors; "
            "declare a tensor an example feeds under `inputs` (`optional: true`)"
        )
    if not ok:
        return f"{value!r} is not {'an' if base[0] in 'aeiou' else 'a'} {base}"
    return None
