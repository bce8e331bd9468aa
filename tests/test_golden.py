"""Golden records: the catalogue renders byte-for-byte as committed, black- and ruff-clean."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from keraslayer_gen.generate.formatting import LINE_LENGTH, format_code
from tests.golden.regen import TARGETS, folder, render_all

FIX = "regenerate with `python -m tests.golden.regen` and review the diff"


@pytest.mark.parametrize("target", TARGETS)
def test_catalogue_matches_golden_records(target: str) -> None:
    files = render_all(target)
    golden = folder(target)
    committed = {p.name for p in golden.glob("*.py")} if golden.exists() else set()
    assert committed == set(files), f"golden file set differs: {FIX}"
    for name, text in files.items():
        assert (golden / name).read_text(encoding="utf-8") == text, f"{name}: {FIX}"


@pytest.mark.parametrize("target", TARGETS)
def test_goldens_are_a_black_fixed_point(target: str) -> None:
    for path in sorted(folder(target).glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert format_code(text) == text, f"{path.name} changes under black"
        assert "\r" not in text and text.endswith("\n")


@pytest.mark.skipif(
    shutil.which("ruff") is None
    and not (Path(sys.executable).parent / "ruff").exists(),
    reason="ruff is not installed",
)
def test_generated_code_is_ruff_clean() -> None:
    """Ruff's default rules plus bugbear, pyupgrade and whitespace, with no config."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    paths = [str(folder(t)) for t in TARGETS if folder(t).exists()]
    result = subprocess.run(
        [
            ruff,
            "check",
            "--isolated",
            "--no-cache",
            "--extend-select",
            "B,UP,W",
            *paths,
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_output_is_deterministic() -> None:
    assert render_all("keras3") == render_all("keras3")


@pytest.mark.parametrize("target", TARGETS)
def test_no_golden_line_is_longer_than_the_line_length(target: str) -> None:
    """Black leaves strings, comments and docstrings alone: klgen wraps them itself."""
    for path in sorted(folder(target).glob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert (
                len(line) <= LINE_LENGTH
            ), f"{path.name}:{number}: {len(line)} columns"


def test_no_layer_has_a_module_docstring_and_the_tests_cite_existing_docs() -> None:
    root = Path(__file__).resolve().parents[1]
    for target in TARGETS:
        for path in sorted(folder(target).glob("*.py")):
            text = path.read_text(encoding="utf-8")
            if not path.name.startswith("test_"):
                assert ast.get_docstring(ast.parse(text)) is None, path.name
            for cited in ("docs/contract.md", "CONTRACT.md"):
                if cited in text:
                    assert (root / cited).is_file(), f"{path.name} cites {cited}"
