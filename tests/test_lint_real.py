"""The lint on real layers: every catalogue layer klgen generates, and Keras's own sources.

Keras's sources are read as text from the installed package (nothing is imported), so these
tests need Keras installed but no backend.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

import pytest

from keraslayer_gen import api
from keraslayer_gen.files.layout import out_layout
from keraslayer_gen.lint.driver import lint_file, lint_source
from keraslayer_gen.lint.module import layer_classes, parse_module


def _keras_layers_dir() -> Path | None:
    spec = importlib.util.find_spec("keras")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "src" / "layers"
    return folder if folder.is_dir() else None


KERAS_LAYERS = _keras_layers_dir()
needs_keras_sources = pytest.mark.skipif(
    KERAS_LAYERS is None, reason="Keras is not installed"
)

# Layers a Keras maintainer wrote by hand, across the kinds of layer: weights, random
# state, normalisation statistics, abstract bases, recurrent cells, merges, attention.
HANDFUL = [
    "core/dense.py",
    "core/einsum_dense.py",
    "core/embedding.py",
    "regularization/dropout.py",
    "regularization/gaussian_noise.py",
    "regularization/gaussian_dropout.py",
    "regularization/alpha_dropout.py",
    "normalization/batch_normalization.py",
    "normalization/layer_normalization.py",
    "normalization/group_normalization.py",
    "convolutional/base_conv.py",
    "pooling/base_pooling.py",
    "rnn/simple_rnn.py",
    "rnn/lstm.py",
    "attention/attention.py",
    "merging/base_merge.py",
    "reshaping/flatten.py",
    "activations/prelu.py",
    "activations/leaky_relu.py",
]

# What the lint finds in all of keras/src/layers of Keras 3.15. Each is a real departure
# from the contract, and tests/test_peer_corpus.py shows its consequence with Keras itself
# (docs/peers.md has the table). A new entry here is most likely a false alarm of the lint.
KERAS_315_FINDINGS = {
    # flash_attention=False is not in the config: a loaded layer is back to None (auto).
    (
        "attention/grouped_query_attention.py",
        628,
        "config-complete",
        "GroupedQueryAttention",
    ),
    ("attention/multi_head_attention.py", 237, "config-complete", "MultiHeadAttention"),
    # **kwargs accepted but not passed on: trainable=False is silently dropped.
    ("core/input_layer.py", 24, "structure", "InputLayer"),
    ("preprocessing/hashed_crossing.py", 90, "structure", "HashedCrossing"),
    ("preprocessing/index_lookup.py", 215, "structure", "IndexLookup"),
    # No **kwargs: dtype= and trainable= are refused with a TypeError.
    ("preprocessing/feature_space.py", 386, "structure", "FeatureSpace"),
    ("preprocessing/pipeline.py", 43, "structure", "Pipeline"),
    # call(..., training=True): the pipeline's random layers run at inference.
    ("preprocessing/pipeline.py", 53, "structure", "Pipeline"),
}


@pytest.mark.parametrize("name", api.example_names())
def test_every_catalogue_layer_is_clean(name: str, tmp_path: Path) -> None:
    plan = api.plan_layer(api.load_example(name), out_layout(tmp_path))
    layer = plan.changes[0]
    module = parse_module(layer.text, layer.path.name)
    assert len(layer_classes(module)) == 1
    assert lint_source(layer.text, layer.path.name) == []


@needs_keras_sources
@pytest.mark.parametrize("relative", HANDFUL)
def test_keras_own_layers_have_no_false_alarms(relative: str) -> None:
    assert KERAS_LAYERS is not None
    path = KERAS_LAYERS / relative
    module = parse_module(path.read_text(encoding="utf-8"), relative)
    assert layer_classes(module), f"{relative}: no layer class recognised"
    assert lint_file(path) == []


@needs_keras_sources
@pytest.mark.skipif(
    KERAS_LAYERS is None or not importlib.metadata.version("keras").startswith("3.15."),
    reason="the findings are those of Keras 3.15",
)
def test_all_findings_in_keras_layers_are_known() -> None:
    assert KERAS_LAYERS is not None
    found = set()
    classes = 0
    for path in sorted(KERAS_LAYERS.rglob("*.py")):
        if path.name.endswith("_test.py"):
            continue
        relative = path.relative_to(KERAS_LAYERS).as_posix()
        classes += len(
            layer_classes(parse_module(path.read_text(encoding="utf-8"), relative))
        )
        found |= {(relative, i.line, i.check, i.class_name) for i in lint_file(path)}
    assert classes > 60
    assert found == KERAS_315_FINDINGS
