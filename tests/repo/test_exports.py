"""Exports from the layers package's `__init__.py`: once, in the file's own style."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from keraslayer_gen.files.plan import CREATE, UPDATE
from keraslayer_gen.workflows.exports import (
    Export,
    add_export,
    is_exported,
    plan_exports,
)

CASES = [
    ("", 'from .scale import Scale\n\n__all__ = ["Scale"]\n'),
    ('"""Layers."""\n', '"""Layers."""\n\nfrom .scale import Scale\n'),
    (
        '"""Layers."""\n\n# by hand\nfrom .attention import Attention  # old\n'
        'from .pool import Pool\n\n__all__ = [\n    "Attention",\n    "Pool",  # pooling\n]\n',
        '"""Layers."""\n\n# by hand\nfrom .attention import Attention  # old\n'
        'from .pool import Pool\nfrom .scale import Scale\n\n__all__ = [\n    "Attention",\n'
        '    "Pool",  # pooling\n    "Scale",\n]\n',
    ),
    (  # sorted: in order, the block's comment stays on top
        '# ours\nfrom .z import Z\n__all__ = [\n    "Z",\n]\n',
        '# ours\nfrom .scale import Scale\nfrom .z import Z\n__all__ = [\n    "Scale",\n'
        '    "Z",\n]\n',
    ),
    (  # not sorted: last
        'from .z import Z\nfrom .a import A\n__all__ = ["Z", "A"]\n',
        "from .z import Z\nfrom .a import A\nfrom .scale import Scale\n"
        '__all__ = ["Z", "A", "Scale"]\n',
    ),
    (
        'from .a import A\n__all__ = ("A",)\n',
        'from .a import A\nfrom .scale import Scale\n__all__ = ("A", "Scale",)\n',
    ),
    (  # one a line without a trailing comma; the comment stays on its line
        'from .a import A\n__all__ = [\n    "A"  # first\n]\n',
        'from .a import A\nfrom .scale import Scale\n__all__ = [\n    "A",  # first\n'
        '    "Scale"\n]\n',
    ),
    ("__all__ = []\n", 'from .scale import Scale\n__all__ = ["Scale"]\n'),
    ("__all__ = ()\n", 'from .scale import Scale\n__all__ = ("Scale",)\n'),
    ("import os\nX = 1", "import os\nfrom .scale import Scale\nX = 1\n"),
    ("from .scale import Scale\n", "from .scale import Scale\n"),  # there already
    ("from .scale import Scale as Scale\n", "from .scale import Scale as Scale\n"),
    (  # __all__ that is not a literal is left to its owner
        "from .a import A\n__all__ = [n for n in dir() if n[0].isupper()]\n",
        "from .a import A\nfrom .scale import Scale\n"
        "__all__ = [n for n in dir() if n[0].isupper()]\n",
    ),
    (
        '# ünïcode\nfrom .z import Z  # ß\n__all__ = ["Z"]  # ok\n',
        "# ünïcode\nfrom .scale import Scale\nfrom .z import Z  # ß\n"
        '__all__ = ["Scale", "Z"]  # ok\n',
    ),
]


@pytest.mark.parametrize(("before", "after"), CASES)
def test_add_export(before: str, after: str) -> None:
    assert add_export(before, "scale", "Scale") == after
    assert add_export(after, "scale", "Scale") == after  # idempotent
    ast.parse(add_export(after, "dense", "Dense"))


def test_the_name_is_added_to_all_when_only_that_is_missing() -> None:
    text = 'from .scale import Scale\n__all__ = ["Other"]\n'
    assert add_export(text, "scale", "Scale") == (
        'from .scale import Scale\n__all__ = ["Other", "Scale"]\n'
    )
    assert is_exported(text, "Scale") and not is_exported(text, "Other")


def test_plan_creates_packages_up_to_the_top(tmp_path: Path) -> None:
    layers = tmp_path / "src" / "pkg" / "models" / "layers"
    layers.mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    export = Export(layers, "pkg.models.layers", "scale", "Scale")
    changes, notes = plan_exports(
        [export, Export(layers, "pkg.models.layers", "gate", "Gate")]
    )
    assert notes == []
    by_path = {c.path.relative_to(tmp_path).as_posix(): c for c in changes}
    assert sorted(by_path) == [
        "src/pkg/models/__init__.py",
        "src/pkg/models/layers/__init__.py",
    ]
    assert by_path["src/pkg/models/__init__.py"].text == ""
    assert by_path["src/pkg/models/layers/__init__.py"].status == CREATE
    assert by_path["src/pkg/models/layers/__init__.py"].text == (
        'from .gate import Gate\nfrom .scale import Scale\n\n__all__ = ["Gate", "Scale"]\n'
    )
    assert plan_exports([Export(layers, "", "scale", "Scale")]) == (
        [],
        [],
    )  # not a package


def test_plan_updates_and_reports_an_init_it_cannot_parse(tmp_path: Path) -> None:
    (tmp_path / "__init__.py").write_text("from .a import A\n", encoding="utf-8")
    changes, _ = plan_exports([Export(tmp_path, "layers", "scale", "Scale")])
    assert [(c.status, c.text) for c in changes] == [
        (UPDATE, "from .a import A\nfrom .scale import Scale\n")
    ]
    (tmp_path / "__init__.py").write_text("from .a import (\n", encoding="utf-8")
    changes, notes = plan_exports([Export(tmp_path, "layers", "scale", "Scale")])
    assert changes == []
    assert notes == [
        f"{tmp_path / '__init__.py'}:1: does not parse, so `Scale` was not "
        "exported from it; add `from .scale import Scale` yourself"
    ]
