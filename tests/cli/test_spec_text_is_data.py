"""Spec text is data: quotes, triple quotes, backslashes, Jinja syntax and Python code in
summaries, docs and string defaults reach the generated files intact, and nothing of it
is ever evaluated (by Jinja) or executed (by Python)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from keraslayer_gen.spec.load import load_spec_file
from tests.spec.runner import run_klgen

#: Running any of this would create a file named PWNED.
PAYLOAD = "__import__('os').system('touch PWNED')"
SUMMARY = (
    'Has """triple""" and \'\'\' quotes, a \\ backslash, {{ 7 * 7 }}, '
    f"{{% if true %}}jinja{{% endif %}}, {{# note #}} and {PAYLOAD}."
)
DESCRIPTION = (
    "First paragraph with a trailing backslash \\\n"
    f"and {{{{ config.__class__ }}}} then {PAYLOAD} plus \\n and \\t literally.\n"
    "\n"
    "{%- raw %} Second paragraph: \"\"\" and ''' and {% endraw %} done.\n"
)
DEFAULT = f'""" \'\'\' \\ \\n {{{{ 1 + 1 }}}} {{% raw %}} {PAYLOAD} "quoted" \\'
DOC = f'Doc with """ and {{{{ x }}}} and \\ and {{%- if 1 %}} and {PAYLOAD}.'
INIT_VALUE = f"{{{{ 2 * 2 }}}} ''' \"\"\" \\ {PAYLOAD}"
REFERENCE = f'[Ref]({{{{ url }}}}) """ \\ {PAYLOAD}'

SPEC = yaml.safe_dump(
    {
        "klgen": 1,
        "name": "Hostile",
        "summary": SUMMARY,
        "description": DESCRIPTION,
        "references": [REFERENCE],
        "args": {"label": {"type": "str", "default": DEFAULT, "doc": DOC}},
        "examples": [{"input_shape": [2, 3], "init": {"label": INIT_VALUE}}],
    },
    sort_keys=False,
    allow_unicode=True,
)


def _words(text: str) -> str:
    return " ".join(text.split())


def _class(tree: ast.Module, name: str) -> ast.ClassDef:
    return next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)


def _init_default(cls: ast.ClassDef, arg: str) -> object:
    init = next(
        n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"
    )
    names = [a.arg for a in init.args.args][-len(init.args.defaults) :]
    defaults = dict(zip(names, init.args.defaults, strict=True))
    return ast.literal_eval(defaults[arg])


def _check_layer(text: str) -> None:
    tree = ast.parse(text)  # compiles: quotes and backslashes were escaped right
    compile(text, "hostile.py", "exec")
    # The summary lives in the class docstring only, as in Keras's own modules.
    assert ast.get_docstring(tree, clean=False) is None
    docstring = ast.get_docstring(_class(tree, "Hostile"))
    assert docstring is not None
    first_paragraph = docstring.split("\n\n")[0]
    assert _words(first_paragraph) == _words(SUMMARY)  # wrapped at 80 columns
    assert _words(DESCRIPTION) in _words(docstring)  # reflowed, never altered
    assert _words(DOC) in _words(docstring)
    assert _words(REFERENCE) in _words(docstring)
    assert "49" not in docstring  # `{{ 7 * 7 }}` was not rendered
    assert _init_default(_class(tree, "Hostile"), "label") == DEFAULT


def _ruff_clean(folder: Path) -> None:
    """The generated files pass ruff as the golden records do: no invalid escapes (W605),
    no syntax problems, with hostile text inside."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed")
    result = subprocess.run(
        [
            ruff,
            "check",
            "--isolated",
            "--no-cache",
            "--extend-select",
            "B,UP,W",
            str(folder),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _check_test_file(text: str) -> None:
    tree = ast.parse(text)
    compile(text, "test_hostile.py", "exec")
    constants = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    assert INIT_VALUE in constants


def test_hostile_spec_text_survives_and_is_never_run(tmp_path: Path) -> None:
    (tmp_path / "hostile.klgen.yaml").write_text(SPEC, encoding="utf-8")
    outcome = run_klgen(
        tmp_path, ["new", "--spec", "hostile.klgen.yaml", "--out", "out"]
    )
    assert outcome.exit_code == 0, outcome.stderr
    _check_layer((tmp_path / "out" / "hostile.py").read_text(encoding="utf-8"))
    _check_test_file((tmp_path / "out" / "test_hostile.py").read_text(encoding="utf-8"))
    _ruff_clean(tmp_path / "out")
    assert not list(tmp_path.rglob("PWNED")) and not Path("PWNED").exists()


def _flag_value(text: str) -> str:
    """A string as a `--arg`/`--example-input` value: double-quoted YAML, `;` escaped."""
    quoted = yaml.safe_dump(text, default_style='"', width=10**9).strip()
    return quoted.removesuffix("...").strip().replace(";", "\\;")


def test_hostile_text_from_flags_survives_and_is_saved_intact(tmp_path: Path) -> None:
    argv = [
        "new",
        "Hostile",
        "--summary",
        SUMMARY,
        "--description",
        DESCRIPTION,
        "--reference",
        REFERENCE,
        "--arg",
        f"label:str={_flag_value(DEFAULT)};doc={DOC.replace(';', chr(92) + ';')}",
        "--example-input",
        f"2,3;init={{label: {_flag_value(INIT_VALUE)}}}",
        "--out",
        "out",
        "--save-spec",
        "out/hostile.klgen.yaml",
    ]
    outcome = run_klgen(tmp_path, argv)
    assert outcome.exit_code == 0, outcome.stderr
    _check_layer((tmp_path / "out" / "hostile.py").read_text(encoding="utf-8"))
    _check_test_file((tmp_path / "out" / "test_hostile.py").read_text(encoding="utf-8"))
    saved = load_spec_file(tmp_path / "out" / "hostile.klgen.yaml")
    assert saved.summary == SUMMARY
    assert saved.description == DESCRIPTION
    assert saved.references == [REFERENCE]
    assert saved.args["label"].default == DEFAULT
    assert saved.args["label"].doc == DOC
    assert saved.examples[0].init == {"label": INIT_VALUE}
    assert not list(tmp_path.rglob("PWNED")) and not Path("PWNED").exists()
