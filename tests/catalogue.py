"""The bundled examples a target renders: all of them for keras3; for tf-keras, those
written for it or with `targets: tf-keras` bodies."""

from __future__ import annotations

from keraslayer_gen import api


def examples_for(target: str) -> list[str]:
    names = []
    for name in api.example_names():
        spec = api.load_example(name).spec
        if target == spec.target or target in spec.targets:
            names.append(name)
    return names


def leaf_examples_for(target: str) -> list[str]:
    """The examples of `examples_for(target)` whose layer is a leaf of one tensor in and
    out: no `inputs`/`outputs`, no sub-layers (tf-keras creates some of their weights on
    the first call), no state moved on every call (eager and graph calls then differ).
    The tests that feed one array and compare calls use these; the others' own generated
    tests cover them (tests/runtime, tests/tf_keras/test_generated_tests.py)."""
    names = []
    for name in examples_for(target):
        spec = api.load_example(name).spec
        if spec.inputs or spec.outputs or spec.layers or spec.state_on != "training":
            continue
        names.append(name)
    return names
