"""The JSON Schema where every saved spec's `$schema` modeline points (issue 13.6)."""

from __future__ import annotations

import json
from collections.abc import Callable

import jsonschema
import yaml

from keraslayer_gen.spec.schema import SCHEMA_NAME, schema_text, spec_schema

from .conftest import GitRepo

PYPROJECT = '[project]\nname = "demo"\n\n[tool.klgen]\nlayers_dir = "demo/layers"\n'
SCHEMA = f"demo/layers/{SCHEMA_NAME}"
SPEC = "demo/layers/scale.klgen.yaml"


def test_init_and_new_write_it_where_the_modeline_points(
    make_repo: Callable[..., GitRepo],
) -> None:
    repo = make_repo({"pyproject.toml": PYPROJECT, "demo/__init__.py": ""})
    assert f"create    {SCHEMA}" in repo.klgen("init").out.splitlines()
    repo.commit("init")
    result = repo.klgen("new", "Scale", "--arg", "factor:float=2.0", "--summary", "S.")
    assert SCHEMA not in result.out  # there already, current: not worth a line
    spec_text = repo.read(SPEC)
    assert spec_text.startswith(f"# yaml-language-server: $schema={SCHEMA_NAME}\n")
    # The file the modeline names validates the spec klgen saved.
    schema = json.loads(repo.read(SCHEMA))
    assert schema == json.loads(json.dumps(spec_schema()))
    jsonschema.validate(yaml.safe_load(spec_text), schema)
    repo.klgen("check")


def test_new_writes_it_when_missing_and_check_reports_it(
    make_repo: Callable[..., GitRepo],
) -> None:
    repo = make_repo({"pyproject.toml": PYPROJECT, "demo/__init__.py": ""})
    out = repo.klgen("new", "Scale", "--arg", "factor:float=2.0", "--summary", "S.").out
    assert f"create    {SCHEMA}" in out.splitlines()
    repo.commit("Scale")
    (repo.path / SCHEMA).unlink()
    assert repo.klgen("check", code=1).out == (
        f"{SCHEMA}: missing; the specs' `$schema` modeline points at it; "
        "run `klgen sync`\n"
    )
    assert f"create    {SCHEMA}" in repo.klgen("sync").out.splitlines()
    assert repo.read(SCHEMA) == schema_text()
    # An older klgen's schema (another $id-compatible text) is stale and refreshed.
    (repo.path / SCHEMA).write_text(
        json.dumps({"$id": "https://klgen.dev/schema/klgen-spec-1.json"}),
        encoding="utf-8",
    )
    assert repo.klgen("check", code=1).out == (
        f"{SCHEMA}: stale (not this klgen's spec schema); run `klgen sync`\n"
    )
    assert f"update    {SCHEMA}" in repo.klgen("sync").out.splitlines()
    repo.klgen("check")
    assert repo.status() == []


def test_a_foreign_file_of_that_name_is_never_overwritten(
    make_repo: Callable[..., GitRepo],
) -> None:
    repo = make_repo(
        {
            "pyproject.toml": PYPROJECT,
            "demo/__init__.py": "",
            SCHEMA: '{"title": "my own schema"}\n',
        }
    )
    result = repo.klgen("init", code=2)
    assert f"conflict  {SCHEMA}  (exists and is not klgen's spec schema" in result.err
    assert "1 conflict(s); nothing was written" in result.err
    assert repo.status() == []  # all or nothing: pyproject.toml untouched too
    assert repo.read(SCHEMA) == '{"title": "my own schema"}\n'


def test_a_spec_without_the_modeline_needs_no_schema(
    make_repo: Callable[..., GitRepo],
) -> None:
    repo = make_repo({"pyproject.toml": PYPROJECT, "demo/__init__.py": ""})
    repo.klgen("new", "Scale", "--arg", "factor:float=2.0", "--summary", "S.")
    (repo.path / SCHEMA).unlink()
    text = repo.read(SPEC).split("\n", 1)[1]  # a spec written by hand: no modeline
    (repo.path / SPEC).write_text(text, encoding="utf-8")
    repo.klgen("check")
    assert SCHEMA not in repo.klgen("sync").out
    assert not (repo.path / SCHEMA).exists()
