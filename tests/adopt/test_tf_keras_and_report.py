"""tf-keras layers adopted into tf-keras specs, `--target keras3`, and the folder report."""

from __future__ import annotations

from typer.testing import CliRunner

from keraslayer_gen.adopt.plan import ADOPTED, ADOPTED_REGIONS, REFUSED, adopt_file
from keraslayer_gen.cli import app

from .sources import NOISY, REGION, TF_KERAS, TF_KERAS_PORTABLE, TUTORIAL, write_project


def test_tf_keras_layer_adopts_into_a_tf_keras_spec(tmp_path) -> None:
    layers = write_project(tmp_path, {"scaled_count": TF_KERAS})
    [result] = adopt_file(layers / "scaled_count.py")
    assert result.status == ADOPTED, result.reasons
    spec = result.spec
    assert spec is not None and spec.target == "tf-keras" and spec.training
    assert spec.state == {"count": "self.count.assign_add(1.0)"}
    assert spec.call is not None
    assert spec.call.training == "outputs = inputs * self.scale * self.factor\n"
    assert spec.call.inference == "outputs = inputs * self.scale\n"
    assert result.spec_text is not None and "target: tf-keras" in result.spec_text
    # the regenerated file is a tf-keras layer with K.in_train_phase and add_update
    text = result.layer_text or ""
    assert "import tf_keras as keras" in text
    assert "K.in_train_phase(" in text and "self.add_update(" in text


def test_target_keras3_lists_the_bodies_to_port_with_their_idioms(tmp_path) -> None:
    layers = write_project(tmp_path, {"scaled_count": TF_KERAS})
    (layers / "scaled_count.py").write_text(
        TF_KERAS.replace(
            "inputs * self.scale * self.factor", "tf.multiply(inputs, self.scale)"
        ),
        encoding="utf-8",
    )
    [result] = adopt_file(layers / "scaled_count.py", target="keras3")
    assert result.status == REFUSED
    [problem] = result.problems
    line = TF_KERAS.splitlines().index(
        "            return inputs * self.scale * self.factor"
    )
    assert f"scaled_count.py:{line + 1}: ScaledCount: --target keras3: " in problem
    assert "`call.training` needs porting" in problem
    assert "`tf.multiply` -> ops.multiply" in problem


def test_target_keras3_renders_a_tf_keras_layer_whose_bodies_are_portable(
    tmp_path,
) -> None:
    layers = write_project(tmp_path, {"halve": TF_KERAS_PORTABLE})
    [result] = adopt_file(layers / "halve.py", target="keras3")
    assert result.status == ADOPTED, result.reasons
    spec = result.spec
    assert spec is not None and spec.target == "keras3"
    assert spec.state == {"count": "self.count + 1.0"}  # the Keras 3 form: a new value
    text = result.layer_text or ""
    assert "import keras\n" in text and "tf_keras" not in text
    assert "self.count.assign(self.count + 1.0)" in text


def test_folder_report_per_layer(tmp_path, monkeypatch) -> None:
    layers = write_project(
        tmp_path,
        {
            "linear": TUTORIAL,
            "noisy": NOISY,
            "circle": REGION,
            "attention": TUTORIAL.replace(
                "self.use_bias = use_bias",
                "self.use_bias = use_bias\n"
                "        self.pool = keras.layers.AveragePooling1D(2)",
            ),
        },
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["adopt", "layers", "--no-diff"])
    assert result.exit_code == 1, result.output  # one layer was refused
    lines = [x for x in result.stdout.splitlines() if x.startswith("layers/")]
    assert lines == [
        "layers/attention.py:Linear: refused",
        "layers/circle.py:CircleScale: adopted with regions (not verified; --write "
        "proves it); dry run, nothing written",
        "layers/linear.py:Linear: adopted (not verified; --write proves it); dry run, "
        "nothing written",
        "layers/noisy.py:Noisy: adopted (not verified; --write proves it); dry run, "
        "nothing written",
    ]
    assert "cannot name without importing Keras; write them as keywords" in (
        result.stdout
    )
    assert not (layers / "linear.klgen.yaml").exists()  # a dry run writes nothing
    assert (layers / "linear.py").read_text(encoding="utf-8") == TUTORIAL


def test_region_layer_keeps_its_body_in_a_user_region(tmp_path) -> None:
    layers = write_project(tmp_path, {"circle": REGION})
    [result] = adopt_file(layers / "circle.py")
    assert result.status == ADOPTED_REGIONS
    assert result.regions == {"call": "import math\n\noutputs = inputs * math.pi"}
    text = result.layer_text or ""
    assert "# klgen: begin user region `call`\n        import math\n" in text


def test_write_without_proof_replaces_the_file_and_saves_spec_and_test(
    tmp_path, monkeypatch
) -> None:
    layers = write_project(tmp_path, {"linear": TUTORIAL})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app, ["adopt", "layers/linear.py:Linear", "--write", "--no-verify", "--no-diff"]
    )
    assert result.exit_code == 0, result.output
    assert (
        "adopted (not verified (--no-verify)); wrote layers/linear.py" in result.stdout
    )
    text = (layers / "linear.py").read_text(encoding="utf-8")
    assert text.startswith("# Generated by klgen")
    assert (layers / "linear.klgen.yaml").is_file()
    assert (tmp_path / "tests" / "test_linear.py").is_file()
    # adopting the adopted file again: nothing left to change
    again = CliRunner().invoke(app, ["adopt", "layers/linear.py", "--no-diff"])
    assert again.exit_code == 0, again.output
    [status] = adopt_file(layers / "linear.py")[0].plan.changes[:1]  # type: ignore[union-attr]
    assert status.status == "identical"


def test_unknown_class_and_missing_file_are_located_errors(
    tmp_path, monkeypatch
) -> None:
    write_project(tmp_path, {"linear": TUTORIAL})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["adopt", "layers/linear.py:Linaer"])
    assert result.exit_code == 2
    assert (
        "layers/linear.py: no Keras layer class `Linaer` (did you mean `Linear`?); "
        "layers: Linear" in result.stderr
    )
    result = CliRunner().invoke(app, ["adopt", "layers/nothing.py"])
    assert result.exit_code == 2
    assert "layers/nothing.py: no such file or folder" in result.stderr


def test_guard_return_becomes_an_if_else_body(tmp_path) -> None:
    from .sources import MASKED_MEAN

    layers = write_project(tmp_path, {"masked_mean": MASKED_MEAN})
    [result] = adopt_file(layers / "masked_mean.py")
    assert result.status == ADOPTED, result.reasons
    assert result.spec is not None and result.spec.masking == "consume"
    assert result.spec.call is not None
    assert result.spec.call.body == (
        "if mask is None:\n"
        "    outputs = ops.mean(inputs, axis=1)\n"
        "else:\n"
        "    weights = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)\n"
        "    total = ops.sum(inputs * weights, axis=1)\n"
        "    outputs = total / ops.maximum(ops.sum(weights, axis=1), 1.0)\n"
    )
    assert result.spec.output_shape == "(input_shape[0], input_shape[2])"
