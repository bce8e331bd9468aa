"""klgen's caches (black's output, compiled templates) never hide a change: with them
warm, `klgen check` still sees a changed spec, a hand-edited file and a new klgen version,
and a damaged or unwritable cache only costs speed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest

from keraslayer_gen.generate import formatting, render
from keraslayer_gen.workflows import new as new_workflow

from .helpers import klgen
from .test_hostile import scale_spec

PYPROJECT = """\
[project]
name = "proj"

[tool.klgen]
package = "proj"
layers_dir = "layers"
tests_dir = "tests"
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A cache folder of this test's own, empty at the start."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("KLGEN_CACHE_DIR", str(folder))
    monkeypatch.delenv("KLGEN_NO_CACHE", raising=False)
    formatting.cache_dir.cache_clear()
    render.environment.cache_clear()
    yield folder
    formatting.cache_dir.cache_clear()
    render.environment.cache_clear()


def _repository(root: Path) -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / "layers").mkdir()
    for name, factor in (("Scale", 2.0), ("Shift", 3.0)):
        spec = root / "layers" / f"{name.lower()}.klgen.yaml"
        spec.write_text(scale_spec(factor, name=name), encoding="utf-8")
        made = klgen(root, ["new", "--spec", str(spec.relative_to(root))])
        assert made.exit_code == 0, made.output
    return root


def _check(root: Path) -> tuple[int, str]:
    result = klgen(root, ["check"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, result.stdout


def test_check_with_a_warm_cache_sees_every_change(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repository(tmp_path / "repo")
    assert _check(root) == (0, "")
    assert list((cache / "black").glob("*/*")), "the cold run filled the cache"
    assert list((cache / "jinja").glob("*/*.cache"))
    assert _check(root) == (0, "")  # warm

    spec = root / "layers" / "scale.klgen.yaml"
    original = spec.read_text(encoding="utf-8")
    spec.write_text(original.replace("2.0", "2.5"), encoding="utf-8")
    code, out = _check(root)
    assert code == 1 and "layers/scale.py: out of date" in out and "shift" not in out
    spec.write_text(original, encoding="utf-8")
    assert _check(root) == (0, "")

    layer = root / "layers" / "shift.py"
    text = layer.read_text(encoding="utf-8")
    layer.write_text(
        text.replace("    def call(", "    # edited\n    def call(", 1), "utf-8"
    )
    code, out = _check(root)
    assert code == 1 and "layers/shift.py: edited outside its user regions" in out
    layer.write_text(text, encoding="utf-8")
    assert _check(root) == (0, "")

    monkeypatch.setattr(new_workflow, "__version__", "99.0.0")
    code, out = _check(root)
    assert code == 1
    for name in ("layers/scale.py", "layers/shift.py", "tests/test_scale.py"):
        assert f"{name}: out of date" in out, out


def test_damaged_black_cache_entries_are_rebuilt_by_their_key(cache: Path) -> None:
    """An entry is named by the hash of black's input: a new input is a new entry, and an
    entry that cannot be read is formatted again."""
    source = "x  =  1\n"
    assert formatting.format_code(source) == "x = 1\n"
    (entry,) = (cache / "black").glob("*/*")
    entry.write_bytes(b"\xff\xfe not utf-8")
    assert formatting.format_code(source) == "x = 1\n"


def _render(folder: Path, text: str, **options: bool) -> str:
    """Render `t.jinja` in a new environment, as a new klgen process would."""
    (folder / "t.jinja").write_text(text, encoding="utf-8")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), **options)
    env.bytecode_cache = render._bytecode_cache(env)
    return env.get_template("t.jinja").render(x=1)


def test_jinja_bytecode_cache_follows_the_template_and_the_options(
    cache: Path, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    assert _render(templates, "A {{ x }}") == "A 1"
    assert list((cache / "jinja").glob("*/*.cache"))
    assert _render(templates, "B {{ x }}") == "B 1"  # same name, new source
    text = "{% if x %}\nyes{% endif %}"
    assert _render(templates, text, trim_blocks=True) == "yes"
    assert _render(templates, text, trim_blocks=False) == "\nyes"
    for entry in (cache / "jinja").glob("*/*.cache"):
        entry.write_bytes(b"garbage")
    assert _render(templates, "C {{ x }}") == "C 1"


def test_unwritable_cache_only_costs_speed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("KLGEN_CACHE_DIR", str(blocker))
    formatting.cache_dir.cache_clear()
    render.environment.cache_clear()
    try:
        templates = tmp_path / "templates"
        templates.mkdir()
        assert _render(templates, "A {{ x }}") == "A 1"
        assert formatting.format_code("y  =  2\n") == "y = 2\n"
        root = _repository(tmp_path / "repo")
        assert _check(root) == (0, "")
    finally:
        formatting.cache_dir.cache_clear()
        render.environment.cache_clear()
