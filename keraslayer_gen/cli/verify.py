"""`klgen verify`: run the layer contract (docs/contract.md) on one or more Keras backends.

This process never imports Keras; each backend runs in its own worker process.

`--json` prints one document (schema version 1):

    {"schema": 1, "klgen": "0.1.0", "ok": bool, "exit_code": 0 | 1 | 2 | 130,
     "interrupted": bool,               # true: only what finished before Ctrl-C/SIGTERM
     "layers": [{
        "target": str, "class": str, "module": str, "source": str | null,
        "spec": str | null,            # the spec file or `example:NAME` expectations came from
        "error": str | null,           # the layer could not be loaded (exit 2)
        "exit_code": int, "checks": [check ids, in order],
        "expectations": {"examples": [{"input_shape", "init", "mask", "dtype",
                                       "output_shape", "trainable", "non_trainable",
                                       "seed_generators", "min", "max", "padding",
                                       "inputs": [{"name", "shape", "dtype", "min",
                                                   "max", "padding", "mask"}],
                                       "input_style": "single" | "list" | "keywords",
                                       "call_args": {}, "outputs": null | [{"shape",
                                                                            "mask"}]}],
                         "masking", "training", "stochastic", "state", "aggregation",
                         "weight_dtypes", "target", "output_dtype", "state_on",
                         "random_inference", "losses"},   # null fields are observed
        "observed": [names of the expectations that were observed, not declared],
        "backends": [{"backend", "status": "ok" | "failed" | "unavailable", "message",
                      "seconds", "import_seconds", "keras_version",
                      "observed": {field: value}}],
        "results": [{"check", "backend": str | null (static checks), "status":
                     "pass" | "fail" | "skip", "seconds", "message", "notes": [str]}]}]}

A `fail` message is one sentence: what is wrong and how to fix it. A check stopped at its
timeout, or running when its worker crashed, is a `fail`; the checks after it are `skip`
with a message starting "not run". Exit codes: 0 all passed, 1 a check failed or a backend
crashed, 2 a target could not be loaded or the input is bad, 130 interrupted (Ctrl-C or
SIGTERM: every process verify started is ended, and what finished is printed).

Progress goes to stderr (a live line per backend on a terminal, one line per finished check
elsewhere); `--quiet` leaves only the report.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from keraslayer_gen.cli.verify_plan import VerifyRequest

_LAYER = "Expectations (for a layer without a spec; they override a spec)"
_RUN = "Run"


def verify(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            help="Spec file, generated layer file, `file.py:Class`, `package.module:Class`, or "
            "a folder of layers. Default: every layer of the repository ([tool.klgen] "
            "layers_dir and specs).",
            show_default=False,
        ),
    ] = None,
    input_shape: Annotated[
        list[str] | None,
        typer.Option(
            "--input-shape",
            help="An example input shape with its batch dimension, e.g. "
            "`3,5`; repeatable.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    inputs: Annotated[
        list[str] | None,
        typer.Option(
            "--inputs",
            help="An example of several input tensors as JSON; repeatable (one example "
            "each). A list is one list argument: `'[[2, 4], [2, 4]]'` is `layer([a, b])`. "
            "An object passes its entries in order, the first positionally, the rest as "
            'keyword arguments: `\'{"inputs": [2, 6, 8], "positions": {"shape": '
            '[2, 6], "dtype": "int32", "min": 0, "max": 5}}\'` is '
            "`layer(a, positions=b)`. A tensor is a shape (batch first) or an object "
            "with `shape` and optional `dtype`, `min`, `max`, `padding`, `mask`.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    call_args: Annotated[
        str | None,
        typer.Option(
            "--call-args",
            help="Non-tensor call arguments as a JSON object, passed in every call, "
            "e.g. `'{\"start_index\": 2}'`.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    init: Annotated[
        str | None,
        typer.Option(
            "--init",
            help="`__init__` arguments as YAML or JSON, as in a spec's "
            "`init`, e.g. `'{units: 4}'`.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    masking: Annotated[
        str | None,
        typer.Option(
            "--masking",
            help="none | propagate | use | consume | custom.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    training: Annotated[
        bool | None,
        typer.Option(
            "--training/--no-training",
            help="Whether the output depends on the training flag.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            help="A non-trainable "
            "weight that training must update (and inference must not); "
            "repeatable.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    trainable: Annotated[
        int | None,
        typer.Option(
            "--trainable",
            help="Trainable weights build must create.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    non_trainable: Annotated[
        int | None,
        typer.Option(
            "--non-trainable",
            help="Non-trainable weights build must create.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    seed_generators: Annotated[
        int | None,
        typer.Option(
            "--seed-generators",
            help="Seed generators the layer must own.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    output_shape: Annotated[
        str | None,
        typer.Option(
            "--output-shape",
            help="The output shape (batch dimension first) for every --input-shape.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    output_dtype: Annotated[
        str | None,
        typer.Option(
            "--output-dtype",
            help="The output's dtype under every dtype policy, when producing it is the "
            "layer's purpose (a cast layer); default: the compute dtype.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    stochastic: Annotated[
        bool | None,
        typer.Option(
            "--stochastic/--no-stochastic",
            help="Whether the training output is random.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    mask: Annotated[
        bool | None,
        typer.Option(
            "--mask/--no-mask",
            help="Run the examples with a padding mask.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    dtype: Annotated[
        str | None,
        typer.Option(
            "--dtype",
            help="Input dtype of the examples (default float32).",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    backend: Annotated[
        list[str] | None,
        typer.Option(
            "--backend",
            help="tensorflow, jax, torch (comma list or repeated). Default: "
            "[tool.klgen].backends, else every installed backend.",
            rich_help_panel=_RUN,
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help="Run only these checks (comma list or repeated).",
            rich_help_panel=_RUN,
        ),
    ] = None,
    skip: Annotated[
        list[str] | None,
        typer.Option("--skip", help="Do not run these checks.", rich_help_panel=_RUN),
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Also run the slow checks: distributed, and jit-parity on torch "
            "(torch.compile).",
            rich_help_panel=_RUN,
        ),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            help="Seconds one check may take before it is stopped (default 180).",
            rich_help_panel=_RUN,
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "-j",
            "--jobs",
            help="Backend workers at once (default: one per CPU).",
            rich_help_panel=_RUN,
        ),
    ] = None,
    changed: Annotated[
        bool,
        typer.Option(
            "--changed",
            help="Only the layers whose spec, layer file or generated test "
            "changed: among the files given (pre-commit passes them), else against git HEAD "
            "(staged, unstaged and untracked); all of them when a file of the templates "
            "overlay changed.",
            rich_help_panel=_RUN,
        ),
    ] = False,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            help="`I/N`: verify only the "
            "I-th of N deterministic parts of the targets (one per CI job).",
            rich_help_panel=_RUN,
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the report as JSON.", rich_help_panel=_RUN),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="No progress on stderr; only the report.",
            rich_help_panel=_RUN,
        ),
    ] = False,
    no_color: Annotated[
        bool,
        typer.Option(
            "--no-color",
            help="No colours (also when NO_COLOR is set).",
            rich_help_panel=_RUN,
        ),
    ] = False,
) -> None:
    """Prove that layers honour the Keras layer contract, on each backend.

    The backends run side by side, and one worker per backend serves every layer of the
    call, so Keras is imported once per backend.

    Examples:

    * `klgen verify` (every layer of the repository)
    * `klgen verify layers/decaying_dropout.klgen.yaml`
    * `klgen verify --changed` (the layers changed against git HEAD)
    * `klgen verify layers/scale.py --input-shape 2,5,8 --init '{"factor": 2}' --backend jax`
    * `klgen verify my_pkg.layers:Gate --input-shape 4,3 --only build,shapes --json`
    * `klgen verify attn.py:Cross --inputs '{"query": [2, 4, 8], "value": [2, 6, 8]}'`
    * `klgen verify rope.py:Rotary --inputs '[2, 6, 8]' --call-args '{"start_index": 2}'`
    """
    import os
    import signal

    stopping = {"signal": False}

    def interrupt(signum: int, frame: Any) -> None:
        if stopping["signal"]:
            return  # one interrupt is enough: the run is already stopping
        stopping["signal"] = True
        raise KeyboardInterrupt()

    # Before anything starts: from here on, SIGTERM stops the run as Ctrl-C does.
    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        _run(
            VerifyRequest(
                targets=targets or [],
                input_shape=input_shape,
                inputs=inputs,
                call_args=call_args,
                init=init,
                masking=masking,
                training=training,
                state=state,
                trainable=trainable,
                non_trainable=non_trainable,
                seed_generators=seed_generators,
                output_shape=output_shape,
                output_dtype=output_dtype,
                stochastic=stochastic,
                mask=mask,
                dtype=dtype,
                backend=backend,
                only=only,
                skip=skip,
                full=full,
                timeout=timeout,
                jobs=jobs,
                changed=changed,
                shard=shard,
            ),
            as_json=as_json,
            quiet=quiet,
            color=not no_color and not os.environ.get("NO_COLOR"),
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run(request: VerifyRequest, as_json: bool, quiet: bool, color: bool) -> None:
    from keraslayer_gen import harness
    from keraslayer_gen.cli.output import err, print_report, progress_listener
    from keraslayer_gen.cli.verify_plan import plan_verify

    plan = plan_verify(request)
    if not plan.resolved:
        if not as_json:
            err("klgen verify: nothing to verify")
        else:
            print_report(harness.Report(), as_json=True, color=False)
        raise typer.Exit(0)
    listener = None if quiet else progress_listener(plan.resolved, plan.backends, color)
    try:
        report = harness.verify(
            plan.resolved,
            backends=plan.backends,
            checks=plan.checks,
            full=request.full,
            timeout=request.timeout or harness.DEFAULT_TIMEOUT,
            listener=listener,
            jobs=request.jobs,
            init_from="--init" if request.init is not None else None,
        )
    except harness.Interrupted as stop:
        _close(listener)
        print_report(stop.report, as_json, color)
        finished = sum(len(layer.backends) for layer in stop.report.layers)
        err(
            f"klgen verify: interrupted; {finished} layer run(s) finished (above), "
            f"not finished: {', '.join(stop.unfinished) or 'none'}"
        )
        raise typer.Exit(130) from None
    _close(listener)
    print_report(report, as_json, color)
    raise typer.Exit(report.exit_code)


def _close(listener: Any) -> None:
    if listener is not None:
        listener.close()


def register(app: typer.Typer, handle_errors: Any) -> None:
    app.command("verify")(handle_errors(verify))
