"""One run of the `klgen verify` engine for many corpus layers, each with its own contract.

The corpus cases declare different expectations (`klgen verify` options) per layer, so one
`klgen verify A B C ...` command line cannot hold them; this module runs the engine of
`klgen verify` (the same `resolve_target`, pre-flight, `expectations_for_target` and
`verify` the command calls, through `tests.peers.batch.expectations_of`) once for all of
them, so one worker per backend serves every layer (imports paid once per backend), and
prints the `--json` report, its layers in the order given.

Run as `python -m tests.corpus._batch BACKENDS [--full] < layers.json`, where the JSON is a
list of `[target, expect]` pairs (`expect`: the keys of a corpus case's `expect`).
"""

from __future__ import annotations

import json
import sys
from typing import Any


def run(
    layers: list[tuple[str, dict[str, Any]]], backends: list[str], full: bool
) -> dict[str, Any]:
    """The `klgen verify --json [--full]` report of one run over every layer."""
    from keraslayer_gen import harness
    from tests.peers.batch import expectations_of

    resolved = []
    for text, expect in layers:
        target = harness.resolve_target(text)
        resolved.append((target, expectations_of(target, expect)))
    report = harness.verify(
        resolved,
        backends=backends,
        checks=harness.select_checks(None, None, full),
        full=full,
        timeout=harness.DEFAULT_TIMEOUT,
        init_from="--init",
    )
    return report.to_dict()


def main() -> None:
    import signal

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt()  # verify then ends every process it started

    signal.signal(signal.SIGTERM, stop)
    backends = sys.argv[1].split(",")
    full = "--full" in sys.argv[2:]
    layers = [(text, expect) for text, expect in json.load(sys.stdin)]
    print(json.dumps(run(layers, backends, full), indent=1))


if __name__ == "__main__":
    main()
