"""The keys a `get_config` method returns, read from its source without running it.

`returned_keys(function)` follows the usual shapes of a Keras `get_config` —
`{**base, **config}`, `config.update(...)`, `config["k"] = v`, `dict(...)`,
`dict(list(base.items()) + list(config.items()))` — and answers `None` whenever the method
is too dynamic to read with confidence: the lint then says nothing rather than guess.
`BASE_KEYS` are the keys `Layer.get_config` itself contributes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

# Keys `Layer.get_config` itself returns (Keras 3 and tf.keras), merged by super().get_config().
BASE_KEYS = frozenset(
    {
        "name",
        "trainable",
        "dtype",
        "activity_regularizer",
        "autocast",
        "input_dim",
        "input_shape",
        "batch_input_shape",
        "batch_size",
        "dynamic",
    }
)


@dataclass
class Keys:
    """What a dict expression is known to hold: literal keys, and whether the base config
    (`super().get_config()`) is merged in."""

    keys: set[str] = field(default_factory=set)
    has_base: bool = False

    def merge(self, other: Keys) -> Keys:
        return Keys(self.keys | other.keys, self.has_base or other.has_base)


class _Dynamic(Exception):
    """The method does something this reader cannot follow."""


def returned_keys(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Keys | None:
    """The keys of every dict `function` returns (their union), or None when unknown."""
    reader = _Reader()
    try:
        for statement in _statements(function.body):
            reader.statement(statement)
        results = [reader.value(value) for value in _returns(function.body)]
    except _Dynamic:
        return None
    if not results or any(r is None for r in results):
        return None
    total = Keys()
    for result in results:
        total = total.merge(result)  # type: ignore[arg-type]
    total.keys -= reader.removed
    return total


def _statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Every statement, nested blocks included, nested functions and classes excluded."""
    out: list[ast.stmt] = []
    for statement in body:
        out.append(statement)
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody"):
            out.extend(_statements(getattr(statement, name, []) or []))
        for handler in getattr(statement, "handlers", []) or []:
            out.extend(_statements(handler.body))
        for case in getattr(statement, "cases", []) or []:
            out.extend(_statements(case.body))
    return out


def _returns(body: list[ast.stmt]) -> list[ast.expr]:
    """The values of the `return` statements (a bare `return` returns no dict)."""
    return [
        s.value
        for s in _statements(body)
        if isinstance(s, ast.Return) and s.value is not None
    ]


def _is_super_get_config(node: ast.AST) -> bool:
    """`super().get_config()`, `super(Cls, self).get_config()`, `Base.get_config(self)`."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get_config"
    ):
        return False
    owner = node.func.value
    if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name):
        return owner.func.id == "super"
    return (
        bool(node.args)
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id == "self"
    )


class _Reader:
    """A flow-insensitive reading of one `get_config`: every local dict's possible keys."""

    def __init__(self) -> None:
        self.env: dict[str, Keys | None] = {}
        self.removed: set[str] = set()

    def _bind(self, name: str, value: Keys | None) -> None:
        if name in self.env:
            old = self.env[name]
            self.env[name] = None if old is None or value is None else old.merge(value)
        else:
            self.env[name] = value

    def _add(self, name: str, keys: Keys | None) -> None:
        current = self.env.get(name)
        if current is None or keys is None:
            self.env[name] = None
        else:
            self.env[name] = current.merge(keys)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                self._assign(target, node.value)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            if node.target.id in self.env:
                self._add(node.target.id, self._try(node.value))
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                self._remove(target)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            self._method_call(node.value)
        self._escapes(node)

    def _assign(self, target: ast.expr, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            if value is not None:
                self._bind(target.id, self._try(value))
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            name = target.value.id
            if name not in self.env:
                return
            key = target.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                self._add(name, Keys({key.value}))
            else:
                self.env[name] = None

    def _remove(self, target: ast.expr) -> None:
        if (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and isinstance(target.slice, ast.Constant)
            and isinstance(target.slice.value, str)
        ):
            self.removed.add(target.slice.value)

    def _method_call(self, call: ast.Call) -> None:
        func = call.func
        if not (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in self.env
        ):
            return
        name = func.value.id
        if func.attr == "update":
            keys: Keys | None = Keys({k.arg for k in call.keywords if k.arg})
            for value in [
                *call.args,
                *(k.value for k in call.keywords if k.arg is None),
            ]:
                more = self._try(value)
                keys = None if more is None or keys is None else keys.merge(more)
            self._add(name, keys)
        elif func.attr == "setdefault" and call.args:
            first = call.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                self._add(name, Keys({first.value}))
            else:
                self.env[name] = None
        elif func.attr == "pop" and call.args:
            first = call.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                self.removed.add(first.value)

    def _escapes(self, node: ast.stmt) -> None:
        """A dict handed to some other function may gain keys we cannot see."""
        for call in ast.walk(node):
            if not isinstance(call, ast.Call):
                continue
            if _is_known_call(call):
                continue
            for arg in [*call.args, *(k.value for k in call.keywords)]:
                if isinstance(arg, ast.Name) and arg.id in self.env:
                    self.env[arg.id] = None

    def _try(self, node: ast.expr) -> Keys | None:
        try:
            return self.value(node)
        except _Dynamic:
            return None

    def value(self, node: ast.expr) -> Keys | None:
        """The keys of the dict `node` evaluates to; raise `_Dynamic` when unknowable."""
        if isinstance(node, ast.Dict):
            keys = Keys()
            for key, item in zip(node.keys, node.values, strict=True):
                if key is None:
                    keys = self._need(keys, self.value(item))
                elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                    keys.keys.add(key.value)
                else:
                    raise _Dynamic
            return keys
        if isinstance(node, ast.Name):
            if node.id not in self.env:
                raise _Dynamic
            return self.env[node.id]
        if _is_super_get_config(node):
            return Keys(has_base=True)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.BitOr)):
            return self._need(
                self._need(Keys(), self.value(node.left)), self.value(node.right)
            )
        if isinstance(node, ast.IfExp):
            return self._need(
                self._need(Keys(), self.value(node.body)), self.value(node.orelse)
            )
        if isinstance(node, ast.Call):
            return self._call(node)
        raise _Dynamic

    def _call(self, node: ast.Call) -> Keys | None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("dict", "list"):
            keys = Keys({k.arg for k in node.keywords if k.arg})
            for value in [
                *node.args,
                *(k.value for k in node.keywords if k.arg is None),
            ]:
                keys = self._need(keys, self.value(value))
            return keys
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("items", "copy")
            and not node.args
        ):
            return self.value(func.value)
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "deepcopy"
            and len(node.args) == 1
        ):
            return self.value(node.args[0])
        raise _Dynamic

    @staticmethod
    def _need(keys: Keys, more: Keys | None) -> Keys:
        if more is None:
            raise _Dynamic
        return keys.merge(more)


def _is_known_call(call: ast.Call) -> bool:
    """Calls that read a dict without adding keys to it."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in ("dict", "list", "len", "isinstance", "sorted", "tuple")
    return isinstance(func, ast.Attribute) and func.attr in (
        "update",
        "setdefault",
        "pop",
        "items",
        "copy",
        "deepcopy",
        "get",
        "keys",
    )
