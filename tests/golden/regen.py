"""Rewrite the golden records: `python -m tests.golden.regen` (the only way they change)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from keraslayer_gen import api
from keraslayer_gen.files.layout import out_layout

GOLDEN = Path(__file__).parent
TARGETS = ("keras3", "tf-keras")


def render_all(target: str) -> dict[str, str]:
    """File name -> text of every catalogue layer and test, rendered for `target`."""
    files: dict[str, str] = {}
    for name in api.example_names():
        source = api.load_example(name)
        if target != source.spec.target and target not in source.spec.targets:
            continue
        plan = api.plan_layer(
            source, out_layout(Path("/nonexistent-klgen-golden")), target=target
        )
        for change in plan.changes:
            files[change.path.name] = change.text
    return files


def folder(target: str) -> Path:
    return GOLDEN / target.replace("-", "_")


def main() -> int:
    for target in TARGETS:
        files = render_all(target)
        out = folder(target)
        if out.exists():
            shutil.rmtree(out)
        if not files:
            continue
        out.mkdir()
        for name, text in sorted(files.items()):
            (out / name).write_text(text, encoding="utf-8", newline="\n")
        print(
            f"{target}: wrote {len(files)} golden files to {out.relative_to(Path.cwd())}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
