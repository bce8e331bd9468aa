"""The wheel, installed alone into a fresh virtual environment, generates layers: so a
template or example missing from the wheel fails here, not for a user.

The environment gets the wheel and its core dependencies only (no Keras, no backend).
Installing them with pip from the index and pip's cache takes some 5 s; a wheelhouse
made with `pip download` first was no faster (the download is the same work), so the
test installs directly. The outer environment's pip installs into a `--without-pip`
venv, which saves creating a second pip (another 4 s).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import keraslayer_gen
from keraslayer_gen import api
from tests.catalogue import examples_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("keras", "tensorflow", "jax", "torch", "tf_keras")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    python: Path
    klgen: Path
    work: Path  # an empty folder outside the checkout, the cwd of every command

    def run(
        self, *argv: str | Path, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "VIRTUAL_ENV")
        }
        result = subprocess.run(
            [str(a) for a in argv],
            cwd=self.work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check:
            assert result.returncode == 0, f"{argv}:\n{result.stdout}\n{result.stderr}"
        return result


def _build_wheel(out: Path) -> Path:
    command = [sys.executable, "-m", "build", "--wheel", "--outdir", str(out)]
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-isolation")  # the build backend is here already: 0.5 s
    subprocess.run(command + [str(ROOT)], check=True, capture_output=True, timeout=600)
    (wheel,) = out.glob("keraslayer_gen-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(base / "dist")
    venv = base / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True
    )
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / ("python.exe" if os.name == "nt" else "python")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    work = base / "work"
    work.mkdir()
    return Installed(wheel, python, bin_dir / "klgen", work)


def test_templates_and_examples_are_inside_the_wheel(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    templates = sorted(p for p in (ROOT / "templates").rglob("*") if p.is_file())
    assert templates, "no templates in the checkout"
    for path in templates:
        rel = path.relative_to(ROOT / "templates").as_posix()
        assert (
            f"keraslayer_gen/templates/{rel}" in names
        ), f"{rel} is missing from the wheel"
    for example in api.example_names():
        assert f"keraslayer_gen/examples/{example}.klgen.yaml" in names
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    text = zipfile.ZipFile(installed.wheel).read(entry_points).decode()
    assert "klgen = keraslayer_gen.cli:app" in text


def test_the_installed_package_is_the_wheel_not_the_checkout(
    installed: Installed,
) -> None:
    result = installed.run(
        installed.python, "-c", "import keraslayer_gen; print(keraslayer_gen.__file__)"
    )
    location = Path(result.stdout.strip())
    assert installed.python.parent.parent in location.parents
    assert ROOT not in location.parents
    version = installed.run(installed.klgen, "--version").stdout.strip()
    assert version == f"klgen {keraslayer_gen.__version__}"


def _first_example(installed: Installed) -> str:
    listing = installed.run(installed.klgen, "examples").stdout.splitlines()
    names = [line.split()[0] for line in listing if line.strip()]
    assert names, "klgen examples lists nothing"
    return "dense" if "dense" in names else names[0]


def test_klgen_new_from_the_wheel_writes_files_that_compile(
    installed: Installed,
) -> None:
    example = _first_example(installed)
    out = installed.work / "layers"
    result = installed.run(installed.klgen, "new", "--example", example, "--out", out)
    written = sorted(p.name for p in out.iterdir())
    module = api.load_example(example).spec.module_name
    assert written == sorted([f"{module}.py", f"test_{module}.py"])
    for name in written:
        assert f"create    {name}" in result.stdout
        text = (out / name).read_text(encoding="utf-8")
        compile(text, name, "exec")  # raises on a syntax error
        assert (
            f"# Generated by klgen {keraslayer_gen.__version__} from example:{example}."
            in text
        )


@pytest.mark.parametrize("target", ["keras3", "tf-keras"])
def test_every_example_from_the_wheel_equals_the_checkout(
    installed: Installed, tmp_path: Path, target: str
) -> None:
    """Same templates, same formatter: byte-identical output from both installations."""
    for example in examples_for(target):
        wheel_out = installed.work / f"all-{target}" / example
        installed.run(
            installed.klgen,
            "new",
            "--example",
            example,
            "--target",
            target,
            "--out",
            wheel_out,
        )
        plan = api.generate(example, out=tmp_path / target / example, target=target)
        for change in plan.changes:
            wheel_text = (wheel_out / change.path.name).read_text(encoding="utf-8")
            assert wheel_text == change.text, f"{example}/{change.path.name} differs"


def test_no_keras_in_the_environment_and_none_imported(installed: Installed) -> None:
    probe = (
        "import importlib.util, sys\n"
        f"backends = {BACKENDS!r}\n"
        "print([b for b in backends if importlib.util.find_spec(b) is not None])\n"
        "import keraslayer_gen.cli.main\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in backends))\n"
    )
    installable, imported = installed.run(
        installed.python, "-c", probe
    ).stdout.splitlines()
    assert installable == "[]", "the fresh environment has a Keras or backend installed"
    assert imported == "[]"
