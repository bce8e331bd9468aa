"""Where a repository keeps its layers: `[tool.klgen]`, flags, and what klgen infers."""

from __future__ import annotations

from pathlib import Path

import pytest

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.files.layout import load_layout


def make(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def rel(layout_path: Path, root: Path) -> str:
    return layout_path.relative_to(root).as_posix()


@pytest.mark.parametrize(
    ("files", "layers", "tests", "package", "import_root"),
    [
        (
            {
                "pyproject.toml": '[project]\nname = "My-Proj"\n',
                "src/my_proj/__init__.py": "",
            },
            "src/my_proj/layers",
            "tests",
            "my_proj",
            "my_proj.layers",
        ),
        (
            {
                "pyproject.toml": '[project]\nname = "flat.pkg"\n',
                "flat_pkg/__init__.py": "",
                "tests/layers/x.py": "",
            },
            "flat_pkg/layers",
            "tests/layers",
            "flat_pkg",
            "flat_pkg.layers",
        ),
        # the distribution name differs from the import package: the only package under src/
        (
            {
                "pyproject.toml": '[project]\nname = "acme-tools"\n',
                "src/acme/__init__.py": "",
                "test/test_x.py": "",
            },
            "src/acme/layers",
            "test",
            "acme_tools",
            "acme.layers",
        ),
        # no [project] at all: the only top-level package
        (
            {
                "setup.cfg": "",
                "pyproject.toml": "",
                "models/__init__.py": "",
                "tests/__init__.py": "",
            },
            "models/layers",
            "tests",
            "models",
            "models.layers",
        ),
        # nothing to go on: a plain `layers` folder
        ({"pyproject.toml": ""}, "layers", "tests", "Custom", "layers"),
    ],
)
def test_inference(
    tmp_path: Path,
    files: dict[str, str],
    layers: str,
    tests: str,
    package: str,
    import_root: str,
) -> None:
    root = make(tmp_path, files)
    layout = load_layout(root / ".")
    assert (rel(layout.layers_dir, root), rel(layout.tests_dir, root)) == (
        layers,
        tests,
    )
    assert (layout.package, layout.import_root) == (package, import_root)
    assert layout.inferred == [
        f"layers_dir = {layers!r}",
        f"tests_dir = {tests!r}",
        f"package = {package!r}",
    ]
    assert layout.exports and not layout.has_config


def test_configuration_wins_and_flags_win_over_it(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "pyproject.toml": (
                '[project]\nname = "p"\n\n[tool.klgen]\nlayers_dir = "lib/layers"\n'
                'specs = "specs"\nexports = false\n'
            ),
            "p/__init__.py": "",
        },
    )
    layout = load_layout(root / "p")  # found from a subfolder
    assert layout.root == root.resolve()
    assert rel(layout.layers_dir, root) == "lib/layers"
    assert layout.spec_dir() == root / "specs" and not layout.exports
    assert layout.inferred == ["tests_dir = 'tests'", "package = 'p'"]
    layout = load_layout(root, {"layers_dir": "p/nn", "package": "pp"})
    assert rel(layout.layers_dir, root) == "p/nn" and layout.package == "pp"
    assert layout.inferred == ["tests_dir = 'tests'"]


def test_a_layers_module_needs_a_configured_folder(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "p"\n',
            "p/__init__.py": "",
            "p/layers.py": "",
        },
    )
    with pytest.raises(
        KlgenError,
        match=r"p/layers.py is a module, so klgen cannot add a "
        r"`layers` package beside it; set layers_dir .*'p/keras_layers'",
    ):
        load_layout(root)
    assert rel(load_layout(root, {"layers_dir": "p/nn"}).layers_dir, root) == "p/nn"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('exports = "yes"', "exports must be true or false"),
        ('layers_dir = "../elsewhere"', "is outside the repository"),
        ('specs = "../specs"', "is outside the repository"),
        ('layer_dir = "x"', "unknown key `layer_dir` (did you mean `layers_dir`?)"),
    ],
)
def test_bad_configuration(tmp_path: Path, config: str, message: str) -> None:
    root = make(tmp_path, {"pyproject.toml": f"[tool.klgen]\n{config}\n"})
    with pytest.raises(
        KlgenError,
        match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?"),
    ):
        load_layout(root)
