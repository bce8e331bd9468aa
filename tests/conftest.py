"""Shared fixtures; tests that need Keras skip cleanly where it is not installed.

The suite has four tiers (markers in pyproject.toml, commands in `run-tests`):

- fast: `pytest -m "not backend and not harness and not slow"`; no Keras import;
- slow: `pytest -m "slow and not backend and not harness"` (Hypothesis properties at full
  example counts, wheel builds);
- harness: `pytest -m "harness and not backend"` (backend subprocesses);
- backend: `KERAS_BACKEND=... pytest -m backend`, once per backend.

`pytest -m` deselects tests only after their modules are imported, and a module whose tests
all need Keras imports it at the top (`keras = pytest.importorskip("keras")`): TensorFlow
alone takes 7-60 s to import. `pytest_ignore_collect` below skips, without importing it,
every test module whose module-level `pytestmark` puts all its tests outside the `-m`
expression.
"""

from __future__ import annotations

import ast
import importlib.util
import itertools
import os
from functools import cache
from pathlib import Path

import pytest

HAS_KERAS = importlib.util.find_spec("keras") is not None


def pytest_configure(config: pytest.Config) -> None:
    # Keep klgen's formatting cache out of the user's home during tests.
    if "KLGEN_CACHE_DIR" not in os.environ:
        import tempfile

        os.environ["KLGEN_CACHE_DIR"] = tempfile.mkdtemp(prefix="klgen-test-cache-")


def _mark_names(node: ast.AST) -> set[str]:
    """`{"backend"}` for the expression `pytest.mark.backend` (or a list of marks)."""
    return {
        n.attr
        for n in ast.walk(node)
        if isinstance(n, ast.Attribute)
        and isinstance(n.value, ast.Attribute)
        and n.value.attr == "mark"
    }


@cache
def _module_marks(path: Path) -> tuple[frozenset[str], frozenset[str]] | None:
    """(the marks of the module's `pytestmark`, every other mark the file names), or
    None when the module has no module-level `pytestmark` or cannot be read."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    module: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in statement.targets
        ):
            module |= _mark_names(statement.value)
    if not module:
        return None
    return frozenset(module), frozenset(_mark_names(tree) - module)


class _Present:
    """A `-m` matcher: the marks a test would carry."""

    def __init__(self, names: frozenset[str] | set[str]) -> None:
        self.names = names

    def __call__(self, name: str, /, **kwargs: str | int | bool | None) -> bool:
        return name in self.names


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """True (do not import the module) when `-m` can select none of its tests: for every
    combination of the other marks the file names, its `pytestmark` fails the expression.

    Marks added at run time (by a conftest hook) are not seen here; none are.
    """
    expression_text = config.getoption("markexpr", "")
    if (
        not expression_text
        or "=" in expression_text  # marker keyword arguments: leave them to pytest
        or collection_path.suffix != ".py"
        or not collection_path.name.startswith("test_")
    ):
        return None
    marks = _module_marks(collection_path)
    if marks is None:
        return None
    module, others = marks
    if len(others) > 10:
        return None
    try:
        from _pytest.mark.expression import Expression

        expression = Expression.compile(expression_text)
    except Exception:  # pytest reports a bad -m expression itself
        return None
    for size in range(len(others) + 1):
        for extra in itertools.combinations(sorted(others), size):
            if expression.evaluate(_Present(module | set(extra))):
                return None
    return True


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
