"""What `klgen verify` does with its options before anything runs: the options checked,
the targets found and resolved, their expectations, the backends and the checks.

`cli/verify.py` declares the options and prints; this module imports no Keras.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.spec.names import did_you_mean


@dataclass
class VerifyRequest:
    """The options of one `klgen verify`."""

    targets: list[str] = field(default_factory=list)
    input_shape: list[str] | None = None
    inputs: list[str] | None = None
    call_args: str | None = None
    init: str | None = None
    masking: str | None = None
    training: bool | None = None
    state: list[str] | None = None
    trainable: int | None = None
    non_trainable: int | None = None
    seed_generators: int | None = None
    output_shape: str | None = None
    output_dtype: str | None = None
    stochastic: bool | None = None
    mask: bool | None = None
    dtype: str | None = None
    backend: list[str] | None = None
    only: list[str] | None = None
    skip: list[str] | None = None
    full: bool = False
    timeout: float | None = None
    jobs: int | None = None
    changed: bool = False
    shard: str | None = None


@dataclass
class VerifyPlan:
    """What to run: each target with its expectations, on `backends`, with `checks`."""

    resolved: list[tuple[Any, Any]]
    backends: list[str]
    checks: Any


def parse_shape(text: str, option: str) -> tuple[int, ...]:
    try:
        dims = tuple(
            int(part) for part in text.replace(" ", "").strip("()[]").split(",")
        )
    except ValueError:
        raise KlgenError(
            f"{option} {text}: expected integers separated by commas, with the "
            "batch dimension first, e.g. 2,5,8"
        ) from None
    if not dims or any(d < 0 for d in dims):
        raise KlgenError(f"{option} {text}: expected non-negative sizes, e.g. 2,5,8")
    return dims


def _init(text: str | None) -> dict[str, Any] | None:
    """`--init` as YAML (the spec's own syntax), which JSON objects also are."""
    if text is None:
        return None
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "not YAML"
        raise KlgenError(
            f"--init {text}: not a YAML or JSON mapping ({problem}); e.g. --init "
            "'{units: 4}' or --init '{\"units\": 4}'"
        ) from None
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise KlgenError(
            f"--init {text}: expected a mapping of __init__ arguments, e.g. "
            "'{units: 4}'"
        )
    return value


class GivenInputs:
    """`--inputs` examples and `--call-args`, parsed."""

    def __init__(self, examples: list[Any], call_args: dict[str, Any] | None) -> None:
        self.examples = examples
        self.call_args = call_args


def _json(text: str, where: str, problems: list[str]) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(
            f"{where}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno}): "
            f"{text}"
        )
        return None


def parse_inputs_options(inputs: list[str], call_args: str | None) -> GivenInputs:
    """`--inputs` (each one example) and `--call-args`, every problem at once:
    `--inputs #2: mask_positions: dtype: ...` (exit 2)."""
    from keraslayer_gen.harness.expectations import (
        example_of_inputs,
        parse_call_args,
        parse_inputs,
    )

    problems: list[str] = []
    examples = []
    for number, text in enumerate(inputs, start=1):
        where = f"--inputs #{number}" if len(inputs) > 1 else "--inputs"
        data = _json(text, where, problems)
        if data is None and text.strip() != "null":
            continue
        before = len(problems)
        tensors, style = parse_inputs(data, where, problems)
        if len(problems) == before:
            examples.append(example_of_inputs(tensors, style))
    args = None
    if call_args is not None:
        data = _json(call_args, "--call-args", problems)
        if data is not None or call_args.strip() == "null":
            args = parse_call_args(data, "--call-args", problems)
    if problems:
        raise KlgenError("\n".join(problems))
    return GivenInputs(examples, args)


def plan_verify(o: VerifyRequest) -> VerifyPlan:
    """The targets of `o` with their expectations, the backends and the checks; bad
    options and targets that cannot be loaded raise `KlgenError`, all at once. The notes
    on the way (an empty folder, a hand-written layer skipped) are said on stderr."""
    from keraslayer_gen import harness
    from keraslayer_gen.cli.output import err
    from keraslayer_gen.files.layout import load_layout
    from keraslayer_gen.harness import discovery
    from keraslayer_gen.harness.checklist import split_ids
    from keraslayer_gen.harness.preflight import preflight

    if o.masking is not None and o.masking not in harness.expectations.MASKING_POLICIES:
        raise KlgenError(
            f"--masking {o.masking}: expected none, propagate, use, consume or "
            "custom" + did_you_mean(o.masking, harness.expectations.MASKING_POLICIES)
        )
    if o.timeout is not None and o.timeout <= 0:
        raise KlgenError(
            f"--timeout {o.timeout:g}: expected a positive number of seconds"
        )
    if o.jobs is not None and o.jobs < 1:
        raise KlgenError(f"--jobs {o.jobs}: expected a positive number of workers")
    checks = harness.select_checks(o.only, o.skip, o.full)
    shapes = [parse_shape(s, "--input-shape") for s in o.input_shape or []]
    given = parse_inputs_options(o.inputs or [], o.call_args)
    overrides = dict(
        call_args=given.call_args,
        init=_init(o.init),
        mask=o.mask,
        dtype=o.dtype,
        masking=o.masking,
        training=o.training,
        stochastic=o.stochastic,
        state=tuple(o.state) if o.state else None,
        trainable=o.trainable,
        non_trainable=o.non_trainable,
        seed_generators=o.seed_generators,
        output_shape=(
            parse_shape(o.output_shape, "--output-shape") if o.output_shape else None
        ),
        output_dtype=o.output_dtype,
    )
    cwd = Path.cwd()
    found = _targets(o.targets, o.changed, cwd)
    for note in found.notes:
        err(f"klgen verify: {note}")
    names = found.targets
    if o.shard is not None:
        names = discovery.shard(names, o.shard)
    problems: list[str] = []
    resolved: list[tuple[Any, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for text in names:
        try:
            target = harness.resolve_target(text)
        except KlgenError as exc:
            problems += exc.lines()
            continue
        identity = (str(target.source or ""), target.module, target.class_name)
        if identity in seen:  # a spec and the file generated from it: one target
            continue
        seen.add(identity)
        problem = preflight(target)
        if problem is not None:
            problems.append(problem)
            continue
        if (
            text in found.handwritten
            and target.spec is None
            and not shapes
            and not given.examples
        ):
            err(
                f"klgen verify: skipped {text}: a hand-written layer without a spec; "
                f"verify it with `klgen verify {text} --input-shape ...`"
            )
            continue
        try:
            resolved.append(
                (
                    target,
                    harness.expectations_for_target(
                        target,
                        input_shapes=shapes or None,
                        examples=given.examples or None,
                        **overrides,
                    ),
                )
            )
        except KlgenError as exc:
            problems += exc.lines()
    if problems:
        raise KlgenError("\n".join(dict.fromkeys(problems)))
    if not resolved:
        return VerifyPlan([], [], checks)
    configured = None if o.backend else load_layout(cwd).backends
    kinds = {exp.target for _, exp in resolved}
    backends = harness.resolve_backends(
        split_ids(o.backend) or None,
        configured,
        "tf-keras" if kinds == {"tf-keras"} else "keras3",
    )
    return VerifyPlan(resolved, backends, checks)


def _targets(texts: list[str], changed: bool, cwd: Path) -> Any:
    """The target texts: as given, folders expanded, or the repository's layers."""
    from keraslayer_gen.files.layout import load_layout
    from keraslayer_gen.harness import discovery

    if changed:
        files = [cwd / t for t in texts] if texts else None
        return discovery.changed_layers(files, load_layout(cwd), cwd)
    if not texts:
        return discovery.repository_layers(load_layout(cwd), cwd)
    found = discovery.Found()
    layout = None
    for text in texts:
        path = cwd / text
        if path.is_dir():
            layout = layout or load_layout(cwd)
            inner = discovery.folder_layers([path], layout, cwd)
            if not inner.targets:
                found.notes.append(f"{text}: no layer in this folder")
            for name in inner.targets:
                found.add(name, name, handwritten=name in inner.handwritten)
        else:
            found.add(text, text)
    return found
