"""The generation path never imports Keras or a backend: `klgen new`, `examples` and
`schema` run in a subprocess, which then reports what its `sys.modules` holds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from keraslayer_gen import api
from tests.catalogue import examples_for

BACKENDS = ("keras", "tensorflow", "jax", "jaxlib", "torch", "tf_keras")

PROBE = """
import json, sys
from keraslayer_gen.cli import app
codes = []
for argv in json.loads(sys.argv[1]):
    try:
        app(args=argv, prog_name="klgen")
    except SystemExit as exc:
        codes.append(exc.code)
backends = set(json.loads(sys.argv[2]))
loaded = sorted(m for m in sys.modules if m.split(".")[0] in backends)
print(json.dumps({"exits": codes, "backends": loaded}))
"""


def _run(
    tmp_path: Path, commands: list[list[str]], prelude: str = ""
) -> dict[str, object]:
    """Run `klgen COMMAND` for each command in one fresh interpreter; its report."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            prelude + PROBE,
            json.dumps(commands),
            json.dumps(BACKENDS),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_new_from_every_example_imports_no_backend(tmp_path: Path) -> None:
    examples = api.example_names()
    commands = [["new", "--example", name, "--out", name] for name in examples]
    commands += [
        ["new", "--example", name, "--out", f"tf-{name}", "--target", "tf-keras"]
        for name in examples_for("tf-keras")
    ]
    report = _run(tmp_path, commands)
    assert report == {"exits": [0] * len(commands), "backends": []}
    for name in examples:
        assert len(list((tmp_path / name).iterdir())) == 2


def test_new_from_a_spec_and_from_flags_imports_no_backend(tmp_path: Path) -> None:
    (tmp_path / "s.klgen.yaml").write_text(api.example_text("decaying-dropout"))
    (tmp_path / "body.py").write_text("outputs = inputs * self.factor\n")
    (tmp_path / "fuse.py").write_text(
        "outputs = first * self.gate(first) * math.e + second\n"
    )
    commands = [
        ["new", "--spec", "s.klgen.yaml", "--out", "a"],
        [
            "new",
            "Scale",
            "--arg",
            "factor:float=2.0",
            "--body",
            "body.py",
            "--out",
            "b",
        ],
        ["new", "Scale", "--arg", "factor:float=2.0", "--body", "body.py", "--stdout"],
        [
            "new",
            "Fuse",
            "--input",
            "first:min_ndim=2",
            "--input",
            "second:min_ndim=2",
            "--input-list",
            "--layer",
            'gate:Dense;units=1;activation="sigmoid";build=first_shape',
            "--import",
            "math",
            "--body",
            "fuse.py",
            "--out",
            "c",
        ],
        ["new", "--example", "dense", "--out", "a", "--dry-run", "--diff"],
        ["examples"],
        ["schema"],
        ["--version"],
    ]
    report = _run(tmp_path, commands)
    assert report == {"exits": [0] * len(commands), "backends": []}
    assert (tmp_path / "b" / "scale.py").is_file()
    assert "self.gate = keras.layers.Dense(" in (tmp_path / "c" / "fuse.py").read_text()


def test_the_probe_would_see_a_backend(tmp_path: Path) -> None:
    """The probe is not blind: a `keras.ops` module loaded before it is reported (a
    stand-in module, so that this test stays fast and Keras-free)."""
    fake = (
        "import sys, types\nsys.modules['keras.ops'] = types.ModuleType('keras.ops')\n"
    )
    report = _run(tmp_path, [["--version"]], prelude=fake)
    assert report == {"exits": [0], "backends": ["keras.ops"]}
