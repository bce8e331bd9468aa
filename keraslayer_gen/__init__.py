"""klgen: correct-by-construction custom Keras layers from a spec, and proof that they work.

The public API is imported lazily, so that `import keraslayer_gen` stays cheap and never
imports Keras.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "LayerSpec",
    "KlgenError",
    "SpecError",
    "load_spec",
    "load_example",
    "example_names",
    "plan_layer",
    "write",
    "generate",
]

_LAZY = {
    "LayerSpec": ".spec.model",
    "KlgenError": ".errors",
    "SpecError": ".errors",
    "load_spec": ".api",
    "load_example": ".api",
    "example_names": ".api",
    "plan_layer": ".api",
    "write": ".api",
    "generate": ".api",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
