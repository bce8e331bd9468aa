"""Resolving `klgen verify` targets on disk, without importing the layers."""

from __future__ import annotations

from pathlib import Path

import pytest

from keraslayer_gen import api
from keraslayer_gen.errors import KlgenError
from keraslayer_gen.harness.target import find_module_file, module_of, resolve_target

from .conftest import SCALE, write_layer


@pytest.fixture()
def generated(tmp_path: Path) -> Path:
    api.generate("masked-average-pooling", out=tmp_path)
    return tmp_path


def test_a_generated_file_names_its_spec(generated: Path) -> None:
    target = resolve_target(str(generated / "masked_average_pooling.py"))
    assert (target.class_name, target.module) == (
        "MaskedAveragePooling",
        "masked_average_pooling",
    )
    assert target.sys_path == (str(generated.resolve()),)
    assert (
        target.spec is not None
        and target.spec_label == "example:masked-average-pooling"
    )
    assert target.target == "keras3"


def test_a_spec_file_finds_the_layer_next_to_it(generated: Path) -> None:
    spec = generated / "masked_average_pooling.klgen.yaml"
    spec.write_text(api.example_text("masked-average-pooling"), encoding="utf-8")
    target = resolve_target("masked_average_pooling.klgen.yaml", cwd=generated)
    assert target.source == (generated / "masked_average_pooling.py").resolve()
    assert target.spec_label == str(spec)
    (generated / "masked_average_pooling.py").unlink()
    with pytest.raises(KlgenError, match="generate it with `klgen new --spec"):
        resolve_target(str(spec))


def test_file_and_module_with_class(tmp_path: Path) -> None:
    package = tmp_path / "src" / "pkg" / "layers"
    package.mkdir(parents=True)
    for folder in (package.parent, package):
        (folder / "__init__.py").write_text("import keras  # never imported here\n")
    write_layer(package, "scale", SCALE)
    by_file = resolve_target(f"{package / 'scale.py'}:Scale")
    assert (by_file.module, by_file.sys_path) == (
        "pkg.layers.scale",
        (str((tmp_path / "src").resolve()),),
    )
    by_module = resolve_target("pkg.layers.scale:Scale", cwd=tmp_path / "src")
    assert by_module.module == "pkg.layers.scale" and by_module.source is not None
    assert by_module.spec is None
    assert module_of(package / "scale.py")[0] == "pkg.layers.scale"
    assert (
        find_module_file("pkg.layers", [str(tmp_path / "src")])
        == package / "__init__.py"
    )
    unknown = resolve_target("not_here.mod:Layer", cwd=tmp_path)  # left to the worker
    assert unknown.source is None and unknown.module == "not_here.mod"


def test_a_tf_keras_layer_is_recognised(tmp_path: Path) -> None:
    api.generate("dense", out=tmp_path, target="tf-keras")
    assert resolve_target(str(tmp_path / "dense.py")).target == "tf-keras"


@pytest.mark.parametrize(
    ("code", "text", "message"),
    [
        (
            SCALE + SCALE.replace("class Scale", "class Other"),
            "two.py",
            "several layers",
        ),
        ("x = 1\n", "two.py", "no Layer subclass found"),
        ("class A(:\n", "two.py", "two.py:1: not valid Python"),
        (SCALE, "two.py:Missing", "defines no class `Missing`"),
    ],
)
def test_what_cannot_be_a_target(
    tmp_path: Path, code: str, text: str, message: str
) -> None:
    write_layer(tmp_path, "two", code)
    with pytest.raises(KlgenError, match=message):
        resolve_target(text, cwd=tmp_path)
