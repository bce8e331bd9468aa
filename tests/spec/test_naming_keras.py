"""klgen's copies of Keras's names (kept so that generation never imports Keras) cover the
installed Keras: every `keras.layers` class name, every public attribute of a `Layer`.
"""

from __future__ import annotations

import importlib.util

import pytest

from keraslayer_gen.spec.names import KERAS_LAYER_NAMES, LAYER_ATTRIBUTES, is_pascal

pytestmark = pytest.mark.backend

FIX = "add them to keraslayer_gen/spec/names.py"


def test_every_keras_layers_name_is_known() -> None:
    import keras

    names = {n for n in dir(keras.layers) if is_pascal(n)}
    assert sorted(names - KERAS_LAYER_NAMES) == [], FIX


def _public_attributes(layer: object) -> set[str]:
    return {a for a in dir(layer) if not a.startswith("_")}


def test_every_attribute_of_a_keras_layer_is_reserved() -> None:
    import keras

    assert (
        sorted(_public_attributes(keras.layers.Layer()) - LAYER_ATTRIBUTES) == []
    ), FIX


@pytest.mark.skipif(importlib.util.find_spec("tf_keras") is None, reason="no tf-keras")
def test_every_attribute_of_a_tf_keras_layer_is_reserved() -> None:
    import tf_keras

    assert (
        sorted(_public_attributes(tf_keras.layers.Layer()) - LAYER_ATTRIBUTES) == []
    ), FIX
