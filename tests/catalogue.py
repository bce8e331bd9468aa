"""The bundled examples a target renders: all of them for keras3; for tf-keras, those
written for it or with `targets: tf-keras` bodies (cross-attention is keras3-only)."""

from __future__ import annotations

from keraslayer_gen import api


def examples_for(target: str) -> list[str]:
    names = []
    for name in api.example_names():
        spec = api.load_example(name).spec
        if target == spec.target or target in spec.targets:
            names.append(name)
    return names
