"""Expectations from specs and options, check selection and reports: no Keras involved."""

from __future__ import annotations

import json
import sys

import pytest

from keraslayer_gen import api
from keraslayer_gen.errors import KlgenError
from keraslayer_gen.harness import (
    CHECK_IDS,
    CheckResult,
    Example,
    Expectations,
    LayerReport,
    Report,
    expectations_for,
    expectations_from_spec,
    select_checks,
)
from keraslayer_gen.harness.backends import missing_message, resolve_backends
from keraslayer_gen.harness.checklist import split_ids


def spec_of(name: str):  # type: ignore[no-untyped-def]
    return api.load_example(name).spec


def test_decaying_dropout_counts_state_masking_and_randomness() -> None:
    exp = expectations_from_spec(spec_of("decaying-dropout"))
    assert [e.input_shape for e in exp.examples] == [(4, 10, 8), (3, 6)]
    assert [e.mask for e in exp.examples] == [True, False]
    assert all(
        (e.trainable, e.non_trainable, e.seed_generators) == (0, 1, 1)
        for e in exp.examples
    )
    assert exp.examples[0].init == {"initial_keep_rate": 0.8, "decay_interval": 2}
    assert exp.examples[0].output_shape == (4, 10, 8)  # output_shape: same
    assert (exp.masking, exp.training, exp.stochastic) == ("propagate", True, True)
    assert exp.state == ("iterations",)
    assert exp.aggregation == {"iterations": "only_first_replica"}
    assert exp.target == "keras3"


def test_conditional_weights_follow_each_examples_init() -> None:
    # gamma (when: scale) and beta (when: center) exist only when their argument is true
    exp = expectations_from_spec(spec_of("group-normalization"))
    assert [e.trainable for e in exp.examples] == [2, 1, 2]  # example 1: center=false
    assert {e.non_trainable for e in exp.examples} == {0}
    assert {e.seed_generators for e in exp.examples} == {0}
    assert exp.stochastic is False and exp.training is False
    assert exp.state == () and exp.masking == "none"


def test_dense_use_bias_and_computed_output_shape() -> None:
    exp = expectations_from_spec(spec_of("dense"))
    assert [e.trainable for e in exp.examples] == [
        2,
        1,
    ]  # use_bias: false drops the bias
    assert [e.output_shape for e in exp.examples] == [
        None,
        None,
    ]  # an expression, not same


def test_declared_dtypes_and_mean_aggregation_of_moving_statistics() -> None:
    exp = expectations_from_spec(spec_of("moving-average-normalization"))
    assert exp.state == ("moving_mean", "moving_variance")
    assert exp.aggregation == {"moving_mean": "mean", "moving_variance": "mean"}
    assert exp.weight_dtypes == {"moving_mean": "float32", "moving_variance": "float32"}
    assert [e.dtype for e in exp.examples] == ["float32", "float64"]
    assert {(e.trainable, e.non_trainable) for e in exp.examples} == {(0, 2)}
    assert exp.stochastic is False  # a training body without keras.random


def test_a_body_that_belongs_to_the_file_leaves_randomness_to_observation() -> None:
    spec = spec_of("decaying-dropout")
    spec = spec.model_copy(update={"call": None})
    assert expectations_from_spec(spec).stochastic is None
    assert "stochastic" in expectations_from_spec(spec).observed_fields()


def test_every_catalogue_example_yields_expectations() -> None:
    for name in api.example_names():
        spec = spec_of(name)
        exp = expectations_from_spec(spec)
        assert exp.examples and exp.masking is not None and exp.state is not None
        # a layer with sub-layers: the spec cannot count their weights, they are observed
        assert ("trainable" in exp.observed_fields()) == bool(spec.layers)


def test_options_expectations_observe_what_is_not_given() -> None:
    exp = expectations_for([(3, 5)], init={"units": 4}, trainable=2, state=["moving"])
    assert exp.examples == (Example((3, 5), {"units": 4}, trainable=2),)
    assert exp.state == ("moving",)
    assert set(exp.observed_fields()) == {
        "masking",
        "training",
        "stochastic",
        "non_trainable",
        "seed_generators",
    }
    with pytest.raises(ValueError):
        expectations_for([])


def test_overrides_keep_the_spec_where_they_are_none() -> None:
    exp = expectations_from_spec(spec_of("dense")).with_overrides(
        masking=None, training=True, trainable=5
    )
    assert exp.masking == "propagate" and exp.training is True
    assert [e.trainable for e in exp.examples] == [5, 5]
    with pytest.raises(TypeError, match="unknown expectation"):
        exp.with_overrides(colour="red")


def test_expectations_survive_json() -> None:
    for name in api.example_names():
        exp = expectations_from_spec(spec_of(name))
        again = Expectations.from_dict(json.loads(json.dumps(exp.to_dict())))
        assert again == exp


def test_invalid_expectations_are_refused() -> None:
    with pytest.raises(ValueError, match="masking"):
        Expectations(examples=(Example((2, 3)),), masking="hide")
    with pytest.raises(ValueError, match="example"):
        Expectations(examples=())


def test_check_selection_defaults_full_only_and_skip() -> None:
    assert select_checks() == [c for c in CHECK_IDS if c != "distributed"]
    assert select_checks(full=True) == list(CHECK_IDS)
    assert select_checks(only=["distributed"]) == [
        "distributed"
    ]  # --only needs no --full
    assert select_checks(only=["shapes,build"]) == ["build", "shapes"]  # contract order
    assert "masking" not in select_checks(skip=["masking", "jit-parity"])
    assert split_ids(["a, b", "c"]) == ["a", "b", "c"]


def test_unknown_check_ids_say_what_was_meant() -> None:
    with pytest.raises(
        KlgenError, match=r"--only biuld: unknown check \(did you mean `build`"
    ):
        select_checks(only=["biuld"])
    with pytest.raises(KlgenError, match="--skip"):
        select_checks(skip=["nope"])


def test_a_missing_backend_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import keraslayer_gen.harness.backends as backends

    monkeypatch.setattr(
        backends, "find_spec", lambda name: None if name == "jax" else object()
    )
    assert missing_message("jax") == (
        "the jax backend is not installed: pip install 'keraslayer-gen[jax]'"
    )
    with pytest.raises(KlgenError, match=r"keraslayer-gen\[jax\]"):
        resolve_backends(["jax"])
    assert resolve_backends(None) == ["tensorflow", "torch"]
    with pytest.raises(KlgenError, match="did you mean `torch`"):
        resolve_backends(["troch"])
    assert "tf-keras" in (missing_message("jax", "tf-keras") or "")


def test_report_exit_codes_json_and_table() -> None:
    layer = LayerReport(target="x.py", class_name="X", checks=["structure", "build"])
    layer.results = [
        CheckResult("structure", None, "pass"),
        CheckResult("build", "jax", "fail", 0.5, "build() creates 1 weight"),
    ]
    report = Report([layer])
    assert report.exit_code == 1 and not report.ok
    data = json.loads(json.dumps(report.to_dict()))
    assert data["schema"] == 1 and data["layers"][0]["results"][1]["backend"] == "jax"
    text = report.render()
    assert "FAIL build [jax] build() creates 1 weight" in text
    assert "\x1b[" not in text and "\x1b[" in report.render(color=True)
    layer.error = "importing x raises ImportError"
    assert report.exit_code == 2


def test_nothing_here_imports_keras() -> None:
    import subprocess

    code = (
        "import sys, keraslayer_gen.harness, keraslayer_gen.testing, "
        "keraslayer_gen.cli.verify; "
        "bad = [m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_options_override_a_spec_and_its_counts_follow() -> None:
    from keraslayer_gen.harness import LayerTarget, expectations_for_target

    target = LayerTarget(
        text="dense.py",
        class_name="Dense",
        module="dense",
        spec=spec_of("dense"),
        spec_label="example:dense",
    )
    exp = expectations_for_target(target, init={"units": 2, "use_bias": False})
    assert [e.trainable for e in exp.examples] == [1, 1]  # no bias for either example
    assert [e.mask for e in exp.examples] == [False, True]  # the spec's own masks kept
    exp = expectations_for_target(target, input_shapes=[(3, 4)], init={"units": 2})
    assert [(e.input_shape, e.trainable) for e in exp.examples] == [((3, 4), 2)]
    assert exp.masking == "propagate"


def test_a_layer_without_spec_needs_input_shapes() -> None:
    from keraslayer_gen.harness import LayerTarget, expectations_for_target

    with pytest.raises(KlgenError, match="give --input-shape"):
        expectations_for_target(LayerTarget(text="x.py", class_name="X", module="x"))
    exp = expectations_for_target(
        LayerTarget(text="x.py", class_name="X", module="x", target="tf-keras"),
        input_shapes=[(2, 3)],
    )
    assert exp.target == "tf-keras" and exp.examples[0].seed_generators == 0


def test_an_unknown_declared_size_fits_any_eager_size() -> None:
    """A `None` in compute_output_shape's answer is unknown, as Keras reads it (keras's
    EinsumDense with `output_shape=[None, 5]`): no false alarm; a wrong size or rank
    still fails the shapes check."""
    from keraslayer_gen.harness.worker.checks.shapes import shape_agrees

    assert shape_agrees((1, None, 5), (1, 6, 5))
    assert shape_agrees((None, 6, 5), (1, 6, 5))
    assert not shape_agrees((1, 7, 5), (1, 6, 5))
    assert not shape_agrees((1, None), (1, 6, 5))
