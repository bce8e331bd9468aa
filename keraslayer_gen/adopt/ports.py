"""`adopt --target keras3` of a tf-keras layer: which bodies already use only Keras 3 API,
and the idiom each tf-keras call needs otherwise (README: "Moving a tf-keras layer's spec
to Keras 3")."""

from __future__ import annotations

import ast
from typing import Any

#: tf-keras spellings -> their Keras 3 idiom, as the README's porting section lists them.
IDIOMS = {
    "tf.reduce_mean": "ops.mean",
    "tf.reduce_sum": "ops.sum",
    "tf.reduce_max": "ops.max",
    "tf.reduce_min": "ops.min",
    "tf.reduce_any": "ops.any",
    "tf.reduce_all": "ops.all",
    "tf.matmul": "ops.matmul",
    "tf.nn.moments": "ops.moments",
    "tf.math.rsqrt": "ops.rsqrt",
    "tf.where": "ops.where",
    "tf.cast": "ops.cast",
    "tf.shape": "ops.shape",
    "tf.reshape": "ops.reshape",
    "tf.zeros_like": "ops.zeros_like",
    "tf.ones_like": "ops.ones_like",
    "tf.expand_dims": "ops.expand_dims",
    "tf.pow": "ops.power",
    "tf.floor": "ops.floor",
    "tf.nn.bias_add": "ops.add",
    "tf.multiply": "ops.multiply",
    "tf.add": "ops.add",
    "tf.subtract": "ops.subtract",
    "tf.divide": "ops.divide",
    "tf.square": "ops.square",
    "tf.sqrt": "ops.sqrt",
    "tf.exp": "ops.exp",
    "tf.abs": "ops.abs",
    "tf.maximum": "ops.maximum",
    "tf.minimum": "ops.minimum",
    "tf.concat": "ops.concatenate",
    "tf.transpose": "ops.transpose",
    "tf.squeeze": "ops.squeeze",
    "tf.math.divide_no_nan": "ops.divide_no_nan",
    "tf.nn.relu": "ops.relu",
    "tf.nn.softmax": "ops.softmax",
    "tf.not_equal": "ops.not_equal",
    "tf.logical_and": "ops.logical_and",
    "tf.random.uniform": "keras.random.uniform(shape, seed=self.seed_generator) "
    "with `seed_generator: <seed arg>` in the spec",
    "tf.random.normal": "keras.random.normal(shape, seed=self.seed_generator) "
    "with `seed_generator: <seed arg>` in the spec",
    "K.in_train_phase": "the spec's `training: true` with `call.training` and "
    "`call.inference` bodies",
    "K.moving_average_update": "a new value in `state`: "
    "`self.w * momentum + value * (1 - momentum)`",
    "self.add_update": "a new value in `state` (assigned after the training body)",
}
_TF_NAMES = ("tf", "K", "tf_keras", "np")


def _calls(code: str) -> list[tuple[int, str]]:
    """(line, dotted name) of each tf-keras-only name the code uses."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return [(1, "unparsable code")]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            parts = []
            inner: ast.AST = node
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id in _TF_NAMES:
                name = ".".join([inner.id, *reversed(parts)])
                found.append((node.lineno, name))
        elif isinstance(node, ast.Name) and node.id in _TF_NAMES:
            found.append((node.lineno, node.id))
    # the longest dotted name at each line and column, once
    names: dict[tuple[int, str], None] = {}
    for line, name in sorted(found, key=lambda f: -len(f[1])):
        if not any(k[0] == line and k[1].startswith(name) for k in names):
            names[(line, name)] = None
    return sorted(names)


def _idiom(name: str) -> str:
    for known, idiom in IDIOMS.items():
        if name == known or name.startswith(known + "."):
            return f"`{name}` -> {idiom}"
    head = name.split(".")[0]
    if head == "tf":
        return f"`{name}` -> its `keras.ops` counterpart"
    return f"`{name}`: no Keras 3 counterpart by that name; rewrite with `keras.ops`"


def _bodies(data: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, code in (data.get("call") or {}).items():
        out.append((f"call.{key}", code))
    if data.get("compute_mask"):
        out.append(("compute_mask", data["compute_mask"]))
    if data.get("build"):
        out.append(("build", data["build"]))
    for weight, expr in (data.get("state") or {}).items():
        out.append((f"state.{weight}", expr))
    return out


def keras3_problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    """`(message, first tf-keras name used)` per body that uses tf-keras-only API, the
    message naming the body and the idioms to port it."""
    problems = []
    for where, code in _bodies(data):
        if where.startswith("state."):
            if _new_value(code, where.split(".", 1)[1]) is not None:
                continue
        uses = _calls(code)
        if uses:
            idioms = "; ".join(dict.fromkeys(_idiom(name) for _, name in uses))
            problems.append((f"`{where}` needs porting: {idioms}", uses[0][1]))
    return problems


def _new_value(expr: str, weight: str) -> str | None:
    """`self.w.assign_add(v)` -> `self.w + v`, `self.w.assign(v)` -> `v`; None else."""
    try:
        node = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    target = ast.unparse(node.func.value)
    if target != f"self.{weight}" or len(node.args) != 1:
        return None
    value = ast.unparse(node.args[0])
    if _calls(value):
        return None
    if node.func.attr == "assign":
        return value
    if node.func.attr in ("assign_add", "assign_sub"):
        op = "+" if node.func.attr == "assign_add" else "-"
        simple = isinstance(node.args[0], (ast.Name, ast.Constant, ast.Attribute))
        return f"self.{weight} {op} {value if simple else f'({value})'}"
    return None


def to_keras3(data: dict[str, Any]) -> dict[str, Any]:
    """The spec data for Keras 3: target `keras3`, state as new values (only call this
    when `keras3_problems` is empty)."""
    out = dict(data)
    out.pop("target", None)
    if out.get("state"):
        out["state"] = {
            w: _new_value(expr, w) or expr for w, expr in out["state"].items()
        }
    return out
