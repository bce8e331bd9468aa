"""The command lines of docs/spec.md's "From flags" run as pasted: each bash block, in a
fresh folder, exits 0 and writes the layer and its test."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "spec.md"
BIN = Path(sys.executable).parent


def _flag_blocks() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("\n## From flags") :]
    return re.findall(r"```bash\n(.*?)```", section, re.DOTALL)


def test_the_section_has_its_examples() -> None:
    blocks = _flag_blocks()
    assert len(blocks) >= 2
    assert any("--layer" in b and "--input" in b for b in blocks)


@pytest.mark.parametrize("index", range(len(_flag_blocks())))
def test_a_flags_example_runs_as_pasted(tmp_path: Path, index: int) -> None:
    block = _flag_blocks()[index]
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in (tmp_path / "layers").glob("*.py"))
    assert len(written) == 2 and any(n.startswith("test_") for n in written), written
