"""The broken-layer corpus (tests/corpus/) against the lint, plain Keras and the harness.

Three layers of proof, cheapest first:
- the static lint reports exactly the declared static check on each static bug, with a
  message naming the fix, and nothing on any other layer (no Keras needed);
- `@pytest.mark.backend`: with plain Keras, each `Broken` layer shows its bug on the
  backends where it manifests and each `Fixed` twin is sound, so the corpus is real
  independently of klgen's harness;
- `@pytest.mark.harness`: `klgen verify` fails each `Broken` layer on exactly its
  check (plus the consequences the case declares) and passes each `Fixed` twin. The
  layers that run on the same backends go through one run of its engine
  (`tests.corpus._batch`: one worker per backend serves them all); each test reads its
  own layer's report.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from keraslayer_gen.harness.target import keras_target_of
from keraslayer_gen.lint.driver import lint_file
from tests.corpus import BACKENDS, CHECKS, EXPECT_KEYS, Case, load_cases
from tests.corpus._verify import BatchPool, installed_backends, legit_skip, table

CASES = load_cases()
BY_NAME = {case.name: case for case in CASES}


def _ids(cases: list[Case]) -> list[str]:
    return [case.name for case in cases]


KERAS3_CASES = [case for case in CASES if case.keras_target == "keras3"]
TF_KERAS_CASES = [case for case in CASES if case.keras_target == "tf-keras"]


def test_corpus_covers_every_check_with_distinct_bugs() -> None:
    assert len(KERAS3_CASES) >= 17
    assert len({case.summary for case in CASES}) == len(CASES), "two cases, one bug"
    caught = {case.check for case in KERAS3_CASES}
    # Every check but jit-parity has a bug of its own: every parity bug found in practice
    # either crashes (caught by the checks that train) or is also random at inference.
    assert set(CHECKS) - caught == {"jit-parity"}


def test_tf_keras_members_mirror_keras3_bugs() -> None:
    """Each tf-keras member is the Keras 2 form of a Keras 3 case: `tf_keras_<bug>`
    beside `<bug>`, caught by the same check."""
    assert len(TF_KERAS_CASES) >= 5
    for case in TF_KERAS_CASES:
        twin = BY_NAME.get(case.name.removeprefix("tf_keras_"))
        assert case.name.startswith("tf_keras_") and twin is not None, case.name
        assert twin.keras_target == "keras3"
        assert case.check == twin.check, case.name
        assert case.backends == ("tensorflow",) and case.symptom_backends == (
            "tensorflow",
        )
        assert case.summary.startswith("Bug: (tf-keras) ")


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_case_is_well_formed(case: Case) -> None:
    assert case.summary.startswith("Bug: ")
    assert case.check in CHECKS
    assert case.fix and all(word.strip() for word in case.fix)
    assert not set(case.fix) & set(case.not_fix)
    assert set(case.expect) <= EXPECT_KEYS
    assert "input_shape" in case.expect and "init" in case.expect
    assert set(case.backends) <= set(BACKENDS) and case.backends
    assert set(case.symptom_backends) <= set(BACKENDS)
    assert set(case.also) <= set(CHECKS) | {"*"}
    assert case.check not in case.also
    assert all(reason.strip() for reason in case.also.values())
    assert case.full == (case.check == "distributed")
    assert case.keras_target in ("keras3", "tf-keras")
    source = case.path.read_text(encoding="utf-8")
    assert "class Broken(keras.layers.Layer)" in source
    assert "class Fixed(keras.layers.Layer)" in source
    assert "def symptom(cls)" in source
    assert "keras.src" not in source
    if case.keras_target == "tf-keras":
        # Keras 2 layers: tf_keras (imported as keras) and TensorFlow, never Keras 3;
        # the harness detects the target from these imports.
        assert keras_target_of(source) == "tf-keras"
        assert "import tf_keras as keras" in source and "\nimport keras" not in source
    else:
        # keras3 layers: public Keras API, no backend framework in the layers.
        assert "tf_keras" not in source


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_lint_flags_exactly_the_static_bugs(case: Case) -> None:
    issues = lint_file(case.path)
    broken = [issue for issue in issues if issue.class_name == "Broken"]
    fixed = [issue for issue in issues if issue.class_name == "Fixed"]
    assert fixed == [], f"false alarm on the fixed twin: {fixed}"
    if not case.static:
        assert broken == [], f"false alarm on a runtime bug: {broken}"
        return
    assert {issue.check for issue in broken} == {case.check}, broken
    for issue in broken:
        message = issue.message.lower()
        missing = [word for word in case.fix if word.lower() not in message]
        assert not missing, f"{issue.message!r} does not name the fix ({missing})"


# -- plain Keras: the bugs are real --------------------------------------------------------

_REPLICA_SCRIPT = """
import json
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from tests.corpus import load_cases
case = next(c for c in load_cases() if c.name == "replica_state_diverges")
module = case.load()
print(json.dumps([module.symptom(module.Broken), module.symptom(module.Fixed)]))
"""


def _symptoms(case: Case, backend: str) -> tuple[str | None, str | None]:
    if case.name == "replica_state_diverges" and backend == "tensorflow":
        # Two logical CPUs must be configured before TensorFlow runs any op.
        env = {**os.environ, "KERAS_BACKEND": backend}
        root = str(case.path.parents[2])
        out = subprocess.run(
            [sys.executable, "-c", _REPLICA_SCRIPT],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        broken, fixed = json.loads(out.stdout.strip().splitlines()[-1])
        return broken, fixed
    module = case.load()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return module.symptom(module.Broken), module.symptom(module.Fixed)


@pytest.mark.backend
@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_bug_is_real_with_plain_keras(case: Case, keras_backend: str) -> None:
    if case.keras_target == "tf-keras":
        if keras_backend != "tensorflow":
            pytest.skip("tf_keras runs on TensorFlow only")
        pytest.importorskip("tf_keras")
    broken, fixed = _symptoms(case, keras_backend)
    assert fixed is None, f"the fixed twin shows the bug on {keras_backend}: {fixed}"
    if keras_backend in case.symptom_backends:
        assert broken is not None, f"Broken does not show its bug on {keras_backend}"
    else:
        # Documented as not manifesting here: keep the table in README.md honest.
        assert broken is None, f"Broken also shows its bug on {keras_backend}: {broken}"


# -- the harness: each bug caught by its check, each twin passes ---------------------------

_TWINS = {
    "test_broken_layer_fails_exactly_its_check": "Broken",
    "test_fixed_twin_passes_every_check": "Fixed",
}


def _harness_backends(case: Case, twin: str) -> list[str]:
    """Fixed twins run everywhere; a broken layer where its bug shows at runtime (a
    static bug's static check needs no backend, its runtime consequences do)."""
    if twin == "Fixed":
        wanted: tuple[str, ...] = (
            case.backends if case.keras_target == "tf-keras" else BACKENDS
        )
    else:
        wanted = case.symptom_backends if case.static else case.backends
    return [b for b in wanted if b in installed_backends(case.keras_target)]


def _submit(pool: BatchPool, case: Case, twin: str) -> None:
    pool.add(
        (case.name, twin),
        case.target(twin),
        case.expect,
        _harness_backends(case, twin),
        full=case.full,
    )


def _layer(pool: BatchPool, case: Case, twin: str) -> dict[str, Any]:
    """The report of `twin`: what `klgen verify TARGET --json --backend ...` with the
    case's expectations as options (and `--full` for a `full` case) reports."""
    _submit(pool, case, twin)
    return pool.get((case.name, twin))


@pytest.fixture(scope="module")
def corpus_reports(request: pytest.FixtureRequest) -> Iterator[BatchPool]:
    """Starts every selected corpus harness run at once: the layers that run on the same
    backends (and with or without `--full`) share one run of the `klgen verify` engine,
    one worker per backend for all of them (`tests.corpus._batch`); each test then reads its
    own layer's report, so each case still passes or fails on its own."""
    pool = BatchPool()
    for item in request.session.items:
        twin = _TWINS.get(getattr(item, "originalname", ""))
        callspec = getattr(item, "callspec", None)
        if twin and callspec is not None and item.module is request.module:
            case = callspec.params["case"]
            if _harness_backends(case, twin):
                _submit(pool, case, twin)
    pool.start()
    yield pool
    pool.close()


#: Harness bugs these cases expose, reported to the lead (Known issues in README.md). Strict:
#: when the harness is fixed the test passes, xfail reports XPASS, and the entry goes.
HARNESS_BUGS: dict[str, str] = {}
BROKEN_CASES = [
    (
        pytest.param(
            case, marks=pytest.mark.xfail(strict=True, reason=HARNESS_BUGS[case.name])
        )
        if case.name in HARNESS_BUGS
        else case
    )
    for case in CASES
]


@pytest.mark.harness
@pytest.mark.parametrize("case", BROKEN_CASES, ids=_ids(CASES))
def test_broken_layer_fails_exactly_its_check(
    case: Case, corpus_reports: BatchPool
) -> None:
    backends = _harness_backends(case, "Broken")
    if not backends:
        pytest.skip(f"none of {', '.join(case.backends)} is installed")
    layer = _layer(corpus_reports, case, "Broken")
    report = table(layer)
    assert layer["error"] is None, layer["error"]
    assert layer["exit_code"] == 1, report
    assert [b["backend"] for b in layer["backends"]] == backends

    caught = [r for r in layer["results"] if r["check"] == case.check]
    where = ["static"] if case.static else backends
    assert sorted(r["backend"] or "static" for r in caught) == sorted(where), report
    for result in caught:
        assert result["status"] == "fail", f"{case.check} misses the bug:\n{report}"
        message = result["message"].lower()
        missing = [w for w in case.fix if w.lower() not in message]
        assert not missing, f"the message does not name the fix {missing}:\n{report}"
        wrong = [w for w in case.not_fix if w.lower() in message]
        assert not wrong, f"the message gives the wrong fix {wrong}:\n{report}"

    for result in layer["results"]:
        if result["check"] == case.check:
            continue
        backend = result["backend"]
        if backend is not None and result["check"] in case.must_not_pass(backend):
            assert result["status"] in ("fail", "skip"), (
                f"{result['check']} no longer shows the bug on {backend}: update the case "
                f"and tests/corpus/README.md\n{report}"
            )
        elif backend is not None and result["check"] in case.may_fail(backend):
            continue
        else:
            assert result["status"] == "pass" or legit_skip(
                result
            ), f"false alarm: {result['check']} on {backend or 'static'}:\n{report}"


@pytest.mark.harness
@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_fixed_twin_passes_every_check(case: Case, corpus_reports: BatchPool) -> None:
    backends = _harness_backends(case, "Fixed")
    if not backends:
        pytest.skip("no Keras backend is installed")
    layer = _layer(corpus_reports, case, "Fixed")
    report = table(layer)
    assert layer["error"] is None, layer["error"]
    bad = [r for r in layer["results"] if not (r["status"] == "pass" or legit_skip(r))]
    assert not bad, f"false alarm on the fixed twin:\n{report}"
    assert layer["exit_code"] == 0, report
    # The check that catches the bug really ran on the twin: a pass, not a skip.
    ran = {
        r["backend"] or "static"
        for r in layer["results"]
        if r["check"] == case.check and r["status"] == "pass"
    }
    expected = {"static"} if case.static else set(case.backends) & set(backends)
    assert expected <= ran, f"{case.check} did not run on the fixed twin:\n{report}"
