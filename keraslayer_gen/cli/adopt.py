"""`klgen adopt`: bring hand-written layers under their specs, with proof of equivalence."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer


def _display(path: Path) -> str:
    relative = os.path.relpath(path.absolute(), Path.cwd())
    return str(path) if relative.startswith("..") else Path(relative).as_posix()


def adopt(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="`FILE.py:Class`, a file (each layer class in it) or a folder.",
            show_default=False,
        ),
    ],
    write: Annotated[
        bool,
        typer.Option(
            "--write",
            help="Replace each adopted file by the one its spec generates, save the "
            "spec and the generated test (after the proof, unless --no-verify).",
        ),
    ] = False,
    verify: Annotated[
        bool | None,
        typer.Option(
            "--verify/--no-verify",
            help="Prove that the regenerated class behaves as the original (default: "
            "with --write).",
            show_default=False,
        ),
    ] = None,
    diff: Annotated[
        bool | None,
        typer.Option(
            "--diff/--no-diff",
            help="Show the diffs (default: on a dry run).",
            show_default=False,
        ),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            help="Render for `keras3` or `tf-keras`; a tf-keras layer renders for "
            "keras3 only when its bodies use only Keras 3 API.",
        ),
    ] = None,
    backend: Annotated[
        list[str] | None,
        typer.Option(
            "--backend",
            help="Backend of the proof, repeatable (default: [tool.klgen].backends, "
            "else every installed one).",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace a different spec or test file already there."
        ),
    ] = False,
) -> None:
    """Read hand-written layers statically, write the spec of each and regenerate it,
    with proof that nothing changed (docs/adopt.md).

    Without `--write` this is a dry run: the spec and the diff of the file it generates
    are shown, nothing is written. With `--write`, the original and the regenerated
    class run side by side on each backend (outputs in training and inference, masks,
    weights, state, get_config keys) and the files are written only when every check
    agrees. A layer the spec format cannot express yet is refused with the reason and
    its line. Exit 0 when every layer was adopted, 1 when one was refused or differed,
    2 on bad input.

    Examples:

    * `klgen adopt layers/scale.py:Scale`
    * `klgen adopt layers/ --no-diff` (a report per layer)
    * `klgen adopt layers/scale.py --write`
    """
    from keraslayer_gen.adopt.plan import adopt_file, find_layers
    from keraslayer_gen.cli.options import check_target
    from keraslayer_gen.errors import KlgenError
    from keraslayer_gen.lint.module import LintError

    check_target(target)
    do_verify = write if verify is None else verify
    show_diff = (not write) if diff is None else diff
    pairs: list[tuple[Path, str | None]] = []
    for path in paths:
        found = find_layers(path)
        if not found or not all(f.exists() for f, _ in found):
            missing = next((f for f, _ in found if not f.exists()), path)
            raise KlgenError(f"{missing}: no such file or folder")
        pairs.extend(found)
    bad, seen = False, 0
    for file, cls in pairs:
        # Planned just before it is written: an earlier layer's writes (the schema file
        # beside the specs) are then part of what this plan compares against.
        try:
            results = adopt_file(file, cls, target=target, force=force)
        except LintError as exc:
            if len(pairs) == 1:
                raise
            typer.echo(f"skipped: {exc.message}")
            bad = True
            continue
        seen += len(results)
        for result in results:
            bad = _one(result, write, do_verify, show_diff, backend) or bad
    if not seen:
        raise KlgenError(
            "no Keras layer class found in " + ", ".join(str(p) for p in paths)
        )
    if bad:
        raise typer.Exit(1)


def _one(
    result: Any,
    write: bool,
    do_verify: bool,
    show_diff: bool,
    backend: list[str] | None,
) -> bool:
    """Report (and with `write`, write) one layer; True when it was not adopted."""
    from keraslayer_gen.adopt.plan import REFUSED
    from keraslayer_gen.cli.output import print_plan

    name = f"{_display(result.path)}:{result.adoption.class_name}"
    if result.status == REFUSED:
        typer.echo(f"{name}: refused")
        for reason in result.reasons:
            typer.echo(f"  {reason}")
        return True
    plan = result.plan
    if show_diff:
        print_plan(plan, diff=True, dry_run=not write)
    if plan.conflicts:
        typer.echo(f"{name}: not adopted (conflict)")
        for change in plan.conflicts:
            typer.echo(f"  {plan.display(change)}: {change.reason}")
        return True
    proof = "not verified" + (" (--no-verify)" if write else "; --write proves it")
    if do_verify:
        checks = _prove(result, backend)
        result.proof = checks
        failed = [c for c in checks if not c.ok]
        if failed:
            typer.echo(f"{name}: NOT equivalent, nothing written")
            for check in failed:
                typer.echo(f"  {check}")
            return True
        backends = ", ".join(dict.fromkeys(c.backend for c in checks))
        proof = f"equivalent on {backends}: {len(checks)} checks"
    if write:
        from keraslayer_gen.files.plan import write_all

        write_all(plan)
        written = ", ".join(plan.display(c) for c in plan.writes) or "nothing"
        typer.echo(f"{name}: {result.status} ({proof}); wrote {written}")
    else:
        typer.echo(f"{name}: {result.status} ({proof}); dry run, nothing written")
    for note in result.adoption.notes:
        typer.echo(f"  note: {note}")
    return False


def _prove(result: Any, requested: list[str] | None) -> list[Any]:
    from keraslayer_gen.adopt.equivalence import prove
    from keraslayer_gen.adopt.plan import layout_for
    from keraslayer_gen.harness.backends import resolve_backends

    spec = result.spec
    layout = layout_for(result.path)
    backends = resolve_backends(requested, layout.backends or None, spec.target)
    examples = [e.model_dump(mode="json") for e in spec.examples]
    with tempfile.TemporaryDirectory(prefix="klgen-adopt-") as tmp:
        return prove(
            result.path,
            result.layer_text,
            spec.name,
            examples,
            backends=backends,
            target=spec.target,
            masking=spec.masking,
            training=spec.training,
            inputs=(
                {n: d.model_dump(mode="json") for n, d in spec.inputs.items()}
                if spec.inputs
                else None
            ),
            input_list=spec.input_list,
            workdir=Path(tmp),
        )


def register(app: typer.Typer, handle_errors: Any) -> None:
    app.command(name="adopt")(handle_errors(adopt))
