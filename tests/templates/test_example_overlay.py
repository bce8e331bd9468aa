"""The documented example overlay (a licence header and `__repr__` on every layer, added
through the blocks of klgen's templates), the documented template API and its blocks, and
the check of an overlay without Keras."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from keraslayer_gen import api
from keraslayer_gen.files.layout import out_layout
from keraslayer_gen.generate.context import (
    TEMPLATE_API,
    ArgView,
    CheckView,
    ExampleView,
    LayerContext,
    WeightView,
)
from keraslayer_gen.generate.docstring import DocItem, DocView
from keraslayer_gen.generate.overlay import load_overlay

from .conftest import EXAMPLE_OVERLAY, ROOT, builtin, klgen, write_overlay

DOCS = ROOT / "docs" / "templates.md"
LICENCE = "# Copyright 2026 The Example Team. All rights reserved."
_BLOCK = re.compile(r"{%-?\s*block\s+(\w+)\s*-?%}")


def _blocks() -> list[str]:
    return _BLOCK.findall(builtin("base/layer.py.jinja"))


def test_the_example_layer_templates_extend_klgen_s_and_are_documented() -> None:
    """The example adds its method through a block, so it never copies klgen's text
    (nothing to re-eject when klgen changes); the docs show its files as they are."""
    docs = DOCS.read_text(encoding="utf-8")
    for target in ("keras3", "tf_keras"):
        text = (EXAMPLE_OVERLAY / target / "layer.py.jinja").read_text(encoding="utf-8")
        assert text.startswith(f'{{% extends "klgen/{target}/layer.py.jinja" %}}\n')
        assert len(text.splitlines()) <= 6
        assert _BLOCK.findall(text) == ["extra_methods"]
        assert text in docs.replace("TARGET", target)
    for name in ("macros/repr.jinja", "macros/header.jinja"):
        assert (EXAMPLE_OVERLAY / name).read_text(encoding="utf-8") in docs, name


def test_every_block_is_documented_and_super_keeps_klgen_s_text(tmp_path: Path) -> None:
    """An overlay overriding every block with `{{ super() }}` renders klgen's own files
    byte for byte (but the overlay's digest line): each block is an extension point
    that loses nothing, and docs/templates.md lists each of them."""
    blocks = _blocks()
    docs = DOCS.read_text(encoding="utf-8")
    for block in blocks:
        assert f"| `{block}` |" in docs, f"docs/templates.md: block {block}"
    for extra in ("header", "imports", "decorator", "docstring", "init_signature"):
        assert extra in blocks
    files = {
        f"{target}/layer.py.jinja": f'{{% extends "klgen/{target}/layer.py.jinja" %}}\n'
        + "".join(
            f"{{% block {b} %}}{{{{ super() }}}}{{% endblock %}}\n" for b in blocks
        )
        for target in ("keras3", "tf_keras")
    }
    folder = load_overlay(write_overlay(tmp_path / "every-block", files))
    for name in api.example_names():
        source = api.load_example(name)
        for target in ("keras3", "tf-keras"):
            if target != source.spec.target and target not in source.spec.targets:
                continue  # no bodies for this target (as tests/golden/regen.py)
            layout = out_layout(Path("/nonexistent"))
            plain = api.plan_layer(source, layout, target=target).changes[0].text
            through = api.plan_layer(source, layout, target=target, overlay=folder)
            assert _code(through.changes[0].text) == _code(plain), (name, target)


def _code(text: str) -> str:
    """A generated file without the lines that record how it was made."""
    return re.sub(r"^# klgen-(digest|templates): .*\n", "", text, flags=re.MULTILINE)


@pytest.mark.parametrize("target", ["keras3", "tf-keras"])
def test_every_layer_gets_the_licence_and_a_repr(target: str) -> None:
    for name in api.example_names():
        source = api.load_example(name)
        if target != source.spec.target and target not in source.spec.targets:
            continue
        plan = api.plan_layer(
            source,
            out_layout(Path("/nonexistent")),
            target=target,
            overlay=EXAMPLE_OVERLAY,
        )
        layer, test = (change.text for change in plan.changes[:2])
        for text in (layer, test):
            assert text.startswith(LICENCE + "\n#\n# Licensed under the Apache License")
            assert api.read_header(text) is not None
        assert "\n    def __repr__(self):\n" in layer
        compile(layer, f"{name}.py", "exec")
    dense = (
        api.plan_layer(
            api.load_example("dense"),
            out_layout(Path("/nonexistent")),
            target=target,
            overlay=EXAMPLE_OVERLAY,
        )
        .changes[0]
        .text
    )
    assert (
        '            "units": self.units,\n            "use_bias": self.use_bias,\n'
        in (dense)
    )
    assert '"kernel_initializer": self.' not in dense.split("def __repr__")[1]


def test_the_example_overlay_passes_templates_check_without_keras(
    tmp_path: Path,
) -> None:
    """In a fresh interpreter: exit 0, and no Keras or backend module was imported."""
    probe = (
        "import json, sys\n"
        "from keraslayer_gen.cli import app\n"
        "try:\n"
        "    app(args=['templates', 'check', sys.argv[1]], prog_name='klgen')\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "loaded = sorted(m for m in sys.modules\n"
        "                if m.split('.')[0] in ('keras', 'tensorflow', 'jax', 'torch'))\n"
        "print(json.dumps({'exit': code, 'backends': loaded}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(EXAMPLE_OVERLAY)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    report = json.loads(result.stdout.splitlines()[-1])
    assert report == {"exit": 0, "backends": []}, result.stdout + result.stderr
    # Every catalogue example, for its own target and each target it has bodies for.
    renderings = sum(
        len({spec.target, *spec.targets})
        for spec in (api.load_example(name).spec for name in api.example_names())
    )
    assert (
        f"{renderings} spec/target rendering(s), {2 * renderings} file(s) parse and "
        "are black, ruff and lint clean" in result.stderr
    )


def test_the_docs_describe_every_field_of_the_template_api() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for field in dataclasses.fields(LayerContext):
        assert f"| `{field.name}` |" in docs, f"docs/templates.md: ctx.{field.name}"
    for view in (ArgView, CheckView, WeightView, ExampleView, DocView, DocItem):
        assert f"`{view.__name__}`" in docs, f"docs/templates.md: {view.__name__}"
        for field in dataclasses.fields(view):
            assert f"`{field.name}`" in docs, f"docs/templates.md: {view.__name__}"
    assert f"template_api = {TEMPLATE_API}" in docs
    assert f"### The template API, version {TEMPLATE_API}" in docs
    assert (
        (EXAMPLE_OVERLAY / "klgen-templates.toml")
        .read_text(encoding="utf-8")
        .endswith(f"template_api = {TEMPLATE_API}\n")
    )


@pytest.mark.harness
@pytest.mark.slow
def test_layers_through_the_example_overlay_still_honour_the_contract(
    tmp_path: Path,
) -> None:
    """`klgen templates check --verify` and `klgen verify` on JAX, and the repr works."""
    backend = "jax"
    check = klgen(
        "templates",
        "check",
        str(EXAMPLE_OVERLAY),
        "--verify",
        "--backend",
        backend,
        "--example",
        "dense",
        "--example",
        "decaying-dropout",
        cwd=tmp_path,
    )
    assert check.code == 0, check.text
    assert f"2 layer(s) verified on {backend}" in check.err

    for name in ("dense", "decaying-dropout"):
        new = klgen(
            "new",
            "--example",
            name,
            "--templates",
            str(EXAMPLE_OVERLAY),
            "--out",
            "layers",
            cwd=tmp_path,
        )
        assert new.code == 0, new.text
    layers = tmp_path / "layers"
    for path in (layers / "dense.py", layers / "decaying_dropout.py"):
        text = path.read_text(encoding="utf-8")
        assert text.startswith(LICENCE) and "def __repr__(self):" in text
    verify = klgen(
        "verify",
        "layers/dense.py",
        "layers/decaying_dropout.py",
        "--backend",
        backend,
        cwd=tmp_path,
    )
    assert verify.code == 0, verify.text

    probe = (
        "from dense import Dense\n"
        "from decaying_dropout import DecayingDropout\n"
        "print(repr(Dense(4, name='d')))\n"
        "print(repr(DecayingDropout(decay_rate=0.5, name='dd')))\n"
    )
    env = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=layers,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2:] == [
        "Dense(name='d', units=4, use_bias=True)",
        "DecayingDropout(name='dd', initial_keep_rate=1.0, decay_interval=10000, "
        "decay_rate=0.5, noise_shape=None, seed=None)",
    ]
