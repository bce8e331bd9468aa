"""The static contract lint (docs/contract.md §1-3): each classic bug found once, with its fix."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from keraslayer_gen.lint.base import LintIssue
from keraslayer_gen.lint.driver import CHECKS, lint_file, lint_source
from keraslayer_gen.lint.module import LintError

GOOD = """
import keras
from keras import ops


@keras.saving.register_keras_serializable(package="demo")
class Scale(keras.layers.Layer):
    def __init__(self, factor=2.0, rate=0.1, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor
        self.rate = rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1],))
        self.count = self.add_weight(name="count", shape=(), trainable=False)

    def call(self, inputs, training=None, mask=None):
        if training:
            noise = keras.random.normal(ops.shape(inputs), seed=self.seed_generator)
            inputs = inputs + self.rate * noise
            self.count.assign(self.count + 1)
        return inputs * self.factor * self.kernel

    def get_config(self):
        config = {"factor": self.factor, "rate": self.rate, "seed": self.seed}
        return {**super().get_config(), **config}
"""


def lint(code: str) -> list[LintIssue]:
    return lint_source(textwrap.dedent(code), "layer.py")


def one(code: str, check: str) -> LintIssue:
    issues = lint(code)
    assert len(issues) == 1, "\n".join(map(str, issues))
    assert issues[0].check == check
    return issues[0]


def test_a_correct_layer_has_no_issues() -> None:
    assert lint(GOOD) == []


def test_issue_is_a_frozen_located_record() -> None:
    issue = one(
        GOOD.replace('@keras.saving.register_keras_serializable(package="demo")\n', ""),
        "structure",
    )
    assert (issue.filename, issue.line, issue.col, issue.class_name) == (
        "layer.py",
        6,
        1,
        "Scale",
    )
    assert str(issue).startswith("layer.py:6:1: structure: `Scale` is not registered")
    assert "register_keras_serializable" in issue.message
    with pytest.raises(dataclasses.FrozenInstanceError):
        issue.line = 3  # type: ignore[misc]
    assert set(CHECKS) == {"structure", "config-complete", "state-hygiene"}


@pytest.mark.parametrize(
    ("old", "new", "check", "words"),
    [
        (
            "factor=2.0, rate=0.1, seed=None, **kwargs):\n        super().__init__(**kwargs)",
            "factor=2.0, rate=0.1, seed=None):\n        super().__init__()",
            "structure",
            "add **kwargs",
        ),
        (
            "super().__init__(**kwargs)",
            "super().__init__(name='x')",
            "structure",
            "super().__init__(**kwargs)",
        ),
        (
            "        super().__init__(**kwargs)\n        self.factor = factor\n"
            "        self.rate = rate\n        self.seed = seed\n"
            "        self.seed_generator = keras.random.SeedGenerator(seed)\n",
            "        self.factor = factor\n        self.rate = rate\n"
            "        self.seed = seed\n"
            "        self.seed_generator = keras.random.SeedGenerator(seed)\n"
            "        super().__init__(**kwargs)\n",
            "structure",
            "creates a seed generator before super().__init__",
        ),
        ("factor=2.0, rate", "factor=2.0, /, rate", "structure", "positional-only"),
        ("seed=None, **kwargs", "seed=None, *args, **kwargs", "structure", "*args"),
        (
            "training=None, mask",
            "training=True, mask",
            "structure",
            "default it to None",
        ),
        ("mask=None):", "mask=1):", "structure", "mask to 1"),
        ('"rate": self.rate, ', "", "config-complete", '"rate": self.rate'),
        ("seed=self.seed_generator)", ")", "state-hygiene", "without seed="),
        (
            "seed=self.seed_generator)",
            "seed=42)",
            "state-hygiene",
            "same numbers on every call",
        ),
        (
            "seed=self.seed_generator)",
            "seed=self.seed)",
            "state-hygiene",
            "self.seed is not a keras.random.SeedGenerator",
        ),
        (
            "            self.count.assign(self.count + 1)\n",
            "            self.steps = self.count + 1\n",
            "state-hygiene",
            "assigns self.steps",
        ),
        (
            "        return inputs * self.factor",
            "        import tensorflow as tf\n        return tf.identity(inputs) * self.factor",
            "state-hygiene",
            "uses tensorflow",
        ),
    ],
)
def test_each_classic_bug_is_found_once(
    old: str, new: str, check: str, words: str
) -> None:
    assert old in GOOD
    issue = one(GOOD.replace(old, new), check)
    assert words in issue.message
    assert issue.class_name == "Scale"


def test_a_weight_created_in_call_or_its_helpers() -> None:
    code = GOOD.replace(
        "        return inputs * self.factor",
        "        self._grow()\n        return inputs * self.factor",
    )
    code += (
        "\n    def _grow(self):\n"
        '        self.extra = self.add_weight(name="extra", shape=())\n'
    )
    issue = one(code, "state-hygiene")
    assert "`Scale._grow` creates a weight; create weights in build()" in issue.message
    # Helpers that build() calls may create weights.
    code = GOOD.replace(
        '        self.count = self.add_weight(name="count", shape=(), '
        "trainable=False)",
        '        self.count = self.add_weight(name="count", shape=(), '
        "trainable=False)\n        self._more()",
    )
    code += (
        '\n    def _more(self):\n        self.extra = self.add_weight(name="extra")\n'
    )
    assert lint(code) == []


TF_KERAS_GOOD = GOOD.replace("import keras\n", "import tf_keras as keras\n").replace(
    "keras.saving.register_keras_serializable",
    "keras.utils.register_keras_serializable",
)


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (
            'name="count", shape=(), trainable=False',
            "shape=(), trainable=False",
            "without name=",
        ),
        (
            'name="count", shape=()',
            'name=f"count{1}", shape=()',
            "not a literal string",
        ),
        (
            'name="count", shape=()',
            'name="kernel", shape=()',
            'two weights named "kernel"',
        ),
        (
            'self.add_weight(name="count", shape=(), trainable=False)',
            'self.add_weight("count", ())',
            "positional",
        ),
    ],
)
def test_weight_names_matter_to_tf_keras_only(old: str, new: str, words: str) -> None:
    """tf-keras's .h5 files key weights by name, and its add_weight starts with `name`;
    Keras 3 saves weights by order, so a missing, computed or repeated name, or
    positional arguments in its own order, are no defect there."""
    assert lint(GOOD.replace(old, new)) == []
    issue = one(TF_KERAS_GOOD.replace(old, new), "state-hygiene")
    assert words in issue.message


def test_weights_in_exclusive_branches_may_share_a_name() -> None:
    code = TF_KERAS_GOOD.replace(
        '        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1],))',
        "        if self.factor > 1:\n"
        '            self.kernel = self.add_weight(name="kernel", shape=(1,))\n'
        "        else:\n"
        '            self.kernel = self.add_weight(name="kernel", shape=(2,))',
    )
    assert lint(code) == []
    looped = TF_KERAS_GOOD.replace(
        '        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1],))',
        "        for _ in range(2):\n"
        '            self.kernel = self.add_weight(name="kernel", shape=(1,))',
    )
    assert "inside a loop" in one(looped, "state-hygiene").message


@pytest.mark.parametrize(
    "get_config",
    [
        # The classic shapes of a complete get_config.
        'config = super().get_config()\n        config.update({"factor": self.factor, '
        '"rate": self.rate})\n        config["seed"] = self.seed\n        return config',
        "base = super().get_config()\n        return dict(base, factor=self.factor, "
        "rate=self.rate, seed=self.seed)",
        'config = {"factor": self.factor, "rate": self.rate, "seed": self.seed}\n'
        "        base_config = super().get_config()\n"
        "        return dict(list(base_config.items()) + list(config.items()))",
        "config = super().get_config()\n        config.update(factor=self.factor)\n"
        '        config.setdefault("rate", self.rate)\n        config |= {"seed": self.seed}\n'
        "        return config",
        # Too dynamic to read: the lint says nothing rather than guess.
        'return {k: getattr(self, k) for k in ("factor", "rate", "seed")}',
        "return self._config()",
        "config = super().get_config()\n        self._fill(config)\n        return config",
        "config = {}\n        for key in self._keys:\n"
        "            config[key] = getattr(self, key)\n        return config",
    ],
)
def test_get_config_patterns_without_false_alarms(get_config: str) -> None:
    start = GOOD.index("        config = {")
    code = GOOD[:start] + "        " + get_config + "\n"
    assert lint(code) == [], get_config


@pytest.mark.parametrize(
    ("get_config", "missing"),
    [
        (
            'config = super().get_config()\n        config.update({"factor": self.factor})\n'
            "        return config",
            "`rate`, `seed`",
        ),
        (
            "base = super().get_config()\n        return dict(base, factor=self.factor, "
            "rate=self.rate)",
            "`seed`",
        ),
        (
            'config = {"factor": self.factor, "rate": self.rate, "seed": self.seed}\n'
            '        config.pop("seed")\n        return {**super().get_config(), **config}',
            "`seed`",
        ),
        ('return {"factor": self.factor}', "`rate`, `seed`"),
    ],
)
def test_get_config_missing_arguments(get_config: str, missing: str) -> None:
    start = GOOD.index("        config = {")
    code = GOOD[:start] + "        " + get_config + "\n"
    issue = one(code, "config-complete")
    assert f"does not return {missing}" in issue.message
    # Every argument of Scale has a default: a loaded layer gets the default back.
    assert "silently rebuild the layer with the default" in issue.message


def test_no_get_config_at_all_is_keras_3_auto_config() -> None:
    """Plain constructor arguments: Keras 3 (and tf-keras) build the config from them."""
    assert lint(GOOD[: GOOD.index("    def get_config")]) == []


@pytest.mark.parametrize(
    ("imports", "base"),
    [
        ("import keras", "keras.Layer"),
        ("from keras import layers", "layers.Layer"),
        ("from keras.layers import Layer", "Layer"),
        ("from keras import layers as L", "L.Layer"),
        ("import keras.src.layers.layer as base", "base.Layer"),
        ("import keras_core as keras", "keras.layers.Layer"),
        ("from tensorflow import keras", "keras.layers.Layer"),
    ],
)
def test_layer_bases_are_recognised(imports: str, base: str) -> None:
    code = f"""
    {imports}

    class Bare({base}):
        def __init__(self, units):
            super().__init__()
            self.units = units
    """
    # No **kwargs and no super().__init__(**kwargs); the missing get_config is fine:
    # `units` is a plain value, which the automatic config keeps.
    checks = sorted(i.check for i in lint(code))
    assert checks == ["structure", "structure"], checks


def test_other_classes_are_ignored() -> None:
    assert (
        lint(
            "class Layer:\n    pass\n\nclass A(Layer):\n    def __init__(self, x):\n"
            "        self.x = x\n"
        )
        == []
    )
    assert lint("import keras\n\nclass Loss(keras.losses.Loss):\n    pass\n") == []


def test_subclass_of_a_layer_in_the_same_file() -> None:
    code = GOOD + """

@keras.saving.register_keras_serializable(package="demo")
class Scale3(Scale):
    def __init__(self, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset
"""
    issue = one(code, "config-complete")
    assert issue.class_name == "Scale3" and "`offset`" in issue.message
    fixed = code + (
        "\n    def get_config(self):\n"
        '        return {**super().get_config(), "offset": self.offset}\n'
    )
    assert lint(fixed) == []


def test_tf_keras_layers_may_use_tensorflow() -> None:
    code = """
    import tensorflow as tf

    @tf.keras.utils.register_keras_serializable(package="demo")
    class Old(tf.keras.layers.Layer):
        def call(self, inputs):
            return tf.nn.relu(inputs)
    """
    assert lint(code) == []
    assert (
        lint(
            code.replace("tf.keras.layers.Layer", "tf_keras.layers.Layer").replace(
                "import tensorflow as tf",
                "import tensorflow as tf\n    import tf_keras",
            )
        )
        == []
    )
    jax_code = """
    import keras
    import jax.numpy as jnp

    @keras.saving.register_keras_serializable()
    class J(keras.layers.Layer):
        def call(self, inputs):
            return jnp.tanh(inputs)
    """
    issue = one(jax_code, "state-hygiene")
    assert "uses jax (`jax.`)" in issue.message and issue.line == 8


def test_random_through_an_imported_module_and_a_positional_seed() -> None:
    code = GOOD.replace("import keras\n", "import keras\nfrom keras import random\n")
    assert lint(code.replace("keras.random.normal(", "random.normal(")) == []
    issue = one(
        code.replace("keras.random.normal(", "random.normal(").replace(
            "seed=self.seed_generator)", ")"
        ),
        "state-hygiene",
    )
    assert "keras.random.normal() without seed=" in issue.message


def test_ignore_comments() -> None:
    code = GOOD.replace("training=None, mask", "training=True, mask")
    assert (
        lint(code.replace("mask=None):", "mask=None):  # klgen: ignore[structure]"))
        == []
    )
    assert lint(code.replace("mask=None):", "mask=None):  # klgen: ignore")) == []
    assert (
        len(
            lint(
                code.replace(
                    "mask=None):", "mask=None):  # klgen: ignore[state-hygiene]"
                )
            )
        )
        == 1
    )


def test_abstract_bases_need_no_registration() -> None:
    code = """
    import keras

    class BaseThing(keras.layers.Layer):
        def __init__(self, rank, **kwargs):
            super().__init__(**kwargs)
            self.rank = rank

    class Pooler(keras.layers.Layer):
        def call(self, inputs):
            raise NotImplementedError
    """
    assert lint(code) == []


def test_syntax_errors_and_files(tmp_path) -> None:
    with pytest.raises(LintError, match=r"broken.py:1:\d+: cannot parse"):
        lint_source("def (:\n", "broken.py")
    path = tmp_path / "scale.py"
    path.write_text(GOOD.replace("training=None", "training=True"), encoding="utf-8")
    [issue] = lint_file(path)
    assert issue.filename == str(path) and issue.check == "structure"
    with pytest.raises(LintError, match="cannot read"):
        lint_file(tmp_path / "missing.py")


def test_each_check_module_registers_the_checker_of_its_own_check_id() -> None:
    import importlib
    import pkgutil

    from keraslayer_gen.lint import checks
    from keraslayer_gen.lint.base import Registry
    from keraslayer_gen.lint.driver import REGISTRY

    names = sorted(m.name for m in pkgutil.iter_modules(checks.__path__))
    assert names == ["config_complete", "state_hygiene", "structure"]
    for name in names:
        registry = Registry()
        importlib.import_module(f"{checks.__name__}.{name}").register(registry)
        assert [c.id.replace("-", "_") for c in registry] == [name]
    assert CHECKS == ("structure", "config-complete", "state-hygiene")  # §1, §2, §3
    assert [c.number for c in REGISTRY] == [1, 2, 3]


def test_the_registry_refuses_a_second_checker_for_a_check_id() -> None:
    from keraslayer_gen.lint.base import Registry
    from keraslayer_gen.lint.checks.structure import StructureChecker

    registry = Registry()
    registry.register(StructureChecker)
    with pytest.raises(ValueError, match="clashes with StructureChecker"):
        registry.register(StructureChecker)


def test_the_harness_static_checks_are_the_lint_registry() -> None:
    from keraslayer_gen.harness.checklist import BY_ID, STATIC_CHECKS
    from keraslayer_gen.lint.driver import REGISTRY

    assert STATIC_CHECKS == CHECKS
    for checker in REGISTRY:
        check = BY_ID[checker.id]
        assert (check.number, check.guards) == (checker.number, checker.guards)
