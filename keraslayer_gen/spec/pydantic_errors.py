"""pydantic's validation errors in the spec's words: union members collapsed, YAML types,
known fields for an unknown one, each error placed by the locator."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from keraslayer_gen.errors import Diagnostic
from keraslayer_gen.spec.model import LayerSpec
from keraslayer_gen.spec.names import did_you_mean
from keraslayer_gen.spec.source import Located, show_value

#: Fields whose type is a union: pydantic reports each member's error under a tag of its
#: own (`training.bool`, `training.literal['forward']`); the spec's author wrote one value.
#: (path pattern with `*` for any key, the tags, what the field expects in words; None:
#: the member that fits the value's kind reports its errors.)
_UNIONS: tuple[tuple[tuple[str, ...], frozenset[str], str | None], ...] = (
    (
        ("training",),
        frozenset({"bool", "literal['forward']"}),
        "true, false or 'forward'",
    ),
    (
        ("layers", "*", "build"),
        frozenset({"str", "bool"}),
        "a string (the build arguments) or false",
    ),
    (("examples", "*", "inputs", "*"), frozenset({"TensorExample", "list[int]"}), None),
)


def collapse_unions(errors: list[Any], data: Any) -> list[Any]:
    """The errors of a union field as one error at the field (or those of the member
    that fits the value), without pydantic's member tags in the path."""
    out: list[Any] = []
    done: set[tuple[Any, ...]] = set()
    for err in errors:
        loc = tuple(err["loc"])
        for pattern, tags, expected in _UNIONS:
            n = len(pattern)
            if not (
                len(loc) > n
                and loc[n] in tags
                and all(
                    p in ("*", part) for p, part in zip(pattern, loc[:n], strict=True)
                )
            ):
                continue
            at, value = loc[:n], _value_at(data, loc[:n])
            if expected is None:
                member = "list[int]" if isinstance(value, list) else "TensorExample"
                if isinstance(value, (list, dict)):
                    if loc[n] == member:
                        out.append({**err, "loc": (*at, *loc[n + 1 :])})
                    break
                expected = "a shape list or a mapping with `shape`"
            if at not in done:
                done.add(at)
                out.append(
                    {
                        "type": "union_value",
                        "loc": at,
                        "msg": f"expected {expected}, got {show_value(value)}",
                        "input": value,
                    }
                )
            break
        else:
            out.append(err)
    return out


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def translate(err: Any, located: Located) -> Diagnostic:
    """A pydantic error, in words for people."""
    loc = tuple(err["loc"])
    kind = err["type"]
    if "[key]" in loc:  # a mapping key of the wrong type, e.g. `args: {1: ...}`
        at = loc[: loc.index("[key]")]
        return located.at(
            at, f"`{at[-1]}` is not a name; keys here are names", key=True
        )
    if kind == "extra_forbidden":
        key = loc[-1]
        fields = fields_at(loc[:-1])
        hint = did_you_mean(str(key), fields) if fields else ""
        known = f"; known fields: {', '.join(fields)}" if fields and not hint else ""
        return located.at(loc, f"unknown field `{key}`{hint}{known}", key=True)
    if kind == "missing":
        return located.at(
            loc, "missing; this field is required", near=loc[:-1], key=True
        )
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        value = err.get("input")
        hint = did_you_mean(
            str(value),
            [e.strip(" '") for e in expected.replace(" or ", ",").split(",")],
        )
        return located.at(loc, f"{value!r} is not one of {expected}{hint}")
    if kind == "too_short" and loc and loc[-1] == "examples":
        return located.at(
            loc,
            "give at least one example input, e.g. "
            "`examples: [{input_shape: [2, 8]}]`",
        )
    message = err["msg"]
    value = err.get("input")
    for kinds, expected in _EXPECTED:
        if kind in kinds:
            return located.at(loc, f"expected {expected}, got {show_value(value)}")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        message = f"{message[:1].lower()}{message[1:]}, got {show_value(value)}"
    return located.at(loc, message)


#: pydantic error types -> what the field expects, in the spec's (YAML's) words.
_EXPECTED = (
    (("dict_type", "model_type", "model_attributes_type"), "a mapping"),
    (("list_type", "tuple_type"), "a list"),
    (("string_type",), "a string"),
    (("bool_type", "bool_parsing"), "true or false"),
    (("int_type", "int_parsing", "int_from_float"), "an integer"),
    (("float_type", "float_parsing"), "a number"),
)


def fields_at(loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model that stands at `loc` in a spec."""
    model: Any = LayerSpec
    skip_key = False
    for part in loc:
        if skip_key:
            skip_key = False
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        info = model.model_fields.get(str(part))
        if info is None:
            return []
        model, skip_key = _inner_model(info.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _inner_model(annotation: Any) -> tuple[Any, bool]:
    """(model inside `annotation`, whether a dict key or list index comes first)."""
    import typing

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (dict, list):
        inner, _ = _inner_model(args[-1])
        return inner, True
    if args:
        for arg in args:
            inner, keyed = _inner_model(arg)
            if inner is not None:
                return inner, keyed
        return None, False
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False
