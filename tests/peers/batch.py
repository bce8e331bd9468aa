"""One `klgen verify` run for many peer layers, each with its own contract.

`klgen verify A B C --input-shape ... --init ...` holds every target to the same options;
peer layers need one contract each (their own `__init__` arguments and shapes). This
module runs the engine of `klgen verify` (`keraslayer_gen.harness`: the same
`resolve_target`, pre-flight, `expectations_for_target` and `verify` the command calls)
once for all of them, so one worker per backend serves every layer, and prints the
`--json` report. Run as `python -m tests.peers.batch BACKENDS < layers.json`, where the
JSON maps each target to its expectations (the keys of `tests.corpus` `expect`, plus
`inputs`: a list of `--inputs` values, each a JSON text, and `call_args`: the
`--call-args` JSON text; both go through the parser of those options).
"""

from __future__ import annotations

import json
import sys
from typing import Any


def expectations_of(target: Any, expect: dict[str, Any]) -> Any:
    """The `Expectations` the `klgen verify` options for `expect` would give."""
    from keraslayer_gen import harness

    overrides: dict[str, Any] = {"init": expect.get("init", {})}
    for key in (
        "masking",
        "training",
        "stochastic",
        "mask",
        "dtype",
        "trainable",
        "non_trainable",
        "seed_generators",
        "output_dtype",
    ):
        if key in expect:
            overrides[key] = expect[key]
    if "output_shape" in expect:
        overrides["output_shape"] = tuple(expect["output_shape"])
    if expect.get("state"):
        overrides["state"] = tuple(expect["state"])
    shapes = [tuple(expect["input_shape"])] if "input_shape" in expect else None
    if "inputs" not in expect and "call_args" not in expect:
        return harness.expectations_for_target(target, input_shapes=shapes, **overrides)
    from keraslayer_gen.cli.verify_plan import parse_inputs_options

    given = parse_inputs_options(
        list(expect.get("inputs", ())), expect.get("call_args")
    )
    return harness.expectations_for_target(
        target,
        input_shapes=shapes,
        examples=given.examples or None,
        call_args=given.call_args,
        **overrides,
    )


def run(layers: dict[str, dict[str, Any]], backends: list[str]) -> dict[str, Any]:
    """The `klgen verify --json` report of one run over every layer of `layers`."""
    from keraslayer_gen import harness

    resolved = []
    for text, expect in layers.items():
        target = harness.resolve_target(text)
        resolved.append((target, expectations_of(target, expect)))
    report = harness.verify(
        resolved,
        backends=backends,
        checks=harness.select_checks(None, None, False),
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
    layers = json.load(sys.stdin)
    print(json.dumps(run(layers, backends), indent=1))


if __name__ == "__main__":
    main()
