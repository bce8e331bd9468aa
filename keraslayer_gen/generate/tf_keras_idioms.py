"""The tf-keras target's spelling of what `context.py` decides: Keras 2 idioms as source text.

Everything here is text about tf-keras code; nothing imports TensorFlow or tf_keras.
"""

from __future__ import annotations

import ast

from keraslayer_gen.spec.updates import updated_weight

#: `aggregation` in the spec -> the `tf.VariableAggregation` member tf-keras expects.
AGGREGATIONS = {
    "none": "tf.VariableAggregation.NONE",
    "mean": "tf.VariableAggregation.MEAN",
    "sum": "tf.VariableAggregation.SUM",
    "only_first_replica": "tf.VariableAggregation.ONLY_FIRST_REPLICA",
}


def update_op(weight: str, expr: str) -> str:
    """What `call` passes to `self.add_update` for the `state` entry `weight: expr`: the
    expression itself when it is an update op of that weight, else an `assign` of the new
    value it computes."""
    expr = expr.strip()
    if updated_weight(expr) == weight:
        return expr
    return f"self.{weight}.assign({expr})"


def returned(body: object) -> str | None:
    """The expression of a body that is one `outputs = <expression>` statement, which a
    nested function returns directly; None for any other body and for a user region."""
    if not isinstance(body, str):
        return None
    try:
        tree = ast.parse(body)
    except SyntaxError:
        return None
    if len(tree.body) != 1:
        return None
    stmt = tree.body[0]
    if not (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
        and stmt.targets[0].id == "outputs"
    ):
        return None
    if (ast.get_source_segment(body, stmt) or "").strip() != body.strip():
        return None  # a comment around the statement would be lost
    return ast.get_source_segment(body, stmt.value)


def reads_name(code: str, name: str) -> bool:
    """Whether the code (statements or an expression) reads the variable `name`."""
    try:
        tree = ast.parse(code.strip())
    except SyntaxError:
        return False
    return any(
        isinstance(node, ast.Name)
        and node.id == name
        and isinstance(node.ctx, ast.Load)
        for node in ast.walk(tree)
    )


#: tf-keras layers whose `build` cannot build them from shapes: they build their weights
#: from the shapes of their first call, through this method (Keras 2 code such as
#: KerasNLP's encoder blocks calls it from the outer layer's `build`).
SIGNATURE_BUILDS = {"MultiHeadAttention": "_build_from_signature"}


def sublayer_build_method(layer: str) -> str:
    """The method that builds a sub-layer of class `layer` in tf-keras's `build`."""
    return SIGNATURE_BUILDS.get(layer.rpartition(".")[2], "build")
