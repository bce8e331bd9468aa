"""The tf-keras target's spelling of what `context.py` decides: Keras 2 idioms as source text.

Everything here is text about tf-keras code; nothing imports TensorFlow or tf_keras.
"""

from __future__ import annotations

import ast
from typing import Any

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

#: The module-level function that builds a tf-keras sub-layer of this class from shapes
#: in the outer layer's `build`, where its own method leaves weights to the first call:
#: tf-keras's `MultiHeadAttention._build_from_signature` creates the four projections
#: but does not build them (their weights would appear at the first call only, so
#: `build()` followed by `set_weights()` would fail). Each projection is built in its own
#: name scope, as its `__call__` would, so that its weights keep their names
#: (`<attention>/query/kernel:0`), unique in an HDF5 file.
BUILD_FUNCTIONS = {"MultiHeadAttention": "_build_multi_head_attention"}
FUNCTION_SOURCES = {
    "_build_multi_head_attention": '''\
def _build_multi_head_attention(attention, query_shape, value_shape, key_shape=None):
    """Builds a tf-keras `MultiHeadAttention` and its projections from shapes.

    `_build_from_signature` creates its query, key, value and output
    projections, which tf-keras would build at the first call only.
    """
    attention._build_from_signature(query_shape, value_shape, key_shape)
    query_shape = tf.TensorShape(query_shape)
    value_shape = tf.TensorShape(value_shape)
    key_shape = value_shape if key_shape is None else tf.TensorShape(key_shape)
    for projection, shape in (
        (attention._query_dense, query_shape),
        (attention._key_dense, key_shape),
        (attention._value_dense, value_shape),
    ):
        with tf.name_scope(projection.name):
            projection.build(shape)
    heads = attention._value_dense.compute_output_shape(value_shape)[-2:]
    with tf.name_scope(attention._output_dense.name):
        attention._output_dense.build(query_shape[:-1].concatenate(heads))''',
}


def sublayer_build_method(layer: str) -> str:
    """The method that builds a sub-layer of class `layer` in tf-keras's `build`."""
    return SIGNATURE_BUILDS.get(layer.rpartition(".")[2], "build")


def sublayer_build_function(layer: str) -> str | None:
    """The module-level function that builds a sub-layer of class `layer` in tf-keras's
    `build` (`function(self.<sub-layer>, <shapes>)`), or None when its method does."""
    if "." in layer and not layer.startswith("keras."):
        return None  # the package's own class, not tf-keras's
    return BUILD_FUNCTIONS.get(layer.rpartition(".")[2])


def several_tensor_arguments(spec: Any) -> bool:
    """Whether `call` of the spec's keras3 rendering takes several tensor arguments
    (`call(self, query, value)`), not one tensor or one list of them."""
    return bool(spec.inputs) and len(spec.inputs) > 1 and not spec.input_list


def spec_for_target(spec: Any, target: str) -> Any:
    """The spec as `target` renders it. tf-keras takes several tensor inputs as one list
    (`layer([query, value])`, masks as one list `mask`), as its own multi-input layers do
    (`Attention`, `Concatenate`): its `Layer.__call__` passes only the first tensor
    argument's shape to `build` and only that argument's mask to `call`, so a layer with
    several tensor arguments could neither build the weights that depend on the others
    nor receive their masks. Every other spec renders as written."""
    if target == "tf-keras" and several_tensor_arguments(spec):
        return spec.model_copy(update={"input_list": True})
    return spec
