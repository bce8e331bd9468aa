"""Shared fixtures; tests that need Keras skip cleanly where it is not installed."""

from __future__ import annotations

import importlib.util
import os

import pytest

HAS_KERAS = importlib.util.find_spec("keras") is not None


def pytest_configure(config: pytest.Config) -> None:
    # Keep klgen's formatting cache out of the user's home during tests.
    if "KLGEN_CACHE_DIR" not in os.environ:
        import tempfile

        os.environ["KLGEN_CACHE_DIR"] = tempfile.mkdtemp(prefix="klgen-test-cache-")


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    if HAS_KERAS:
        return
    skip = pytest.mark.skip(
        reason="Keras is not installed (pip install 'keraslayer-gen[all]')"
    )
    for item in items:
        if "backend" in item.keywords or "harness" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def keras_backend() -> str:
    return os.environ.get("KERAS_BACKEND", "tensorflow")
