"""The documented example overlay (a licence header and `__repr__` on every layer), the
documented template API, and the check of an overlay without Keras."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from keraslayer_gen import api
from keraslayer_gen.context import ArgView, LayerContext, WeightView
from keraslayer_gen.project import out_layout

from .conftest import EXAMPLE_OVERLAY, ROOT, builtin, klgen

DOCS = ROOT / "docs" / "templates.md"
LICENCE = "# Copyright 2026 The Example Team. All rights reserved."
REPR_TEMPLATE = """
    def __repr__(self):
        fields = {
            "name": self.name,
{# Plain arguments only: Keras objects (initializers, ...) have long reprs. #}
{% for arg in ctx.args if arg.config == "self." ~ arg.name %}
            {{ arg.name | pyrepr }}: self.{{ arg.name }},
{% endfor %}
        }
        args = ", ".join(f"{key}={value!r}" for key, value in fields.items())
        return f"{type(self).__name__}({args})"
"""


def test_the_example_layer_templates_are_klgen_s_plus_repr() -> None:
    """When klgen's own layer templates change, re-eject them into the example."""
    for target in ("keras3", "tf_keras"):
        name = f"{target}/layer.py.jinja"
        text = (EXAMPLE_OVERLAY / name).read_text(encoding="utf-8")
        assert (
            text == builtin(name) + REPR_TEMPLATE
        ), f"re-eject {name} into the example"
        assert REPR_TEMPLATE in DOCS.read_text(encoding="utf-8")


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
    assert (
        "12 spec/target rendering(s), 24 file(s) parse and are black, ruff and lint "
        "clean" in result.stderr
    )


def test_the_docs_describe_every_field_of_the_template_api() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for field in dataclasses.fields(LayerContext):
        assert f"| `{field.name}` |" in docs, f"docs/templates.md: ctx.{field.name}"
    for view in (ArgView, WeightView):
        for field in dataclasses.fields(view):
            assert f"`{field.name}`" in docs, f"docs/templates.md: {view.__name__}"
    assert "template_api = 1" in docs


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
