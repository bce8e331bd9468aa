"""What a new user finds without reading the README (issue 13.5): `-h`, the whole flag
grammar in `klgen new --help`, shell completion, and `klgen config`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from keraslayer_gen.spec.model import (
    Arg,
    Example,
    InputDecl,
    OutputDecl,
    TensorExample,
    Weight,
)

BIN = Path(sys.executable).parent
KLGEN = str(BIN / "klgen")


def run(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [KLGEN, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "120", **env},
        timeout=120,
    )


def test_dash_h_is_help_everywhere() -> None:
    assert run("-h").stdout == run("--help").stdout
    assert "Usage: klgen [OPTIONS] COMMAND" in run("-h").stdout
    for command in ("new", "sync", "check", "lint", "init", "config", "verify"):
        result = run(command, "-h")
        assert result.returncode == 0, result.stderr
        assert f"Usage: klgen {command}" in result.stdout


def test_new_help_shows_the_whole_flag_grammar() -> None:
    text = run("new", "--help").stdout
    assert "…" not in text  # nothing truncated, even at 120 columns
    flat = " ".join(text.split())
    for flag in ("--arg", "--weight", "--state", "--example-input", "--set"):
        assert f"{flag} " in flat
    # every key of every repeatable flag, read from the spec model itself
    for model, skip in (
        (Arg, {"type", "default"}),
        (Weight, {"shape"}),
        (Example, {"input_shape"}),
    ):
        for key in set(model.model_fields) - skip:
            assert key in flat, key
    assert "--arg 'rate:float=0.5;range=(0, 1];doc=Fraction to drop.'" in flat
    assert "docs/spec.md" in flat and (Path(__file__).parents[2] / "docs").is_dir()


def test_the_grammar_examples_are_accepted(tmp_path: Path) -> None:
    """The help's examples are real flags: klgen takes them."""
    result = run(
        "new",
        "Gate",
        "--arg",
        "rate:float=0.5;range=(0, 1];doc=Fraction to drop.",
        "--arg",
        "seed:int | None=None",
        "--arg",
        "units:int=4",
        "--arg",
        "kernel_initializer:initializer=glorot_uniform",
        "--weight",
        "kernel:[input_shape[-1], units];initializer=kernel_initializer",
        "--example-input",
        "4,10,8;init={units: 3};mask=true",
        "--masking",
        "propagate",
        "--set",
        "input_spec.min_ndim=2",
        "--summary",
        "Gates.",
        "--stdout",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "class Gate(" in result.stdout


NEW_FLAGS = (
    "--layer",
    "--input",
    "--input-list",
    "--output",
    "--call-arg",
    "--method",
    "--method-body",
    "--import",
    "--base",
    "--base-arg",
    "--loss",
    "--state-on",
    "--random-inference",
    "--training-forward",
)


def test_new_help_shows_the_grammar_of_the_composite_flags() -> None:
    text = run("new", "--help").stdout
    assert "…" not in text
    assert "Sub-layers, inputs, outputs, call arguments, methods" in text
    flat = " ".join(text.split())
    for flag in NEW_FLAGS:
        assert f"{flag} " in flat, flag
    for model, skip in (
        (InputDecl, set()),
        (OutputDecl, {"shape"}),
        (TensorExample, set()),
        (Example, {"input_shape", "inputs"}),
    ):
        for key in set(model.model_fields) - skip:
            assert key in flat, key
    for example in (
        "--input 'query:ndim=3;mask=true'",
        "--output 'trend:same;mask=mask'",
        "--call-arg 'start_index:int=0'",
        "--method 'rotate_half:x' --method-body rotate_half=rotate_half.py",
        "--example-input 'query=2,5,8;value=2,7,8;call_args={start_index: 2}'",
    ):
        assert example in flat, example


def test_the_composite_grammar_examples_are_accepted(tmp_path: Path) -> None:
    """The help's examples of the composite flags are real flags: klgen takes them."""
    (tmp_path / "rotate_half.py").write_text(
        "first, second = ops.split(x, 2, axis=-1)\n"
        "return ops.concatenate([-second, first], axis=-1)\n",
        encoding="utf-8",
    )
    (tmp_path / "body.py").write_text(
        "attended = self.attention(\n"
        "    query, value, query_mask=query_mask, value_mask=value_mask, "
        "training=training\n)\n"
        "trend = self.rotate_half(self.ffn(attended)) * start_index\n"
        "residual = query - trend\n",
        encoding="utf-8",
    )
    result = run(
        "new",
        "Block",
        "--summary",
        "Attends, then splits.",
        "--arg",
        "num_heads:int=2",
        "--arg",
        "key_dim:int=4",
        "--arg",
        "hidden_dim:int=8",
        "--input",
        "query:ndim=3;mask=true",
        "--input",
        "value:ndim=3;mask=true",
        "--layer",
        "attention:MultiHeadAttention;num_heads=num_heads;key_dim=key_dim;"
        "build=query_shape, value_shape",
        "--layer",
        'ffn:Dense;units=hidden_dim;activation="relu";build=query_shape',
        "--output",
        "trend:same;mask=query_mask",
        "--output",
        "residual:same;mask=query_mask",
        "--call-arg",
        "start_index:int=0",
        "--method",
        "rotate_half:x",
        "--method-body",
        "rotate_half=rotate_half.py",
        "--masking",
        "use",
        "--training-forward",
        "--body",
        "body.py",
        "--example-input",
        "query=2,5,8;value=2,7,8;call_args={start_index: 2}",
        "--stdout",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "class Block(" in text
    assert "self.ffn = keras.layers.Dense(" in text
    assert 'activation="relu"' in text
    assert "def build(self, query_shape, value_shape):" in text
    assert "return trend, residual" in text
    assert "def rotate_half(self, x):" in text


def test_shell_completion() -> None:
    script = run(
        "--show-completion", "bash", _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1"
    )
    assert script.returncode == 0 and "_klgen_completion" in script.stdout
    completed = run(
        COMP_WORDS="klgen ne", COMP_CWORD="1", _KLGEN_COMPLETE="complete_bash"
    )
    assert completed.stdout.split() == ["new"]
    completed = run(
        COMP_WORDS="klgen new --exa",
        COMP_CWORD="2",
        _KLGEN_COMPLETE="complete_bash",
    )
    assert completed.stdout.split() == ["--example", "--example-input"]


def test_config_says_where_each_value_comes_from(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.klgen]\ntarget = "tf-keras"\n',
        encoding="utf-8",
    )
    (tmp_path / "src" / "demo").mkdir(parents=True)
    (tmp_path / "src" / "demo" / "__init__.py").write_text("", encoding="utf-8")
    result = run("config", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = {line.split(" = ")[0].strip(): line for line in result.stdout.splitlines()}
    assert lines["package"].endswith("# inferred: [project].name = 'demo'")
    assert '"src/demo/layers"' in lines["layers_dir"]
    assert lines["layers_dir"].endswith(
        "# inferred: `layers` inside the package src/demo"
    )
    assert lines["target"].endswith("# pyproject.toml [tool.klgen]")
    assert lines["exports"].endswith("# default")
    data = json.loads(run("config", "--json", cwd=tmp_path).stdout)
    assert data["settings"]["target"] == {
        "value": "tf-keras",
        "origin": "pyproject.toml [tool.klgen]",
    }
    assert data["settings"]["tests_dir"]["value"] == "tests"
    assert data["settings"]["tests_dir"]["origin"] == "default"


def test_config_never_imports_keras(tmp_path: Path) -> None:
    probe = (
        "import sys\nfrom keraslayer_gen.cli import app\n"
        "try:\n    app(args=['config'], prog_name='klgen')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('keras', 'tensorflow', 'jax', 'torch', 'tf_keras')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.stdout.splitlines()[-1] == "[]", result.stderr


def test_verify_suggests_like_new_does(tmp_path: Path) -> None:
    """Mistyped options of `klgen verify` get the same did-you-mean as `klgen new`; none
    of these starts a backend."""
    layer = tmp_path / "scale.py"
    layer.write_text(
        "import keras\n\n\n@keras.saving.register_keras_serializable()\n"
        "class Scale(keras.layers.Layer):\n    def call(self, inputs):\n"
        "        return inputs\n",
        encoding="utf-8",
    )
    target = f"{layer}:Scale"
    cases = [
        (
            ["--backend", "tf"],
            "--backend: unknown backend `tf` (did you mean `tensorflow`?); backends "
            "are tensorflow, jax, torch",
        ),
        (
            ["--backend", "pytorch"],
            "--backend: unknown backend `pytorch` (did you mean `torch`?); backends "
            "are tensorflow, jax, torch",
        ),
        (
            ["--masking", "propogate"],
            "--masking propogate: expected none, propagate, use, consume or custom "
            "(did you mean `propagate`?)",
        ),
        (
            ["--init", "{units: ["],
            "--init {units: [: not a YAML or JSON mapping (expected the node content, "
            "but found '<stream end>'); e.g. --init '{units: 4}' or --init "
            "'{\"units\": 4}'",
        ),
        (
            ["--init", "[1]"],
            "--init [1]: expected a mapping of __init__ arguments, e.g. '{units: 4}'",
        ),
    ]
    for args, message in cases:
        result = run("verify", target, "--input-shape", "2,3", *args, cwd=tmp_path)
        assert (result.returncode, result.stderr.strip()) == (2, message), args


def test_verify_init_takes_yaml_as_a_spec_does() -> None:
    from keraslayer_gen.cli.verify_plan import _init

    assert _init("{units: 4, use_bias: false}") == {"units": 4, "use_bias": False}
    assert _init('{"units": 4, "use_bias": false}') == {"units": 4, "use_bias": False}
    assert _init("{activation: null}") == {"activation": None}
