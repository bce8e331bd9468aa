"""klgen adopted by three kinds of repository, step by step, with `git status` and `git diff`
asserted after each step: init -> new (flags and spec) -> edit a body in its user region ->
change the spec -> sync -> check -> commit."""

from __future__ import annotations

from collections.abc import Callable

from .conftest import GitRepo

GATE_SPEC = """
    klgen: 1
    name: Gate
    summary: Multiplies its inputs by a learned sigmoid gate per feature.
    args:
      temperature: {type: float, default: 1.0, min: 0.0, doc: Divides the gate logits.}
    weights:
      logits:
        shape: ["input_shape[-1]"]
        initializer: zeros
    call:
      body: |
        outputs = inputs * ops.sigmoid(self.logits / self.temperature)
    output_shape: same
    examples:
      - {input_shape: [2, 4]}
"""
NEW_ARG = "  offset: {type: float, default: 0.0, doc: Added after scaling.}\n"
NEW_WEIGHT = (
    'weights:\n  bias:\n    shape: ["input_shape[-1]"]\n    initializer: zeros\n'
)
USER_BODY = "        outputs = inputs * self.factor + self.offset\n"


def added_and_removed(diff: str) -> tuple[list[str], list[str]]:
    lines = diff.splitlines()
    added = [
        line[1:]
        for line in lines
        if line.startswith("+") and not line.startswith("+++")
    ]
    removed = [
        line[1:]
        for line in lines
        if line.startswith("-") and not line.startswith("---")
    ]
    return added, removed


def statuses(result: object) -> dict[str, str]:
    """`klgen sync` output as {path: status}."""
    out = {}
    for line in result.out.splitlines():  # type: ignore[attr-defined]
        status, path = line.split(maxsplit=1)
        out[path] = status
    return out


def change_scale_spec(repo: GitRepo, spec: str) -> None:
    """Add an argument and a weight to the Scale spec that `klgen new` saved."""
    text = repo.read(spec)
    assert "  factor: {type: float, default: 2.0, min: 0.0}\n" in text
    text = text.replace(
        "  factor: {type: float, default: 2.0, min: 0.0}\n",
        "  factor: {type: float, default: 2.0, min: 0.0}\n" + NEW_ARG,
    )
    text = text.replace("examples:", NEW_WEIGHT + "examples:")
    (repo.path / spec).write_text(text, encoding="utf-8")


def edit_change_sync(repo: GitRepo, layer: str, spec: str, test: str) -> None:
    """The user writes the call body, then changes the spec; sync keeps the body."""
    repo.replace(layer, "        outputs = inputs\n", USER_BODY)
    repo.klgen("check")  # an edit inside a user region is not drift
    assert set(statuses(repo.klgen("sync")).values()) == {"identical"}
    assert repo.status() == [f" M {layer}"]
    repo.commit("the call body")

    change_scale_spec(repo, spec)
    result = repo.klgen("check", code=1)
    assert result.out.splitlines() == [
        f"{layer}: out of date with {spec} (first difference outside the user "
        'regions: now "offset: Added after scaling. Defaults to `0.0`."); run '
        "`klgen sync`",
        # the generated test asserts the weight counts the spec gives
        f"{test}: out of date with {spec} (first difference outside the user "
        'regions: now ""trainable_weights": 1,"); run `klgen sync`',
    ]
    assert "+        offset=0.0," in repo.klgen("check", "--diff", code=1).out
    assert statuses(repo.klgen("sync", "--dry-run"))[layer] == "update"
    assert repo.status() == [f" M {spec}"]  # --dry-run wrote nothing

    assert repo.klgen("sync", spec).out.splitlines() == [
        f"update    {layer}",
        f"update    {test}",
    ]
    added, removed = added_and_removed(repo.diff(layer))
    assert "        offset=0.0," in added  # __init__
    assert "        self.offset = offset" in added
    assert (
        "        offset: Added after scaling. Defaults to `0.0`." in added
    )  # docstring
    assert '            "offset": self.offset,' in added  # get_config
    assert "    def build(self, input_shape):" in added
    assert '            name="bias",' in added
    assert all("outputs" not in line for line in added + removed)
    assert USER_BODY in repo.read(layer)
    assert sorted(repo.status()) == sorted([f" M {layer}", f" M {spec}", f" M {test}"])
    repo.klgen("check")
    repo.commit("offset and bias")
    assert set(statuses(repo.klgen("sync")).values()) == {"identical"}
    assert repo.status() == []


def test_src_layout(make_repo: Callable[..., GitRepo]) -> None:
    pyproject = """
        # The demo project.
        [project]
        name = "my-proj"   # the distribution name
        version = "0.1.0"

        [tool.ruff]
        line-length = 100  # wide
    """
    repo = make_repo(
        {
            "pyproject.toml": pyproject,
            "src/my_proj/__init__.py": '"""My project."""\n',
            "tests/test_smoke.py": "def test_smoke():\n    assert True\n",
        }
    )
    before = repo.read("pyproject.toml")
    result = repo.klgen("init")
    assert "klgen: inferred layers_dir = 'src/my_proj/layers'" in result.err
    assert result.out.splitlines() == [
        "update    pyproject.toml",
        "create    .pre-commit-config.yaml",
        "create    src/my_proj/layers/klgen-spec.schema.json",
    ]
    assert repo.status() == [
        " M pyproject.toml",
        "?? .pre-commit-config.yaml",
        "?? src/my_proj/layers/klgen-spec.schema.json",
    ]
    added, removed = added_and_removed(repo.diff("pyproject.toml"))
    assert removed == []
    assert added == [
        "",
        "[tool.klgen]",
        'package = "my_proj"',
        'layers_dir = "src/my_proj/layers"',
        'tests_dir = "tests"',
        'target = "keras3"',
    ]
    assert repo.read("pyproject.toml").startswith(before)
    repo.commit("klgen init")
    assert repo.klgen("init").out.splitlines() == [
        "identical pyproject.toml",
        "identical .pre-commit-config.yaml",
        "identical src/my_proj/layers/klgen-spec.schema.json",
    ]
    assert repo.status() == []

    layers, tests = "src/my_proj/layers", "tests"
    result = repo.klgen("new", "Scale", "--arg", "factor:float=2.0;min=0")
    assert result.err == ""  # configured now: nothing inferred
    assert sorted(repo.status()) == [
        f"?? {layers}/__init__.py",
        f"?? {layers}/scale.klgen.yaml",
        f"?? {layers}/scale.py",
        f"?? {tests}/test_scale.py",
    ]
    assert (
        repo.read(f"{layers}/__init__.py")
        == 'from .scale import Scale\n\n__all__ = ["Scale"]\n'
    )
    assert "from my_proj.layers.scale import Scale\n" in repo.read(
        f"{tests}/test_scale.py"
    )
    assert repo.read(f"{tests}/test_scale.py").startswith(
        "# Generated by klgen 0.1.0 from ../src/my_proj/layers/scale.klgen.yaml.\n"
    )
    repo.klgen("check")
    repo.commit("Scale, from flags")

    repo.write({"specs/gate.klgen.yaml": GATE_SPEC})
    repo.klgen("new", "--spec", "specs/gate.klgen.yaml")
    assert sorted(repo.status()) == [
        f" M {layers}/__init__.py",
        "?? specs/gate.klgen.yaml",
        f"?? {layers}/gate.py",
        f"?? {tests}/test_gate.py",
    ]
    added, removed = added_and_removed(repo.diff(f"{layers}/__init__.py"))
    assert added == ["from .gate import Gate", '__all__ = ["Gate", "Scale"]']
    assert removed == ['__all__ = ["Scale"]']
    repo.klgen("check")
    repo.commit("Gate, from a spec")

    edit_change_sync(
        repo,
        f"{layers}/scale.py",
        f"{layers}/scale.klgen.yaml",
        f"{tests}/test_scale.py",
    )
    # The spec kept outside the layers folder is found through the headers.
    repo.replace("specs/gate.klgen.yaml", "default: 1.0", "default: 2.0")
    assert repo.klgen("check", code=1).out == (
        f"{layers}/gate.py: out of date with specs/gate.klgen.yaml (first difference "
        'outside the user regions: now "temperature: Divides the gate logits. '
        'Defaults to `2.0`."); run `klgen sync`\n'
    )
    repo.klgen("sync")
    assert sorted(repo.status()) == [" M specs/gate.klgen.yaml", f" M {layers}/gate.py"]
    repo.klgen("check")
    repo.commit("temperature 2")


def test_flat_layout_run_from_a_subfolder(make_repo: Callable[..., GitRepo]) -> None:
    # This repository runs the installed `klgen` executable, as a user's shell would.
    repo = make_repo(
        {
            "pyproject.toml": '[project]\nname = "flatpkg"\nversion = "1.0"\n',
            "flatpkg/__init__.py": "",
            "flatpkg/core.py": "VALUE = 1\n",
        },
        subprocess=True,
    )
    repo.klgen("init", "--no-pre-commit", "--specs", "specs")
    assert repo.status() == [" M pyproject.toml", "?? specs/klgen-spec.schema.json"]
    assert (
        'layers_dir = "flatpkg/layers"\ntests_dir = "tests"\nspecs = "specs"\n'
        in repo.read("pyproject.toml")
    )
    repo.commit("klgen init")

    result = repo.klgen(
        "new", "Scale", "--arg", "factor:float=2.0;min=0", cwd=repo.path / "flatpkg"
    )
    assert result.out.splitlines() == [
        "create    flatpkg/layers/scale.py",
        "create    tests/test_scale.py",
        "create    specs/scale.klgen.yaml",
        "create    flatpkg/layers/__init__.py",
    ]
    assert sorted(repo.status()) == [
        "?? flatpkg/layers/__init__.py",
        "?? flatpkg/layers/scale.py",
        "?? specs/scale.klgen.yaml",
        "?? tests/test_scale.py",
    ]
    assert repo.read("flatpkg/layers/scale.py").startswith(
        "# Generated by klgen 0.1.0 from ../../specs/scale.klgen.yaml.\n"
    )
    assert "from flatpkg.layers.scale import Scale\n" in repo.read(
        "tests/test_scale.py"
    )
    repo.commit("Scale")
    edit_change_sync(
        repo, "flatpkg/layers/scale.py", "specs/scale.klgen.yaml", "tests/test_scale.py"
    )


ATTENTION = '''
    """A hand-written dot-product attention."""

    import keras
    from keras import ops


    @keras.saving.register_keras_serializable(package="legacy")
    class DotAttention(keras.layers.Layer):
        def __init__(self, scale=True, dropout=0.0, **kwargs):
            super().__init__(**kwargs)
            self.scale = scale
            self.dropout = dropout

        def call(self, inputs, training=None):
            query, value = inputs
            scores = ops.matmul(query, ops.transpose(value, (0, 2, 1)))
            if self.scale:
                scores = scores / ops.sqrt(ops.cast(ops.shape(query)[-1], scores.dtype))
            return ops.matmul(ops.softmax(scores), value)

        def get_config(self):
            config = super().get_config()
            config.update({"scale": self.scale, "dropout": self.dropout})
            return config
'''
POOLING = '''
    """Max over the time axis."""

    import keras
    from keras import ops


    @keras.saving.register_keras_serializable(package="legacy")
    class MaxOverTime(keras.layers.Layer):
        def __init__(self, keepdims=False, **kwargs):
            super().__init__(**kwargs)
            self.keepdims = keepdims

        def call(self, inputs):
            return ops.max(inputs, axis=1, keepdims=self.keepdims)

        def get_config(self):
            base_config = super().get_config()
            return {**base_config, "keepdims": self.keepdims}
'''
LAYERS_INIT = '''
    """Keras layers of legacy-models."""

    # Attention blocks, written by hand.
    from .attention import DotAttention  # used by the serving code

    # Pooling
    from .pooling import MaxOverTime

    __all__ = [
        "DotAttention",
        "MaxOverTime",  # to be renamed
    ]
'''


def test_existing_package_with_hand_written_layers(
    make_repo: Callable[..., GitRepo],
) -> None:
    repo = make_repo(
        {
            "pyproject.toml": '[project]\nname = "legacy-models"\nversion = "2.3"\n',
            "legacy_models/__init__.py": "from . import layers\n",
            "legacy_models/layers/__init__.py": LAYERS_INIT,
            "legacy_models/layers/attention.py": ATTENTION,
            "legacy_models/layers/pooling.py": POOLING,
            "tests/layers/test_pooling.py": "def test_nothing():\n    pass\n",
        }
    )
    init_before = repo.read("legacy_models/layers/__init__.py")
    result = repo.klgen("check")
    assert "note: no klgen specs yet in legacy_models/layers;" in result.err
    assert "klgen check: 0 spec(s) in sync, 3 file(s) lint-clean" in result.err

    result = repo.klgen("init")
    assert "klgen: inferred tests_dir = 'tests/layers'" in result.err
    repo.commit("klgen init")

    layers, tests = "legacy_models/layers", "tests/layers"
    repo.klgen("new", "Scale", "--arg", "factor:float=2.0;min=0")
    assert sorted(repo.status()) == [
        f" M {layers}/__init__.py",
        f"?? {layers}/scale.klgen.yaml",
        f"?? {layers}/scale.py",
        f"?? {tests}/test_scale.py",
    ]
    added, removed = added_and_removed(repo.diff(f"{layers}/__init__.py"))
    assert removed == []
    assert added == ["from .scale import Scale", '    "Scale",']
    expected = init_before.replace(
        "from .pooling import MaxOverTime\n",
        "from .pooling import MaxOverTime\nfrom .scale import Scale\n",
    )
    expected = expected.replace(
        '    "MaxOverTime",  # to be renamed\n',
        '    "MaxOverTime",  # to be renamed\n    "Scale",\n',
    )
    assert repo.read(f"{layers}/__init__.py") == expected
    again = repo.klgen("new", "Scale", "--arg", "factor:float=2.0;min=0")
    assert set(statuses(again).values()) == {"identical"}  # never exported twice
    assert repo.read(f"{layers}/__init__.py") == expected
    repo.klgen("check")
    repo.commit("Scale")

    edit_change_sync(
        repo,
        f"{layers}/scale.py",
        f"{layers}/scale.klgen.yaml",
        f"{tests}/test_scale.py",
    )
    assert repo.read(f"{layers}/__init__.py") == expected

    # A hand-written layer that loses an argument on save fails the check, with the fix.
    repo.replace(
        f"{layers}/pooling.py",
        '{**base_config, "keepdims": self.keepdims}',
        "base_config",
    )
    result = repo.klgen("check", code=1)
    assert result.out.splitlines() == [
        f"{layers}/pooling.py:16:5: config-complete: `MaxOverTime.get_config()` does not "
        "return `keepdims` (__init__ argument with a default), so from_config and "
        "load_model silently rebuild the layer with the default (keepdims=False) instead "
        'of the value it was created with; add "keepdims": self.keepdims to its config'
    ]
    repo.write({f"{layers}/pooling.py": POOLING})
    repo.klgen("check")
    assert repo.status() == []
