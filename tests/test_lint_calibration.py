"""The lint calibrated on real Keras 3 code (issue 14): one test per kind of false alarm
it used to raise and per defect it now names, each on a small layer written here.

The static tests read the layers with the lint (no Keras). The `backend` tests run the
same layers with Keras, to show that what the lint says — and what it no longer says — is
what Keras does.
"""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from keraslayer_gen.lint.base import LintIssue
from keraslayer_gen.lint.driver import lint_source


def lint(code: str, filename: str = "layer.py") -> list[LintIssue]:
    return lint_source(textwrap.dedent(code), filename)


def messages(code: str) -> list[str]:
    return [f"{i.check}: {i.message}" for i in lint(code)]


# --- config-complete: Keras 3's automatic config -----------------------------------

AUTO_CONFIG = """
import keras


@keras.saving.register_keras_serializable(package="calibration")
class Offset(keras.layers.Layer):
    def __init__(self, offset=1.0, axes=(1,), mode="add", **kwargs):
        super().__init__(**kwargs)
        self.offset, self.axes, self.mode = offset, axes, mode

    def call(self, inputs):
        return inputs + self.offset
"""

LAYER_ARGUMENT = """
import keras


@keras.saving.register_keras_serializable(package="calibration")
class Residual(keras.layers.Layer):
    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def call(self, inputs):
        return inputs + self.inner(inputs)
"""

OBJECT_DEFAULT = """
import keras


@keras.saving.register_keras_serializable(package="calibration")
class Noisy(keras.layers.Layer):
    def __init__(self, initializer=keras.initializers.Zeros(), **kwargs):
        super().__init__(**kwargs)
        self.initializer = initializer

    def build(self, input_shape):
        self.bias = self.add_weight(shape=(input_shape[-1],), initializer=self.initializer)

    def call(self, inputs):
        return inputs + self.bias
"""


def test_plain_arguments_need_no_get_config() -> None:
    assert lint(AUTO_CONFIG) == []


@pytest.mark.parametrize(
    ("code", "argument", "why"),
    [
        (LAYER_ARGUMENT, "inner", "is stored as self.inner and called"),
        (OBJECT_DEFAULT, "initializer", "defaults to an object"),
        (
            AUTO_CONFIG.replace("offset=1.0,", "offset: keras.Layer | None = None,"),
            "offset",
            "is annotated as a layer",
        ),
    ],
)
def test_a_keras_object_argument_without_get_config(
    code: str, argument: str, why: str
) -> None:
    [issue] = lint(code)
    assert issue.check == "config-complete"
    assert f"`{argument}` {why}" in issue.message
    assert "raise NotImplementedError" in issue.message
    assert "serialize_keras_object" in issue.message


def test_an_annotation_that_allows_a_plain_value_is_not_flagged() -> None:
    code = AUTO_CONFIG.replace("offset=1.0,", "offset: float | keras.Layer = 1.0,")
    assert lint(code) == []


GET_CONFIG_MISSES = AUTO_CONFIG.replace(
    "    def call(self, inputs):",
    "    def get_config(self):\n"
    '        return {**super().get_config(), "offset": self.offset, "axes": self.axes}\n'
    "\n    def call(self, inputs):",
)


def test_a_get_config_that_misses_an_argument_with_a_default() -> None:
    [issue] = lint(GET_CONFIG_MISSES)
    assert issue.check == "config-complete"
    assert "does not return `mode`" in issue.message
    assert "silently rebuild the layer with the default (mode='add')" in issue.message


def test_a_get_config_that_misses_a_required_argument() -> None:
    code = GET_CONFIG_MISSES.replace(
        'offset=1.0, axes=(1,), mode="add"', "mode, offset=1.0, axes=(1,)"
    )
    [issue] = lint(code)
    assert 'fail with "missing 1 required positional argument"' in issue.message


def test_an_argument_only_derived_from_is_not_flagged() -> None:
    """`shape` folded into `batch_shape` (Keras's InputLayer does it): what the layer
    keeps is in the config, so nothing is lost."""
    code = GET_CONFIG_MISSES.replace(
        "self.offset, self.axes, self.mode = offset, axes, mode",
        "self.offset, self.axes = offset, axes\n"
        "        self.subtract = mode == 'subtract'",
    ).replace('"axes": self.axes}', '"axes": self.axes, "subtract": self.subtract}')
    assert lint(code) == []


# --- structure: self before super().__init__ --------------------------------------

EARLY = """
import keras


@keras.saving.register_keras_serializable(package="calibration")
class Early(keras.layers.Layer):
    def __init__(self, units=4, **kwargs):
        self.units = units
        self.scale = float(units) ** 0.5
        {line}
        super().__init__(**kwargs)

    def call(self, inputs):
        return inputs * self.scale

    def get_config(self):
        return {{**super().get_config(), "units": self.units}}

    def _helper(self):
        return self.units * 2

    def _make(self):
        self.proj = keras.layers.Dense(self.units, dtype=self.dtype_policy)
"""


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("self.twice = self._helper()", None),
        ("pass", None),
        (
            "self.proj = keras.layers.Dense(units, dtype=kwargs.get('dtype'))",
            "creates a sub-layer before super().__init__",
        ),
        (
            "self.blocks = [keras.layers.Dense(units, dtype=kwargs.get('dtype'))]",
            "cannot assign module before Module.__init__() call",
        ),
        ("self.seed = keras.random.SeedGenerator(1)", "creates a seed generator"),
        ("self.v = keras.Variable(1.0)", "creates a variable"),
        ("self.w = self.add_weight(shape=())", "calls self.add_weight()"),
        ("self._make()", "calls self._make()"),
        ("policy = self.dtype_policy", "reads self.dtype_policy"),
    ],
)
def test_only_tracked_state_and_layer_api_need_super_init_first(
    line: str, words: str | None
) -> None:
    """Keras 3 creates its attribute tracker lazily: plain attributes set before
    super().__init__() are fine; sub-layers (a torch Module on torch), variables, seed
    generators and the layer's own methods and attributes are not."""
    found = lint(EARLY.format(line=line))
    if words is None:
        assert found == []
    else:
        [issue] = found
        assert issue.check == "structure" and words in issue.message


def test_tf_keras_keeps_its_strict_rule() -> None:
    code = EARLY.format(line="pass").replace(
        "import keras\n", "import tf_keras as keras\n"
    )
    code = code.replace(
        "keras.saving.register_keras_serializable",
        "keras.utils.register_keras_serializable",
    )
    [issue] = lint(code)
    assert "uses `self` before super().__init__" in issue.message


# --- state-hygiene: add_weight names are a tf-keras matter --------------------------


def test_unnamed_weights_are_fine_in_keras_3() -> None:
    assert lint(OBJECT_DEFAULT.replace("=keras.initializers.Zeros()", '="zeros"')) == []


# --- state-hygiene: sub-layers without dtype= ---------------------------------------

SUBLAYERS = """
import keras


@keras.saving.register_keras_serializable(package="calibration")
class Block(keras.layers.Layer):
    def __init__(self, units=4, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.units, self.rate = units, rate
        self.proj = keras.layers.Dense(units{dtype})
        self.drop = keras.layers.Dropout(rate{dtype})
        self.spec = keras.layers.InputSpec(min_ndim=2)

    def build(self, input_shape):
        self.norm = keras.layers.LayerNormalization({dtype_only})
        self.proj.build(input_shape)
        self.norm.build(input_shape[:-1] + (self.units,))

    def call(self, inputs, training=None):
        return self.norm(self.drop(self.proj(inputs), training=training))

    def get_config(self):
        return {{**super().get_config(), "units": self.units, "rate": self.rate}}
"""


def test_sub_layers_without_dtype_are_reported_once_per_layer() -> None:
    [issue] = lint(SUBLAYERS.format(dtype="", dtype_only=""))
    assert issue.check == "state-hygiene" and issue.line == 10
    assert "creates 3 sub-layers (Dense, Dropout, LayerNormalization)" in issue.message
    assert (
        'Block(dtype="mixed_float16") still computes them in float32' in issue.message
    )
    assert "pass dtype=self.dtype_policy" in issue.message


@pytest.mark.parametrize(
    ("dtype", "dtype_only"),
    [
        (", dtype=self.dtype_policy", "dtype=self.dtype_policy"),
        (", **self._sub_kwargs", 'dtype="float32"'),  # **kwargs may carry it
    ],
)
def test_sub_layers_given_a_dtype_are_fine(dtype: str, dtype_only: str) -> None:
    assert lint(SUBLAYERS.format(dtype=dtype, dtype_only=dtype_only)) == []


# --- structure: registration --------------------------------------------------------


def test_an_unregistered_class_is_told_what_load_model_says() -> None:
    code = AUTO_CONFIG.replace(
        '@keras.saving.register_keras_serializable(package="calibration")\n', ""
    )
    [issue] = lint(code)
    assert "load_model of a model that contains it fails with" in issue.message
    assert "\"Could not locate class 'Offset'\"" in issue.message


def test_packages_keras_locates_by_module_need_no_registration(tmp_path: Path) -> None:
    code = AUTO_CONFIG.replace(
        '@keras.saving.register_keras_serializable(package="calibration")\n', ""
    )
    for root in ("site-packages/keras_hub/src/models", "src/keras_hub/layers"):
        folder = tmp_path / root
        folder.mkdir(parents=True)
        if root.startswith("src"):
            (tmp_path / "src/keras_hub/__init__.py").write_text("")
            (folder / "__init__.py").write_text("")
        path = folder / "offset.py"
        path.write_text(code, encoding="utf-8")
        assert lint_source(code, str(path)) == [], root
    mine = tmp_path / "site-packages/my_layers"
    mine.mkdir(parents=True)
    (mine / "offset.py").write_text(code, encoding="utf-8")
    assert [i.check for i in lint_source(code, str(mine / "offset.py"))] == [
        "structure"
    ]


@pytest.mark.parametrize("exporter", ["keras_hub_export", "keras_rs_export"])
def test_the_keras_hub_and_keras_rs_exporters_register(exporter: str) -> None:
    code = AUTO_CONFIG.replace(
        '@keras.saving.register_keras_serializable(package="calibration")',
        f'from x.api_export import {exporter}\n\n\n@{exporter}("x.layers.Offset")',
    )
    assert lint(code) == []


# --- state-hygiene: code for one backend on purpose ---------------------------------


def test_backend_guarded_code_is_not_a_portability_bug() -> None:
    code = AUTO_CONFIG.replace(
        "        return inputs + self.offset",
        '        if keras.config.backend() == "tensorflow":\n'
        "            import tensorflow as tf\n\n"
        "            return tf.add(inputs, self.offset)\n"
        "        return inputs + self.offset",
    )
    assert lint(code) == []
    unguarded = code.replace('if keras.config.backend() == "tensorflow":', "if True:")
    assert [i.check for i in lint(unguarded)] == ["state-hygiene"]


def test_a_flag_argument_kept_for_the_call_is_not_python_state() -> None:
    code = AUTO_CONFIG.replace(
        "    def call(self, inputs):\n",
        "    def call(self, inputs, return_scores=False):\n"
        "        self._return_scores = return_scores\n",
    )
    assert lint(code) == []
    stored = code.replace(
        "self._return_scores = return_scores", "self.last = keras.ops.mean(inputs)"
    )
    assert [i.check for i in lint(stored)] == ["state-hygiene"]


# --- With Keras: the consequences the lint claims -----------------------------------


def _load(code: str, tmp_path: Path, name: str) -> ModuleType:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _unique(code: str, name: str) -> str:
    """The layers registered under a package of their own, per test."""
    return code.replace('package="calibration"', f'package="calibration_{name}"')


@pytest.mark.backend
def test_keras_auto_config_round_trips_plain_arguments(tmp_path: Path) -> None:
    pytest.importorskip("keras")
    module = _load(_unique(AUTO_CONFIG, "auto"), tmp_path, "calibration_auto")
    layer = module.Offset(offset=0.5, axes=(1, 2), mode="scale")
    again = module.Offset.from_config(layer.get_config())
    assert (again.offset, list(again.axes), again.mode) == (0.5, [1, 2], "scale")


@pytest.mark.backend
def test_keras_cannot_auto_config_a_layer_argument(tmp_path: Path) -> None:
    keras = pytest.importorskip("keras")
    module = _load(
        _unique(LAYER_ARGUMENT, "layer_arg"), tmp_path, "calibration_layer_arg"
    )
    layer = module.Residual(keras.layers.Dense(3))
    with pytest.raises(NotImplementedError, match="non-serializable argument"):
        layer.get_config()
    noisy = _load(
        _unique(OBJECT_DEFAULT, "object_default"), tmp_path, "calibration_obj"
    )
    with pytest.raises(NotImplementedError):
        noisy.Noisy().get_config()  # the default itself is an object


@pytest.mark.backend
def test_a_missing_argument_with_a_default_comes_back_as_the_default(
    tmp_path: Path,
) -> None:
    pytest.importorskip("keras")
    module = _load(_unique(GET_CONFIG_MISSES, "misses"), tmp_path, "calibration_misses")
    again = module.Offset.from_config(module.Offset(mode="scale").get_config())
    assert again.mode == "add"


@pytest.mark.backend
def test_plain_attributes_before_super_init_work_tracked_state_does_not(
    tmp_path: Path,
) -> None:
    keras = pytest.importorskip("keras")
    plain = _load(
        _unique(EARLY.format(line="pass"), "plain"), tmp_path, "calibration_plain"
    )
    layer = plain.Early(units=4)
    assert float(keras.ops.convert_to_numpy(layer(keras.ops.ones((1, 4))))[0, 0]) == 2.0
    weight = _load(
        _unique(EARLY.format(line="self.w = self.add_weight(shape=())"), "weight"),
        tmp_path,
        "calibration_weight",
    )
    with pytest.raises(
        RuntimeError, match="forgot to call `super\\(\\).__init__\\(\\)`"
    ):
        weight.Early()
    sub = _load(
        _unique(
            EARLY.format(line="self.proj = keras.layers.Dense(units, dtype=None)"),
            "sub",
        ),
        tmp_path,
        "calibration_sub",
    )
    if keras.backend.backend() == "torch":
        with pytest.raises(AttributeError, match="cannot assign module before"):
            sub.Early()
    else:
        assert len(sub.Early()._layers) == 1  # works by luck on TensorFlow and JAX


@pytest.mark.backend
def test_a_sub_layer_without_dtype_computes_in_the_global_policy(
    tmp_path: Path,
) -> None:
    pytest.importorskip("keras")
    code = SUBLAYERS.format(dtype="", dtype_only="")
    broken = _load(_unique(code, "nodtype"), tmp_path, "calibration_nodtype")
    layer = broken.Block(dtype="mixed_float16")
    assert layer.compute_dtype == "float16"
    assert layer.proj.compute_dtype == "float32"  # mixed precision silently lost
    fixed_code = SUBLAYERS.format(
        dtype=", dtype=self.dtype_policy", dtype_only="dtype=self.dtype_policy"
    )
    fixed = _load(_unique(fixed_code, "dtype"), tmp_path, "calibration_dtype")
    assert fixed.Block(dtype="mixed_float16").proj.compute_dtype == "float16"


@pytest.mark.backend
def test_an_unregistered_class_cannot_be_located(tmp_path: Path) -> None:
    keras = pytest.importorskip("keras")
    code = AUTO_CONFIG.replace(
        '@keras.saving.register_keras_serializable(package="calibration")\n', ""
    )
    module = _load(code, tmp_path, "calibration_unregistered")
    model = keras.Sequential([keras.Input((3,)), module.Offset()])
    path = tmp_path / "model.keras"
    model.save(path)
    with pytest.raises(TypeError, match="Could not locate class 'Offset'"):
        keras.models.load_model(path)
