"""`output_shape` expressions evaluated without Keras.

On an example's concrete input shape and arguments, an expression gives the output shape
the generated test asserts; on a symbolic input shape (`(batch_size, ..., input_dim)`), the
`(batch_size, ..., units)` text of the docstring's "Output shape:" section, in Keras's own
form. Only what shape expressions are made of is evaluated (tuples, indexing, slicing,
concatenation, integer arithmetic, `len`, `tuple`, `list`, `self.<arg>`); anything else
raises `Unsupported`, and the callers fall back (the test then compares the layer with
Keras's symbolic shape, the docstring shows the expression).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class Unsupported(Exception):
    """The expression uses something this evaluator does not model."""


@dataclass(frozen=True)
class Dim:
    """A symbolic dimension: its name, or an expression over names (`input_dim * 2`)."""

    text: str

    def __str__(self) -> str:
        return self.text


class _Ellipsis:
    """The `...` of `(batch_size, ..., input_dim)`: any number of dimensions."""

    def __repr__(self) -> str:
        return "..."


ELLIPSIS = _Ellipsis()

_ARITHMETIC: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.FloorDiv: ("//", operator.floordiv),
    ast.Mod: ("%", operator.mod),
}

#: Conventional names of the axes of a rank-`n` input, as Keras's docstrings write them.
_AXIS_NAMES = {
    2: ("batch_size", "features"),
    3: ("batch_size", "steps", "features"),
    4: ("batch_size", "height", "width", "channels"),
    5: ("batch_size", "depth", "height", "width", "channels"),
}


def symbolic_input(ndim: int | None) -> tuple[Any, ...]:
    """The symbolic input shape of a layer of rank `ndim` (None: any rank)."""
    if ndim is None:
        return (Dim("batch_size"), ELLIPSIS, Dim("input_dim"))
    names = _AXIS_NAMES.get(ndim) or (
        "batch_size",
        *(f"dim_{i}" for i in range(1, ndim)),
    )
    return tuple(Dim(n) for n in names)


def evaluate(
    expr: str,
    input_shape: Sequence[Any],
    attrs: Mapping[str, Any],
    shapes: Mapping[str, Sequence[Any]] | None = None,
) -> Any:
    """`expr` with `input_shape` bound and `self.<name>` read from `attrs`; `shapes`
    binds more shape names (`query_shape`, `value_shape` of a layer with several
    inputs)."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError:
        raise Unsupported(expr) from None
    if shapes:
        attrs = {**attrs, _SHAPES: {k: tuple(v) for k, v in shapes.items()}}
    return _eval(tree.body, tuple(input_shape), attrs)


#: The key of `attrs` under which `evaluate` passes the extra shape names.
_SHAPES = "\0shapes"


def expected_shape(
    expr: str,
    input_shape: Sequence[int],
    attrs: Mapping[str, Any],
    shapes: Mapping[str, Sequence[int]] | None = None,
) -> tuple[int | None, ...] | None:
    """The concrete output shape, or None when the expression cannot be evaluated here."""
    try:
        value = evaluate(expr, input_shape, attrs, shapes)
    except (Unsupported, TypeError, ValueError, IndexError, ZeroDivisionError):
        return None
    if not isinstance(value, tuple) or not all(
        v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in value
    ):
        return None
    return value


def shape_text(shape: tuple[Any, ...]) -> str:
    """`N-D tensor with shape: `(batch_size, ..., units)`` in Keras's docstring form."""
    if sum(1 for d in shape if d is ELLIPSIS) > 1:
        raise Unsupported("two ellipses")
    dims = ", ".join("..." if d is ELLIPSIS else str(d) for d in shape)
    if len(shape) == 1:
        dims += ","
    rank = "N-D" if ELLIPSIS in shape else f"{len(shape)}D"
    return f"{rank} tensor with shape: `({dims})`."


def _eval(node: ast.AST, shape: tuple[Any, ...], attrs: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant) and (
        node.value is None or type(node.value) is int
    ):
        return node.value
    if isinstance(node, ast.Name) and node.id == "input_shape":
        return shape
    if isinstance(node, ast.Name) and node.id in attrs.get(_SHAPES, {}):
        return attrs[_SHAPES][node.id]
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    ):
        if node.attr not in attrs:
            raise Unsupported(node.attr)
        return attrs[node.attr]
    if isinstance(node, (ast.Tuple, ast.List)):
        items: list[Any] = []
        for element in node.elts:
            if isinstance(element, ast.Starred):
                items.extend(_sequence(_eval(element.value, shape, attrs)))
            else:
                items.append(_eval(element, shape, attrs))
        return tuple(items)
    if isinstance(node, ast.Subscript):
        value = _sequence(_eval(node.value, shape, attrs))
        if isinstance(node.slice, ast.Slice):
            if node.slice.step is not None:
                raise Unsupported("slice step")
            start = _int_or_none(node.slice.lower, shape, attrs)
            stop = _int_or_none(node.slice.upper, shape, attrs)
            return _slice(value, start, stop)
        index = _eval(node.slice, shape, attrs)
        if type(index) is not int:
            raise Unsupported("index")
        return _index(value, index)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _eval(node.operand, shape, attrs)
        if type(value) is int:
            return -value
        if isinstance(value, Dim):
            return Dim(f"-{value}")
        raise Unsupported("negation")
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        left = _eval(node.left, shape, attrs)
        right = _eval(node.right, shape, attrs)
        symbol, function = _ARITHMETIC[type(node.op)]
        if isinstance(left, tuple) and isinstance(right, tuple) and symbol == "+":
            return left + right
        if type(left) is int and type(right) is int:
            return function(left, right)
        if left is None or right is None:  # an unknown dimension stays unknown
            return None
        if isinstance(left, (Dim, int)) and isinstance(right, (Dim, int)):
            return Dim(f"{left} {symbol} {right}")
        raise Unsupported("operands")
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and len(node.args) == 1
        and not node.keywords
    ):
        value = _eval(node.args[0], shape, attrs)
        if node.func.id in ("tuple", "list"):
            return tuple(_sequence(value))
        if node.func.id == "len":
            sequence = _sequence(value)
            if ELLIPSIS in sequence:
                raise Unsupported("len of a shape of any rank")
            return len(sequence)
    raise Unsupported(ast.dump(node))


def _sequence(value: Any) -> tuple[Any, ...]:
    if not isinstance(value, tuple):
        raise Unsupported("not a shape")
    return value


def _int_or_none(
    node: ast.AST | None, shape: tuple[Any, ...], attrs: Mapping[str, Any]
) -> int | None:
    if node is None:
        return None
    value = _eval(node, shape, attrs)
    if value is not None and type(value) is not int:
        raise Unsupported("slice bound")
    return value


def _split(value: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[Any, ...]] | None:
    if ELLIPSIS not in value:
        return None
    k = value.index(ELLIPSIS)
    return value[:k], value[k + 1 :]


def _index(value: tuple[Any, ...], index: int) -> Any:
    parts = _split(value)
    if parts is None:
        return value[index]
    lead, trail = parts
    if 0 <= index < len(lead):
        return lead[index]
    if index < 0 and -index <= len(trail):
        return trail[index]
    raise Unsupported("an axis of a shape of any rank")


def _slice(value: tuple[Any, ...], start: int | None, stop: int | None) -> Any:
    parts = _split(value)
    if parts is None:
        return value[start:stop]
    lead, trail = parts
    start_lead = start is None or 0 <= start <= len(lead)
    stop_trail = stop is None or -len(trail) <= stop < 0
    if start_lead and stop_trail:
        return lead[start:] + (ELLIPSIS,) + (trail[:stop] if stop else trail)
    if start_lead and stop is not None and 0 <= stop <= len(lead):
        return lead[start:stop]
    if start is not None and -len(trail) <= start < 0 and stop_trail:
        return trail[start:stop] if stop else trail[start:]
    raise Unsupported("a slice of a shape of any rank")
