"""Generate the catalogue once per session and import its layers."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from keraslayer_gen import api


@pytest.fixture(scope="session")
def catalogue_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("catalogue")
    for name in api.example_names():
        api.generate(name, out=out)
    return out


@pytest.fixture(scope="session")
def load_layer(catalogue_dir: Path):
    """Import a generated catalogue module by its example name and return the class."""
    cache: dict[str, type] = {}

    def load(example: str) -> type:
        if example not in cache:
            spec = api.load_example(example).spec
            path = catalogue_dir / f"{spec.module_name}.py"
            name = f"klgen_catalogue_{spec.module_name}"
            module_spec = importlib.util.spec_from_file_location(name, path)
            assert module_spec and module_spec.loader
            module: ModuleType = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            module_spec.loader.exec_module(module)
            cache[example] = getattr(module, spec.name)
        return cache[example]

    return load
