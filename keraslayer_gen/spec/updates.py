"""State update expressions of a spec: which weight an update op updates, in the spellings
both targets use (`self.w.assign_add(1)`, tf-keras's `K.moving_average_update(self.w, ...)`).
The rules check `state` entries with it, the tf-keras rendering and `adopt` read it."""

from __future__ import annotations

import ast

#: Variable methods whose call is already an update op.
_ASSIGN_METHODS = ("assign", "assign_add", "assign_sub")
#: Backend functions whose first argument is the variable they update.
_BACKEND_UPDATES = (
    "K.moving_average_update",
    "K.update",
    "K.update_add",
    "K.update_sub",
)


def updated_weight(expr: str) -> str | None:
    """The weight an update op updates (`self.w.assign_add(1)`,
    `K.moving_average_update(self.w, ...)`), or None when `expr` is not an update op."""
    try:
        node = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    target: ast.expr | None = None
    if isinstance(func, ast.Attribute) and func.attr in _ASSIGN_METHODS:
        target = func.value
    elif ast.unparse(func) in _BACKEND_UPDATES and node.args:
        target = node.args[0]
    if (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == "self"
    ):
        return target.attr
    return None
