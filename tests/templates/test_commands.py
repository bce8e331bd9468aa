"""`klgen templates list` and `klgen templates eject`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from keraslayer_gen.generate.context import TEMPLATE_API
from keraslayer_gen.generate.overlay import builtin_names

from .conftest import HEADER, builtin, klgen

BUILTINS = [
    "base/layer.py.jinja",
    "keras3/layer.py.jinja",
    "keras3/test_layer.py.jinja",
    "macros/docstring.jinja",
    "macros/header.jinja",
    "macros/layer.jinja",
    "macros/regions.jinja",
    "tf_keras/layer.py.jinja",
    "tf_keras/test_layer.py.jinja",
]


def test_list_shows_the_built_ins_and_what_an_overlay_overrides(
    overlay: Callable[..., Path], tmp_path: Path
) -> None:
    assert builtin_names() == BUILTINS
    plain = klgen("templates", "list", cwd=tmp_path)
    assert plain.code == 0
    assert plain.out.splitlines() == [
        f"klgen's templates (template API {TEMPLATE_API}); no overlay:",
        *(f"  {name}" for name in BUILTINS),
    ]

    overlay(
        {
            "macros/header.jinja": '{% from "macros/licence.jinja" import l %}'
            + HEADER,
            "macros/licence.jinja": "{% macro l() %}# MIT{% endmacro %}",
            "keras3/layr.py.jinja": "",
        }
    )
    result = klgen("templates", "list", "--templates", "overlay", cwd=tmp_path)
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].startswith(
        f"klgen's templates (template API {TEMPLATE_API}); overlay overlay "
        f"(template_api: {TEMPLATE_API}, digest "
    )
    assert (
        "  macros/header.jinja           overridden by overlay/macros/header.jinja"
        in lines
    )
    assert "  keras3/layer.py.jinja" in lines
    assert "  macros/licence.jinja          overlay only (used by the overlay)" in lines
    assert (
        "  keras3/layr.py.jinja          overlay only (not used by any template)"
        in lines
    )


def test_list_reads_the_configured_overlay(
    overlay: Callable[..., Path], tmp_path: Path
) -> None:
    overlay({"macros/header.jinja": HEADER}, name="klgen_templates")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.klgen]\ntemplates = "klgen_templates"\n'
    )
    # From a subfolder of the repository: paths relative to it when inside it.
    result = klgen("templates", "list", cwd=tmp_path / "klgen_templates" / "macros")
    assert result.code == 0
    assert (
        f"overlay {tmp_path / 'klgen_templates'} (template_api: {TEMPLATE_API}, digest"
        in result.out
    )
    assert "  macros/header.jinja           overridden by header.jinja\n" in result.out


def test_eject_copies_a_built_in_and_declares_the_api(tmp_path: Path) -> None:
    result = klgen(
        "templates", "eject", "keras3/layer.py.jinja", "--to", "mine", cwd=tmp_path
    )
    assert result.code == 0, result.text
    assert result.out.splitlines() == [
        "create    mine/keras3/layer.py.jinja",
        "create    mine/klgen-templates.toml",
    ]
    assert "--templates mine" in result.err  # how to use it next
    copied = tmp_path / "mine" / "keras3" / "layer.py.jinja"
    assert copied.read_text(encoding="utf-8") == builtin("keras3/layer.py.jinja")
    assert (
        (tmp_path / "mine" / "klgen-templates.toml")
        .read_text()
        .endswith(f"template_api = {TEMPLATE_API}\n")
    )

    again = klgen(
        "templates", "eject", "keras3/layer.py.jinja", "--to", "mine", cwd=tmp_path
    )
    assert again.code == 0 and again.out == "identical mine/keras3/layer.py.jinja\n"

    copied.write_text("# ours\n", encoding="utf-8")
    refused = klgen(
        "templates", "eject", "keras3/layer.py.jinja", "--to", "mine", cwd=tmp_path
    )
    assert refused.code == 2
    assert "conflict  mine/keras3/layer.py.jinja  (exists and differs; use --force" in (
        refused.err
    )
    assert copied.read_text() == "# ours\n"
    forced = klgen(
        "templates",
        "eject",
        "keras3/layer.py.jinja",
        "--to",
        "mine",
        "--force",
        cwd=tmp_path,
    )
    assert forced.code == 0 and forced.out == "update    mine/keras3/layer.py.jinja\n"
    assert copied.read_text(encoding="utf-8") == builtin("keras3/layer.py.jinja")


def test_eject_into_the_configured_overlay_and_refusals(tmp_path: Path) -> None:
    unknown = klgen(
        "templates", "eject", "keras3/layer.jinja", "--to", "x", cwd=tmp_path
    )
    assert unknown.code == 2
    assert (
        "`keras3/layer.jinja` is not a built-in template (did you mean "
        "`keras3/layer.py.jinja`?)"
    ) in unknown.err
    nowhere = klgen("templates", "eject", "macros/header.jinja", cwd=tmp_path)
    assert nowhere.code == 2 and "give the overlay folder with --to DIR" in nowhere.err
    assert not (tmp_path / "x").exists()

    (tmp_path / "pyproject.toml").write_text('[tool.klgen]\ntemplates = "tpl"\n')
    result = klgen("templates", "eject", "macros/header.jinja", cwd=tmp_path)
    assert result.code == 0, result.text
    assert (tmp_path / "tpl" / "macros" / "header.jinja").is_file()
    assert "next:" not in result.err  # already configured


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    result = klgen(
        "templates",
        "eject",
        "macros/header.jinja",
        "--to",
        "t",
        "--dry-run",
        cwd=tmp_path,
    )
    assert result.code == 0 and "create    t/macros/header.jinja" in result.out
    assert not (tmp_path / "t").exists()
