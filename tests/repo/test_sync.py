"""`klgen sync`: spec-owned code follows the spec, user regions are kept verbatim, files
edited outside their regions are conflicts left alone, and layers regenerate where they are.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from keraslayer_gen import api
from keraslayer_gen.files.header import stamp
from keraslayer_gen.files.layout import load_layout
from keraslayer_gen.lint.config_keys import returned_keys
from keraslayer_gen.lint.driver import lint_source
from keraslayer_gen.workflows.sync import plan_sync, write_sync

from .conftest import GitRepo

PYPROJECT = '[project]\nname = "demo"\n\n[tool.klgen]\nlayers_dir = "demo/layers"\n'
LAYER, SPEC, TEST = (
    "demo/layers/scale.py",
    "demo/layers/scale.klgen.yaml",
    "tests/test_scale.py",
)
BODY = "outputs = inputs * self.factor\n"


def scale_repo(make_repo: Callable[..., GitRepo]) -> GitRepo:
    repo = make_repo({"pyproject.toml": PYPROJECT, "demo/__init__.py": ""})
    repo.klgen("new", "Scale", "--arg", "factor:float=2.0;min=0", "--training")
    repo.replace(LAYER, "            outputs = inputs\n", "            " + BODY)
    repo.commit("Scale")
    return repo


def method(tree: ast.Module, name: str) -> ast.FunctionDef:
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    return next(
        n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == name
    )


def test_new_arg_and_weight_reach_every_place_and_the_body_stays(
    make_repo: Callable[..., GitRepo],
) -> None:
    repo = scale_repo(make_repo)
    repo.replace(
        SPEC,
        "  factor: {type: float, default: 2.0, min: 0.0}\n",
        "  factor: {type: float, default: 2.0, min: 0.0}\n"
        "  rate: {type: float, default: 0.5, range: '[0, 1]', doc: How much.}\n"
        "weights:\n  scale:\n    shape: ['input_shape[-1]']\n    initializer: ones\n",
    )
    sync = plan_sync(load_layout(repo.path))
    assert [(c.path.name, c.status) for c in sync.changes()] == [
        ("scale.py", "update"),
        ("test_scale.py", "update"),  # it asserts the spec's weight counts
    ]
    write_sync(sync)
    text = repo.read(LAYER)
    tree = ast.parse(text)
    init = method(tree, "__init__")
    assert [a.arg for a in init.args.args] == ["self", "factor", "rate"]
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    assert "        rate: How much. Defaults to `0.5`.\n" in ast.get_docstring(
        cls, clean=False
    )
    keys = returned_keys(method(tree, "get_config"))
    assert keys is not None and {"factor", "rate"} <= keys.keys
    build = ast.unparse(method(tree, "build"))
    assert "self.scale = self.add_weight(name='scale'" in build
    call = method(tree, "call")
    assert "# klgen: begin user region `training`\n            " + BODY in text
    assert "outputs = inputs * self.factor" in ast.unparse(call)
    assert lint_source(text, LAYER) == []
    assert {c.status for c in plan_sync(load_layout(repo.path)).changes()} == {
        "identical"
    }


def test_hand_edit_is_a_conflict_left_alone_unless_forced(
    make_repo: Callable[..., GitRepo],
) -> None:
    repo = scale_repo(make_repo)
    repo.klgen("new", "Gate", "--arg", "units:int=4")
    repo.commit("Gate")
    repo.replace(
        LAYER, "        self.factor = factor\n", "        self.factor = float(factor)\n"
    )
    repo.replace("demo/layers/gate.klgen.yaml", "default: 4", "default: 5")
    edited = repo.read(LAYER)
    result = repo.klgen("sync", code=2)
    assert f"conflict  {LAYER}  (was edited outside its user regions;" in result.err
    assert (
        "klgen sync: 1 conflict(s) left alone; the 1 other(s) were synced" in result.err
    )
    assert "update    demo/layers/gate.py" in result.out
    assert repo.read(LAYER) == edited  # left alone, and its test too
    assert sorted(repo.status()) == [
        " M demo/layers/gate.klgen.yaml",
        " M demo/layers/gate.py",
        f" M {LAYER}",
    ]
    result = repo.klgen("sync", "--force", LAYER)
    assert result.out.splitlines() == [f"update    {LAYER}", f"identical {TEST}"]
    text = repo.read(LAYER)
    assert "self.factor = factor\n" in text and BODY in text  # edit gone, region kept


def test_dry_run_and_diff_write_nothing(make_repo: Callable[..., GitRepo]) -> None:
    repo = scale_repo(make_repo)
    repo.replace(SPEC, "default: 2.0", "default: 3.0")
    result = repo.klgen("sync", "--dry-run", "--diff")
    assert "-        factor=2.0,\n+        factor=3.0,\n" in result.out
    assert "dry run: nothing was written" in result.err
    assert repo.status() == [f" M {SPEC}"]


def test_paths_select_specs_and_generated_files(
    make_repo: Callable[..., GitRepo],
) -> None:
    repo = scale_repo(make_repo)
    repo.klgen("new", "Gate", "--arg", "units:int=4")
    repo.commit("Gate")
    for path in (SPEC, LAYER, TEST):
        result = repo.klgen("sync", path)
        assert result.out.splitlines() == [
            f"identical {LAYER}",
            f"identical {TEST}",
        ], path
    assert len(repo.klgen("sync", "demo").out.splitlines()) == 4
    result = repo.klgen("sync", "nowhere.klgen.yaml", code=2)
    assert "nowhere.klgen.yaml: no such file or folder" in result.err


def test_example_headers_regenerate_from_the_bundled_example(
    make_repo: Callable[..., GitRepo],
) -> None:
    repo = make_repo({"pyproject.toml": PYPROJECT, "demo/__init__.py": ""})
    repo.klgen("new", "--example", "dense", "--out", "vendored")
    layer = repo.path / "vendored" / "dense.py"
    assert repo.read("vendored/dense.py").startswith(
        "# Generated by klgen 0.1.0 from example:dense.\n"
    )
    repo.commit("vendored dense")
    # Outside the configured folders, generated files are synced when named.
    assert repo.klgen("sync").out == ""
    assert repo.klgen("sync", "vendored").out.splitlines() == [
        "identical vendored/dense.py",
        "identical vendored/test_dense.py",
    ]
    # An older template (digest current, text different): sync brings it up to date.
    original = layer.read_text(encoding="utf-8")
    layer.write_text(
        stamp(
            original.replace(
                "    def get_config(self):", "    def get_config(self):  # old"
            )
        ),
        encoding="utf-8",
    )
    assert (
        repo.klgen("sync", "vendored").out.splitlines()[0]
        == "update    vendored/dense.py"
    )
    assert layer.read_text(encoding="utf-8") == original
    assert repo.status() == []


def test_what_sync_cannot_do_is_said(make_repo: Callable[..., GitRepo]) -> None:
    repo = scale_repo(make_repo)
    repo.klgen("new", "Loose", "--arg", "units:int=4", "--out", "scratch")
    repo.klgen("new", "Gate", "--arg", "units:int=4")
    repo.commit("more layers")
    result = repo.klgen("sync", "scratch")
    assert (
        "note: scratch/loose.py: generated from command-line flags without a saved spec, "
        "so it cannot be regenerated"
    ) in result.err

    (repo.path / "demo/layers/gate.klgen.yaml").unlink()
    result = repo.klgen("sync", code=2)
    assert (
        "demo/layers/gate.py, tests/test_gate.py: the header names the spec "
        "demo/layers/gate.klgen.yaml, which does not exist; restore the spec, or delete "
        "the generated files"
    ) in result.err
    assert "1 spec(s) could not be synced; the 1 other(s) were synced" in result.err
    repo.git("checkout", "--", "demo/layers/gate.klgen.yaml")

    repo.replace(SPEC, "factor: {type: float", "factor: {type: flaot")
    result = repo.klgen("sync", code=2)
    located = (
        f"{SPEC}:6:18: args.factor.type: unknown type `flaot` (did you mean `float`?)"
    )
    assert located in result.err
    repo.git("checkout", "--", SPEC)

    repo.replace(LAYER, "        # klgen: end user region `training`\n", "")
    result = repo.klgen("sync", code=2)
    assert f"{LAYER}: the user-region markers are broken" in result.err


def test_a_renamed_module_leaves_the_old_files_and_says_so(
    make_repo: Callable[..., GitRepo],
) -> None:
    repo = scale_repo(make_repo)
    repo.replace(SPEC, "name: Scale\n", "name: Scale\nmodule: scaling\n")
    result = repo.klgen("sync")
    assert "create    demo/layers/scaling.py" in result.out
    assert (
        f"note: {repo.path / LAYER}: generated from {SPEC}, which now generates a "
        "different module; delete it if nothing uses it" in result.err
    )
    assert (repo.path / LAYER).exists()
    assert "from .scaling import Scale" not in repo.read(
        "demo/layers/__init__.py"
    )  # bound


def test_a_test_in_another_folder_leads_back_to_its_spec(
    make_repo: Callable[..., GitRepo],
) -> None:
    repo = scale_repo(make_repo)
    assert repo.read(TEST).startswith(
        "# Generated by klgen 0.1.0 from ../demo/layers/scale.klgen.yaml.\n"
    )
    for path in (LAYER, TEST):
        source = api.spec_of_generated(repo.path / path)
        assert source is not None and source.path == (repo.path / SPEC).resolve()


def test_layer_in_a_subpackage_stays_there(make_repo: Callable[..., GitRepo]) -> None:
    repo = scale_repo(make_repo)
    sub = repo.path / "demo" / "layers" / "vision"
    sub.mkdir()
    (sub / "__init__.py").write_text("", encoding="utf-8")
    for name in ("scale.py", "scale.klgen.yaml"):
        (repo.path / "demo" / "layers" / name).rename(sub / name)
    # The layer's header names its spec relative to itself, so it moved with it.
    repo.replace(
        TEST,
        "from demo.layers.scale import Scale",
        "from demo.layers.vision.scale import Scale",
    )
    repo.replace(
        TEST,
        "from ../demo/layers/scale.klgen.yaml",
        "from ../demo/layers/vision/scale.klgen.yaml",
    )
    (repo.path / TEST).write_text(stamp(repo.read(TEST)), encoding="utf-8")
    result = repo.klgen("sync")
    assert result.out.splitlines() == [
        "identical demo/layers/vision/scale.py",
        f"identical {TEST}",
        "update    demo/layers/vision/__init__.py",
        # the moved spec's `$schema` modeline points beside it
        "create    demo/layers/vision/klgen-spec.schema.json",
    ]
    assert repo.read("demo/layers/vision/__init__.py").startswith(
        "from .scale import Scale\n"
    )


def test_sync_with_no_specs(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    repo = make_repo({"pyproject.toml": PYPROJECT, "demo/__init__.py": ""})
    result = repo.klgen("sync")
    assert "klgen sync: no klgen specs found; nothing to do" in result.err
    assert repo.status() == []


def test_a_target_given_as_a_flag_is_kept(make_repo: Callable[..., GitRepo]) -> None:
    """`--example`/`--spec` with `--target`: the saved spec names no target, the files do."""
    repo = make_repo({"pyproject.toml": PYPROJECT, "demo/__init__.py": ""})
    repo.klgen("new", "--example", "dense", "--target", "tf-keras")
    assert "import tf_keras as keras\n" in repo.read("demo/layers/dense.py")
    assert "\ntarget:" not in repo.read("demo/layers/dense.klgen.yaml")
    repo.commit("a tf-keras dense")
    assert set(statuses(repo.klgen("sync")).values()) == {"identical"}
    repo.klgen("check")


def statuses(result: object) -> dict[str, str]:
    out = {}
    for line in result.out.splitlines():  # type: ignore[attr-defined]
        status, path = line.split(maxsplit=1)
        out[path] = status
    return out
