"""`klgen verify` on real peer layers: Keras's own, keras-hub's and keras-rs's, as installed
(the `test` extra pins them), several-input and call-argument layers included.

Every layer of `tests.peers.layers.PEER_LAYERS` is declared as its documentation describes
it, and all of them go through one run of the `klgen verify` engine (`tests.peers.batch`:
one worker per backend serves every layer, so Keras is imported once per backend, not once
per layer). A check may fail only on a confirmed defect (`PEER_KNOWN`), whose consequence a
`backend` test below shows with the real class; any other failure is a klgen false alarm.
The table in docs/peers.md is compared with the run (`harness`) and with the lists
(always).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.peers.layers import PEER_KNOWN, PEER_LAYERS
from tests.test_peer_corpus import PEER_FINDINGS, needs_peers

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "peers.md"
BACKEND_COLUMNS = ("tensorflow", "jax", "torch")
#: The checks a peer's declaration makes meaningful; each must really run somewhere.
ALWAYS_RUN = ("config-roundtrip", "build", "shapes", "training")


def _backends() -> list[str]:
    from tests.corpus._verify import installed_backends

    return [b for b in BACKEND_COLUMNS if b in installed_backends()]


@pytest.fixture(scope="module")
def peer_run() -> Iterator[dict[str, dict[str, Any]]]:
    """The report of every peer layer, from one `klgen verify` run."""
    backends = _backends()
    if not backends:
        pytest.skip("no Keras backend is installed")
    out = subprocess.run(
        [sys.executable, "-m", "tests.peers.batch", ",".join(backends)],
        input=json.dumps(PEER_LAYERS),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert out.returncode == 0, out.stderr[-4000:]
    report = json.loads(out.stdout)
    yield {layer["target"]: layer for layer in report["layers"]}


def _kinds(target: str) -> list[str]:
    """The kinds of finding `klgen lint` makes on the class (tests/test_peer_corpus.py)."""
    module, _, name = target.partition(":")
    package = module.split(".")[0]
    return sorted(
        {
            kind
            for path, cls, _check, kind in PEER_FINDINGS
            if cls == name and path.split("/")[0] == package
        }
    )


def _lint(target: str) -> str:
    """The lint cell: `clean`, or the kinds of finding."""
    kinds = _kinds(target)
    return ", ".join(f"`{k}`" for k in kinds) if kinds else "clean"


def _verdict(target: str) -> str:
    """`sound`, or the confirmed defects: lint kinds, then the checks that fail."""
    defects = [f"`{k}`" for k in _kinds(target)]
    defects += [f"`{c}`" for c in sorted(PEER_KNOWN.get(target, {}))]
    return "defect: " + ", ".join(defects) if defects else "sound"


def _cell(layer: dict[str, Any], backend: str) -> str:
    """`pass`, or the checks that failed on `backend`."""
    failed = [
        r["check"]
        for r in layer["results"]
        if r["backend"] == backend and r["status"] == "fail"
    ]
    return "pass" if not failed else " ".join(f"`{c}` fails" for c in failed)


def docs_rows() -> dict[str, list[str]]:
    """The verify table of docs/peers.md: target -> its cells after the first."""
    rows: dict[str, list[str]] = {}
    inside = False
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if line.startswith("| Target | Lint |"):
            inside = True
            continue
        if inside and not line.startswith("|"):
            break
        if inside and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_the_docs_table_lists_every_peer_with_its_lint_and_verdict() -> None:
    rows = docs_rows()
    assert sorted(rows) == sorted(PEER_LAYERS)
    for target, cells in rows.items():
        assert len(cells) == 2 + len(BACKEND_COLUMNS) + 0, (target, cells)
        assert cells[0] == _lint(target), target
        assert cells[-1] == _verdict(target), target
        if target not in PEER_KNOWN:
            assert cells[1:-1] == ["pass"] * (len(cells) - 2), target


def test_at_least_twenty_peers_and_several_input_ones() -> None:
    assert len(PEER_LAYERS) >= 20
    several = [t for t, e in PEER_LAYERS.items() if "inputs" in e or "call_args" in e]
    assert len(several) >= 3, several


@pytest.mark.harness
@needs_peers
@pytest.mark.parametrize("target", sorted(PEER_LAYERS))
def test_peer_layer_passes_the_contract(
    target: str, peer_run: dict[str, dict[str, Any]]
) -> None:
    from tests.corpus._verify import legit_skip, table

    layer = peer_run[target]
    report = table(layer)
    assert layer["error"] is None, layer["error"]
    assert [b["backend"] for b in layer["backends"]] == _backends()
    assert all(b["status"] == "ok" for b in layer["backends"]), layer["backends"]
    known = PEER_KNOWN.get(target, {})
    for result in layer["results"]:
        words = known.get(result["check"])
        if words is None:
            assert result["status"] == "pass" or legit_skip(result), (
                f"{target} fails {result['check']} on "
                f"{result['backend'] or 'static'}:\n{report}"
            )
        elif result["status"] != "skip":
            assert result["status"] == "fail", (
                f"the known defect of {target} no longer shows: update PEER_KNOWN and "
                f"docs/peers.md\n{report}"
            )
            missing = [w for w in words if w.lower() not in result["message"].lower()]
            assert not missing, report
    ran = {r["check"] for r in layer["results"] if r["status"] in ("pass", "fail")}
    expect = PEER_LAYERS[target]
    wanted = set(ALWAYS_RUN)
    if expect.get("masking") not in (None, "none"):
        wanted.add("masking")
    if expect.get("state"):
        wanted.add("state")
    if expect.get("trainable"):
        wanted.add("gradients")
    assert wanted <= ran, report


@pytest.mark.harness
@needs_peers
def test_the_docs_table_is_what_the_run_finds(
    peer_run: dict[str, dict[str, Any]],
) -> None:
    rows = docs_rows()
    backends = _backends()
    for target, layer in peer_run.items():
        cells = rows[target]
        for backend in backends:
            column = 1 + BACKEND_COLUMNS.index(backend)
            assert cells[column] == _cell(layer, backend), (target, backend)


# --- the confirmed defects, shown with the real classes --------------------------------


@pytest.fixture
def keras():  # type: ignore[no-untyped-def]
    return pytest.importorskip("keras")


@pytest.mark.backend
@needs_peers
def test_feature_cross_build_leaves_its_dense_unbuilt(keras) -> None:  # type: ignore[no-untyped-def]
    """keras-rs's FeatureCross creates its Dense in build() without building it: after
    build() the layer has no weights, so build() then set_weights() fails."""
    import numpy as np

    keras_rs = pytest.importorskip("keras_rs")
    called = keras_rs.layers.FeatureCross()
    called(np.ones((2, 8), "float32"))
    built = keras_rs.layers.FeatureCross()
    built.build((None, 8))
    assert len(called.weights) == 2 and len(built.weights) == 0
    with pytest.raises(ValueError):
        built.set_weights(called.get_weights())
