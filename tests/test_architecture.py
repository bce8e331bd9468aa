"""The layout of docs/architecture.md, asserted: the stage packages import one way only.

Every import in the package, at module level or inside a function, is read with `ast`;
a package may import only the packages below it in `LAYERS` (and itself), `api.py` and
`testing.py` are facades that nothing inside klgen imports, and `keraslayer_gen` itself
(its `__version__`) is importable everywhere.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "keraslayer_gen"
# Lowest first: each may import those before it, never those after it.
LAYERS = [
    "errors",
    "spec",
    "lint",
    "files",
    "generate",
    "harness",
    "workflows",
    "adopt",
    "cli",
]
FACADES = {"api", "testing"}


def _unit(module: str) -> str:
    """`keraslayer_gen.spec.rules.core` -> `spec`; the package itself -> ``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _module_of(path: Path, package: Path = PACKAGE) -> str:
    rel = path.relative_to(package.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import"
            if node.module and node.module.split(".")[0] == "keraslayer_gen":
                if node.module == "keraslayer_gen":
                    # `from keraslayer_gen import X`: X is a module or the version
                    for alias in node.names:
                        name = alias.name
                        if name != "__version__":
                            found.append((node.lineno, f"keraslayer_gen.{name}"))
                else:
                    found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "keraslayer_gen":
                    found.append((node.lineno, alias.name))
    return found


def _violations(package: Path = PACKAGE) -> list[str]:
    rank = {name: i for i, name in enumerate(LAYERS)}
    bad = []
    for path in sorted(package.rglob("*.py")):
        here = _unit(_module_of(path, package))
        for line, imported in _imports(path):
            there = _unit(imported)
            where = f"{path.relative_to(package.parent)}:{line}: imports {imported}"
            if there in ("",) or there == here:
                continue
            if there in FACADES:
                bad.append(f"{where} (a facade; nothing inside klgen imports it)")
            elif here in FACADES or here == "":
                continue
            elif there not in rank or here not in rank:
                bad.append(f"{where} (a module outside the layers of {LAYERS})")
            elif rank[there] > rank[here]:
                bad.append(f"{where} ({here} is below {there})")
    return bad


def test_packages_import_one_way() -> None:
    assert _violations() == []


def test_every_module_is_in_a_layer() -> None:
    units = {_unit(_module_of(p)) for p in PACKAGE.rglob("*.py")}
    assert units - {""} <= set(LAYERS) | FACADES


def test_the_check_sees_each_kind_of_violation(tmp_path: Path) -> None:
    package = tmp_path / "keraslayer_gen"
    files = {
        "__init__.py": "",
        "api.py": "from keraslayer_gen.workflows.new import plan_layer\n",
        "spec/__init__.py": "",
        "spec/model.py": "from keraslayer_gen.errors import KlgenError\n",
        "spec/rules.py": (
            "def f():\n    from keraslayer_gen.generate.context import x\n"
        ),
        "workflows/new.py": "from keraslayer_gen import api\n",
        "plugins/extra.py": "from keraslayer_gen.spec.model import X\n",
    }
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text, encoding="utf-8")
    assert _violations(package) == [
        "keraslayer_gen/plugins/extra.py:1: imports keraslayer_gen.spec.model "
        f"(a module outside the layers of {LAYERS})",
        "keraslayer_gen/spec/rules.py:2: imports keraslayer_gen.generate.context "
        "(spec is below generate)",
        "keraslayer_gen/workflows/new.py:1: imports keraslayer_gen.api "
        "(a facade; nothing inside klgen imports it)",
    ]
