"""Choosing the tf-keras target, bodies per target, and the rules for them (no Keras needed)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from keraslayer_gen import api
from keraslayer_gen.files.layout import out_layout
from tests.spec.runner import SPEC, assert_refused, run_klgen

SCALE = """\
klgen: 1
name: Scale
summary: Multiplies by `factor` in training.
args:
  factor: {type: float, default: 2.0}
training: true
call:
  training: |
    outputs = ops.multiply(inputs, self.factor)
  inference: |
    outputs = inputs
examples:
  - {input_shape: [2, 3]}
"""
TF_KERAS_BODIES = """\
targets:
  tf-keras:
    call:
      training: |
        outputs = tf.multiply(inputs, self.factor)
      inference: |
        outputs = inputs
"""


def _layer(folder: Path) -> str:
    return (folder / "out" / "scale.py").read_text(encoding="utf-8")


def _methods(source: str) -> dict[str, ast.FunctionDef]:
    cls = next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef))
    return {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef)}


def test_target_flag_renders_the_tf_keras_bodies(tmp_path: Path) -> None:
    (tmp_path / SPEC).write_text(SCALE + TF_KERAS_BODIES, encoding="utf-8")
    outcome = run_klgen(
        tmp_path, ["new", "--spec", SPEC, "--out", "out", "--target", "tf-keras"]
    )
    assert outcome.exit_code == 0, outcome.stderr
    layer = _layer(tmp_path)
    assert "import tf_keras as keras\nfrom tf_keras import backend as K\n" in layer
    assert "return tf.multiply(inputs, self.factor)" in layer
    assert "ops." not in layer
    assert "K.in_train_phase(" in layer
    test = (tmp_path / "out" / "test_scale.py").read_text(encoding="utf-8")
    assert "import tf_keras as keras" in test and "import keras\n" not in test


def test_the_spec_alone_renders_keras3(tmp_path: Path) -> None:
    (tmp_path / SPEC).write_text(SCALE + TF_KERAS_BODIES, encoding="utf-8")
    assert run_klgen(tmp_path, ["new", "--spec", SPEC, "--out", "out"]).exit_code == 0
    layer = _layer(tmp_path)
    assert "import keras\nfrom keras import ops\n" in layer
    assert "tf." not in layer


def test_tf_keras_without_its_bodies_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / SPEC).write_text(SCALE, encoding="utf-8")
    outcome = run_klgen(
        tmp_path, ["new", "--spec", SPEC, "--out", "out", "--target", "tf-keras"]
    )
    assert_refused(
        outcome,
        [
            f"{SPEC}: the spec's bodies are for keras3; add `targets: {{tf-keras: "
            "{call: ...}}` with bodies in tf-keras's idiom to render it for tf-keras"
        ],
        {SPEC},
    )


TWO_TENSORS = """\
klgen: 1
name: AddBoth
summary: Adds a second tensor to the first.
inputs:
  query: {ndim: 3}
  value: {ndim: 3}
call:
  body: |
    outputs = query + value
targets:
  tf-keras:
    call:
      body: |
        outputs = query + value
examples:
  - inputs: {query: [2, 3, 4], value: [2, 3, 4]}
"""


def test_several_tensor_arguments_become_one_list_for_tf_keras(tmp_path: Path) -> None:
    """tf-keras passes only the first tensor argument's shape to `build` and only its
    mask to `call`, so a spec with several tensor arguments renders for it as tf-keras's
    own multi-input layers are written: `call(self, inputs, mask=None)` with the list of
    tensors and of masks, `build(self, input_shape)` with the list of shapes. keras3
    keeps the tensor arguments; both bodies see the same names."""
    (tmp_path / SPEC).write_text(TWO_TENSORS, encoding="utf-8")
    outcome = run_klgen(
        tmp_path, ["new", "--spec", SPEC, "--out", "out", "--target", "tf-keras"]
    )
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    tf_keras = (tmp_path / "out" / "add_both.py").read_text(encoding="utf-8")
    methods = _methods(tf_keras)
    assert ast.unparse(methods["call"].args) == "self, inputs"
    assert ast.unparse(methods["call"].body[0]) == "query, value = inputs"
    assert ast.unparse(methods["compute_output_shape"].args) == "self, input_shape"
    assert "inputs: List of the input tensors `query`, `value`." in tf_keras
    test = (tmp_path / "out" / "test_add_both.py").read_text(encoding="utf-8")
    assert "tf_keras" in test
    assert run_klgen(tmp_path, ["new", "--spec", SPEC, "--out", "k3"]).exit_code == 0
    keras3 = (tmp_path / "k3" / "add_both.py").read_text(encoding="utf-8")
    assert ast.unparse(_methods(keras3)["call"].args) == "self, query, value"


def test_a_spec_without_bodies_renders_user_regions_for_tf_keras(
    tmp_path: Path,
) -> None:
    spec = SCALE.split("call:")[0] + "examples:\n  - {input_shape: [2, 3]}\n"
    (tmp_path / SPEC).write_text(spec, encoding="utf-8")
    outcome = run_klgen(
        tmp_path, ["new", "--spec", SPEC, "--out", "out", "--target", "tf-keras"]
    )
    assert outcome.exit_code == 0, outcome.stderr
    call = ast.unparse(_methods(_layer(tmp_path))["call"])
    assert (
        "def training_outputs():\n        outputs = inputs\n        return outputs"
        in call
    )
    layer = _layer(tmp_path)
    assert "            # klgen: begin user region `training`\n" in layer
    assert "            # klgen: begin user region `inference`\n" in layer


def test_user_code_in_a_nested_function_survives_sync(tmp_path: Path) -> None:
    spec = SCALE.split("call:")[0] + "examples:\n  - {input_shape: [2, 3]}\n"
    (tmp_path / SPEC).write_text(spec, encoding="utf-8")
    layout = out_layout(tmp_path / "out")
    loaded = api.load_spec(tmp_path / SPEC)
    api.write(api.plan_layer(loaded, layout, target="tf-keras"))
    path = tmp_path / "out" / "scale.py"
    edited = path.read_text(encoding="utf-8").replace(
        "# klgen: begin user region `training`\n            outputs = inputs\n",
        "# klgen: begin user region `training`\n            outputs = inputs * 3.0\n",
    )
    assert "inputs * 3.0" in edited
    path.write_text(edited, encoding="utf-8")
    plan = api.plan_layer(loaded, layout, target="tf-keras", mode="sync")
    assert "outputs = inputs * 3.0\n" in plan.changes[0].text
    assert plan.changes[0].status in ("identical", "update")


def test_project_config_picks_the_target(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.klgen]\nlayers_dir = "layers"\n'
        'tests_dir = "tests"\ntarget = "tf-keras"\n',
        encoding="utf-8",
    )
    outcome = run_klgen(tmp_path, ["new", "--example", "decaying-dropout"])
    assert outcome.exit_code == 0, outcome.stderr
    layer = (tmp_path / "layers" / "decaying_dropout.py").read_text(encoding="utf-8")
    assert "import tf_keras as keras" in layer
    assert "self.add_update(self.iterations.assign_add(1))" in layer


def test_a_tf_keras_spec_carries_keras3_bodies(tmp_path: Path) -> None:
    spec = yaml.safe_load(SCALE)
    spec["target"] = "tf-keras"
    tf_bodies = yaml.safe_load(TF_KERAS_BODIES)["targets"]["tf-keras"]
    spec["targets"] = {"keras3": {"call": spec.pop("call")}}
    spec["call"] = tf_bodies["call"]
    (tmp_path / SPEC).write_text(
        yaml.safe_dump(spec, sort_keys=False), encoding="utf-8"
    )
    assert run_klgen(tmp_path, ["new", "--spec", SPEC, "--out", "out"]).exit_code == 0
    assert "import tf_keras as keras" in _layer(tmp_path)
    outcome = run_klgen(
        tmp_path, ["new", "--spec", SPEC, "--out", "k3", "--target", "keras3"]
    )
    assert outcome.exit_code == 0, outcome.stderr
    layer = (tmp_path / "k3" / "scale.py").read_text(encoding="utf-8")
    assert "outputs = ops.multiply(inputs, self.factor)" in layer


#: Catalogue examples written for keras3 only: several tensor arguments, which tf-keras
#: cannot build from (refused for it, see the test above).
@pytest.mark.parametrize("name", api.example_names())
def test_every_catalogue_spec_renders_for_both_targets(name: str) -> None:
    source = api.load_example(name)
    layout = out_layout(Path("/nonexistent-klgen-out"))
    keras3 = api.plan_layer(source, layout).changes[0].text
    tf_keras = api.plan_layer(source, layout, target="tf-keras").changes[0].text
    assert "import keras\n" in keras3 and "tf_keras" not in keras3
    assert (
        "import tf_keras as keras\n" in tf_keras and "from keras import" not in tf_keras
    )
    methods = _methods(tf_keras)
    if "build" in methods:
        last = methods["build"].body[-1]
        assert ast.unparse(last) == "super().build(input_shape)"
    spec = source.spec
    init = ast.unparse(methods["__init__"])
    for weight in spec.weights:
        assert f"self.{weight} = None" in init
    assert ("self.supports_masking = True" in init) is (spec.masking != "none")
    assert "autocast=" not in tf_keras.replace("experimental_autocast=", "")
    assert "aggregation='" not in tf_keras and 'aggregation="' not in tf_keras


# -- rules for bodies per target ---------------------------------------------------------

COUNTER = """\
klgen: 1
name: Counter
summary: Counts its training calls.
examples: [{input_shape: [2, 3]}]
args:
  seed: {type: int | None, default: null}
seed_generator: seed
masking: custom
training: true
weights:
  count: {shape: [], initializer: zeros, trainable: false}
  other: {shape: [], initializer: zeros, trainable: false}
build: |
  n = ops.shape(input_shape)
state:
  count: self.count + 1
  other: ops.add(self.other, 1)
call:
  training: |
    outputs = inputs + keras.random.uniform(ops.shape(inputs), seed=self.seed_generator)
  inference: |
    outputs = inputs
compute_mask: |
  output_mask = mask
"""


def _refused(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / SPEC).write_text(text, encoding="utf-8")
    outcome = run_klgen(tmp_path, ["new", "--spec", SPEC, "--out", "out"])
    assert outcome.exit_code == 2, outcome.stdout + outcome.stderr
    assert not (tmp_path / "out").exists()
    return outcome.error_lines


def test_tf_keras_bodies_are_checked_in_their_scope(tmp_path: Path) -> None:
    lines = _refused(
        tmp_path,
        COUNTER + """\
targets:
  tf-keras:
    call:
      training: |
        import numpy
        outputs = tf.random.uniform((2,), seed=self.seed_generator) + ops.ones(1)
      body: |
        outputs = inputs
    state:
      count: self.other.assign_add(1)
      nope: self.count + 1
""",
    )
    assert lines == [
        f"{SPEC}:14:7: build: the `build` body renders for keras3 and tf-keras; `ops` "
        "exists only in one of them",
        f"{SPEC}:26:3: targets.tf-keras: `masking: custom` needs a tf-keras "
        "`compute_mask` body too",
        f"{SPEC}:27:5: targets.tf-keras.call: `call` needs `training` and `inference` "
        "bodies, like the spec's own; `inference` is missing",
        f"{SPEC}:29:9: targets.tf-keras.call.training: imports and global statements "
        "are not allowed in a body; `tf`, `K` and `keras` are in scope; list other "
        "modules in `imports`",
        f"{SPEC}:30:48: targets.tf-keras.call.training: tf-keras layers have no seed "
        "generator; pass `seed=self.seed` to the `tf.random` op",
        f"{SPEC}:30:71: targets.tf-keras.call.training: unknown name `ops` (did you mean "
        "`outputs`?); in scope: K, inputs, keras, mask, outputs, self, tf, training",
        f"{SPEC}:31:7: targets.tf-keras.call.body: a layer with `training: true` has "
        "`training` and `inference` bodies, not `body`",
        f"{SPEC}:33:5: targets.tf-keras.state: `other` is in the spec's `state` but has "
        "no tf-keras update",
        f"{SPEC}:34:14: targets.tf-keras.state.count: this update op updates `other`, "
        "not `count`",
        f"{SPEC}:35:7: targets.tf-keras.state.nope: `nope` is not in the spec's `state`",
    ]


def test_inherited_state_must_fit_the_other_target(tmp_path: Path) -> None:
    spec = COUNTER.replace("build: |\n  n = ops.shape(input_shape)\n", "")
    lines = _refused(
        tmp_path,
        spec + """\
targets:
  tf-keras:
    call:
      training: |
        outputs = inputs + tf.random.uniform(tf.shape(inputs), seed=self.seed)
      inference: |
        outputs = inputs
    compute_mask: |
      output_mask = mask
""",
    )
    assert lines == [
        f"{SPEC}:24:3: targets.tf-keras: `state.other` uses `ops`, which tf-keras code "
        "does not have; give `targets.tf-keras.state`"
    ]


def test_a_tf_keras_spec_has_tf_in_scope_and_no_ops(tmp_path: Path) -> None:
    lines = _refused(
        tmp_path,
        """\
klgen: 1
name: Scale
summary: Multiplies by `factor` in training.
target: tf-keras
args:
  factor: {type: float, default: 2.0}
training: true
call:
  training: |
    outputs = tf.multiply(inputs, K.constant(self.factor))
  inference: |
    outputs = ops.identity(inputs)
examples:
  - {input_shape: [2, 3]}
""",
    )
    assert lines == [
        f"{SPEC}:12:15: call.inference: unknown name `ops` (did you mean `outputs`?); "
        "in scope: K, inputs, keras, outputs, self, tf, training"
    ]
