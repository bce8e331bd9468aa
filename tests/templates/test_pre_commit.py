"""The `klgen-templates` hook under the real `pre-commit`, as docs/templates.md tells a
repository to add it (`repo: local`, running this environment's `klgen`)."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

import pytest
import yaml

from .conftest import HEADER, ROOT, GitRepo, write_overlay

PYPROJECT = '[project]\nname = "demo"\n\n[tool.klgen]\ntemplates = "klgen_templates"\n'


def documented_hooks() -> str:
    """The `repo: local` snippet of docs/templates.md, verbatim."""
    docs = (ROOT / "docs" / "templates.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", docs, re.DOTALL)
    (snippet,) = [b for b in blocks if "id: klgen-templates" in b]
    return snippet


def commit(repo: GitRepo, message: str) -> tuple[bool, str]:
    repo.git("add", "-A")
    result = repo.run("git", "commit", "-q", "-m", message, check=False)
    return result.code == 0, result.text


@pytest.mark.slow  # pre-commit builds the hook environment: 10-20 s
def test_the_hook_stops_a_broken_overlay_with_its_location(
    make_repo: Callable[..., GitRepo],
) -> None:
    config = "repos:\n" + documented_hooks()
    (hook,) = yaml.safe_load(config)["repos"][0]["hooks"]
    assert (
        hook["files"] == "^klgen_templates/"
        and hook["entry"] == "klgen templates check"
    )
    repo = make_repo(
        {
            "pyproject.toml": PYPROJECT,
            "demo/__init__.py": "",
            ".pre-commit-config.yaml": config,
        },
        subprocess=True,
    )
    write_overlay(repo.path / "klgen_templates", {"macros/header.jinja": HEADER})
    repo.klgen("new", "Scale", "--arg", "factor:float=2.0;min=0")
    repo.run(sys.executable, "-m", "pre_commit", "install")
    ok, output = commit(repo, "an overlay and a layer")
    assert ok, output
    assert re.search(r"klgen templates check\.+Passed", output), output

    repo.replace(
        "klgen_templates/macros/header.jinja",
        "{{ klgen_header(ctx) }}",
        "{{ klgen_header(ctx) }}{{ ctx.clas_name }}",
    )
    ok, output = commit(repo, "a misspelt field")
    assert not ok
    assert re.search(r"klgen templates check\.+Failed", output), output
    where = (
        "klgen_templates/macros/header.jinja:4: undefined: `LayerContext` has no "
        "attribute `clas_name` (did you mean `class_name`?)"
    )
    lines = [line for line in output.splitlines() if line.startswith(where)]
    assert any("example:dense, keras3" in line for line in lines), output
    assert any("demo/layers/scale.klgen.yaml, keras3" in line for line in lines), output

    repo.replace("klgen_templates/macros/header.jinja", "{{ ctx.clas_name }}", "")
    repo.replace("klgen_templates/macros/header.jinja", "Test Corp", "Other Corp")
    ok, output = commit(repo, "fixed, and another licensor")
    assert ok, output

    repo.write({"README.md": "A project.\n"})
    ok, output = commit(repo, "not the overlay")
    assert ok, output
    assert re.search(r"klgen templates check\.+\(no files to check\)Skipped", output)
    assert repo.status() == []
