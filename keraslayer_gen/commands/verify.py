"""`klgen verify`: run the layer contract (CONTRACT.md) on one or more Keras backends.

This process never imports Keras; each backend runs in its own worker process.

`--json` prints one document (schema version 1):

    {"schema": 1, "klgen": "0.1.0", "ok": bool, "exit_code": 0 | 1 | 2,
     "layers": [{
        "target": str, "class": str, "module": str, "source": str | null,
        "spec": str | null,            # the spec file or `example:NAME` expectations came from
        "error": str | null,           # the layer could not be loaded (exit 2)
        "exit_code": int, "checks": [check ids, in order],
        "expectations": {"examples": [{"input_shape", "init", "mask", "dtype",
                                       "output_shape", "trainable", "non_trainable",
                                       "seed_generators"}],
                         "masking", "training", "stochastic", "state", "aggregation",
                         "weight_dtypes", "target"},   # null fields are observed
        "observed": [names of the expectations that were observed, not declared],
        "backends": [{"backend", "status": "ok" | "failed" | "unavailable", "message",
                      "seconds", "import_seconds", "keras_version",
                      "observed": {field: value}}],
        "results": [{"check", "backend": str | null (static checks), "status":
                     "pass" | "fail" | "skip", "seconds", "message", "notes": [str]}]}]}

A `fail` message is one sentence: what is wrong and how to fix it. A check stopped at its
timeout, or running when its worker crashed, is a `fail`; the checks after it are `skip`
with a message starting "not run". Exit codes: 0 all passed, 1 a check failed or a backend
crashed, 2 a target could not be loaded or the input is bad.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..diagnostics import KlgenError

_LAYER = "Expectations (for a layer without a spec; they override a spec)"
_RUN = "Run"


def parse_shape(text: str, option: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(part) for part in text.replace(" ", "").strip("()[]").split(","))
    except ValueError:
        raise KlgenError(f"{option} {text}: expected integers separated by commas, with the "
                         "batch dimension first, e.g. 2,5,8") from None
    if not dims or any(d < 0 for d in dims):
        raise KlgenError(f"{option} {text}: expected non-negative sizes, e.g. 2,5,8")
    return dims


def _init(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KlgenError(f"--init {text}: not JSON ({exc.msg}); e.g. --init "
                         "'{\"units\": 4}'") from None
    if not isinstance(value, dict):
        raise KlgenError(f"--init {text}: expected a JSON object of __init__ arguments")
    return value


def verify(
    targets: Annotated[list[str], typer.Argument(
        help="Spec file, generated layer file, `file.py:Class` or `package.module:Class`.",
        show_default=False)],
    input_shape: Annotated[list[str] | None, typer.Option(
        "--input-shape", help="An example input shape with its batch dimension, e.g. "
        "`3,5`; repeatable.", rich_help_panel=_LAYER)] = None,
    init: Annotated[str | None, typer.Option("--init", help="`__init__` arguments as "
                    "JSON, e.g. `'{\"units\": 4}'`.", rich_help_panel=_LAYER)] = None,
    masking: Annotated[str | None, typer.Option("--masking", help="none | propagate | "
                       "consume | custom.", rich_help_panel=_LAYER)] = None,
    training: Annotated[bool | None, typer.Option("--training/--no-training",
                        help="Whether the output depends on the training flag.",
                        rich_help_panel=_LAYER)] = None,
    state: Annotated[list[str] | None, typer.Option("--state", help="A non-trainable "
                     "weight that training must update (and inference must not); "
                     "repeatable.", rich_help_panel=_LAYER)] = None,
    trainable: Annotated[int | None, typer.Option("--trainable", help="Trainable weights "
                         "build must create.", rich_help_panel=_LAYER)] = None,
    non_trainable: Annotated[int | None, typer.Option("--non-trainable", help="Non-"
                             "trainable weights build must create.",
                             rich_help_panel=_LAYER)] = None,
    seed_generators: Annotated[int | None, typer.Option("--seed-generators", help="Seed "
                               "generators the layer must own.",
                               rich_help_panel=_LAYER)] = None,
    output_shape: Annotated[str | None, typer.Option("--output-shape", help="The output "
                            "shape (batch dimension first) for every --input-shape.",
                            rich_help_panel=_LAYER)] = None,
    stochastic: Annotated[bool | None, typer.Option("--stochastic/--no-stochastic",
                          help="Whether the training output is random.",
                          rich_help_panel=_LAYER)] = None,
    mask: Annotated[bool | None, typer.Option("--mask/--no-mask", help="Run the examples "
                    "with a padding mask.", rich_help_panel=_LAYER)] = None,
    dtype: Annotated[str | None, typer.Option("--dtype", help="Input dtype of the "
                     "examples (default float32).", rich_help_panel=_LAYER)] = None,
    backend: Annotated[list[str] | None, typer.Option(
        "--backend", help="tensorflow, jax, torch (comma list or repeated). Default: "
        "[tool.klgen].backends, else every installed backend.", rich_help_panel=_RUN)] = None,
    only: Annotated[list[str] | None, typer.Option("--only", help="Run only these checks "
                    "(comma list or repeated).", rich_help_panel=_RUN)] = None,
    skip: Annotated[list[str] | None, typer.Option("--skip", help="Do not run these "
                    "checks.", rich_help_panel=_RUN)] = None,
    full: Annotated[bool, typer.Option(
        "--full", help="Also run the slow checks: distributed, and jit-parity on torch "
        "(torch.compile).", rich_help_panel=_RUN)] = False,
    timeout: Annotated[float | None, typer.Option("--timeout", help="Seconds one check "
                       "may take before it is stopped (default 180).",
                       rich_help_panel=_RUN)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.",
                       rich_help_panel=_RUN)] = False,
) -> None:
    """Prove that layers honour the Keras layer contract, on each backend.

    Examples:

    * `klgen verify layers/decaying_dropout.klgen.yaml`
    * `klgen verify layers/scale.py --input-shape 2,5,8 --init '{"factor": 2}' --backend jax`
    * `klgen verify my_pkg.layers:Gate --input-shape 4,3 --only build,shapes --json`
    """
    from .. import harness
    from ..harness.checklist import split_ids
    from ..project import load_layout

    if masking is not None and masking not in harness.expectations.MASKING_POLICIES:
        raise KlgenError(f"--masking {masking}: expected none, propagate, consume or custom")
    if timeout is not None and timeout <= 0:
        raise KlgenError(f"--timeout {timeout:g}: expected a positive number of seconds")
    checks = harness.select_checks(only, skip, full)
    shapes = [parse_shape(s, "--input-shape") for s in input_shape or []]
    overrides = dict(init=_init(init), mask=mask, dtype=dtype, masking=masking,
                     training=training, stochastic=stochastic,
                     state=tuple(state) if state else None, trainable=trainable,
                     non_trainable=non_trainable, seed_generators=seed_generators,
                     output_shape=parse_shape(output_shape, "--output-shape")
                     if output_shape else None)
    resolved = []
    for text in targets:
        target = harness.resolve_target(text)
        resolved.append((target, harness.expectations_for_target(
            target, input_shapes=shapes or None, **overrides)))
    configured = None if backend else load_layout(Path.cwd()).backends
    kinds = {exp.target for _, exp in resolved}
    backends = harness.resolve_backends(split_ids(backend) or None, configured,
                                        "tf-keras" if kinds == {"tf-keras"} else "keras3")
    progress = None
    if not as_json and sys.stderr.isatty():
        def progress(line: str) -> None:
            typer.echo(line, err=True)
    report = harness.verify(resolved, backends=backends, checks=checks, full=full,
                            timeout=timeout or harness.DEFAULT_TIMEOUT, progress=progress)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        typer.echo(report.render(color=sys.stdout.isatty()), nl=False)
    raise typer.Exit(report.exit_code)


def register(app: typer.Typer, handle_errors: Any) -> None:
    app.command("verify")(handle_errors(verify))
