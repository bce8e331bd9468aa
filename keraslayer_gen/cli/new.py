"""`klgen new`: a layer and its test from flags, a spec file, or a bundled example."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from keraslayer_gen.cli.output import print_plan
from keraslayer_gen.errors import KlgenError
from keraslayer_gen.spec.registry import BODY_FIELDS, TARGETS
from keraslayer_gen.spec.source import MAX_SPEC_BYTES

_LAYER = "Layer (spec fields as flags)"
_PARTS = "Sub-layers, inputs, outputs, call arguments, methods (spec fields as flags)"
_OUTPUT = "Output"


def _read_body(path: Path | None, flag: str, shown: str | None = None) -> str | None:
    """The code of a body file (`-` is stdin); `shown` names it in messages (default:
    `FLAG PATH`)."""
    if path is None:
        return None
    where = shown or f"{flag} {path}"
    try:
        if str(path) == "-":
            import sys

            data = sys.stdin.buffer.read(MAX_SPEC_BYTES + 1)
        else:
            with open(
                path, "rb"
            ) as handle:  # bounded: `--body /dev/zero` must not hang
                data = handle.read(MAX_SPEC_BYTES + 1)
        if len(data) > MAX_SPEC_BYTES:
            raise KlgenError(f"{where}: a body may be at most {MAX_SPEC_BYTES:,} bytes")
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KlgenError(f"{where}: cannot read the body: {exc}") from None


def _read_method_bodies(items: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """`--method-body NAME=FILE` values -> (name -> code, name -> file)."""
    bodies: dict[str, str] = {}
    files: dict[str, str] = {}
    for item in items:
        name, eq, path = (part.strip() for part in item.partition("="))
        if not eq or not name or not path:
            raise KlgenError(
                f"--method-body {item!r}: expected NAME=FILE, e.g. "
                "`rotate_half=rotate_half.py`"
            )
        if name in bodies:
            raise KlgenError(
                f"--method-body {item!r}: the body of `{name}` is given twice"
            )
        code = _read_body(Path(path), "--method-body", f"--method-body {name}={path}")
        bodies[name] = code or ""
        files[name] = path
    return bodies, files


def new(
    name: Annotated[
        str | None,
        typer.Argument(
            help="Class name (PascalCase) of a layer described by flags.",
            show_default=False,
        ),
    ] = None,
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            help="Generate from this `*.klgen.yaml` spec.",
            rich_help_panel="Source",
        ),
    ] = None,
    example: Annotated[
        str | None,
        typer.Option(
            "--example",
            help="Generate a bundled example (see `klgen examples`).",
            rich_help_panel="Source",
        ),
    ] = None,
    arg: Annotated[
        list[str] | None,
        typer.Option(
            "--arg",
            help="`NAME:TYPE[=DEFAULT][;KEY=VALUE..]`, repeatable (grammar below).",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    weight: Annotated[
        list[str] | None,
        typer.Option(
            "--weight",
            help="`NAME:[SHAPE][;KEY=VALUE..]`, repeatable (grammar below).",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            help="`WEIGHT=EXPRESSION`: "
            "assigned after the training body, in training only.",
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
            help="Separate training and inference bodies.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    training_forward: Annotated[
        bool,
        typer.Option(
            "--training-forward",
            help="One body with `training` in scope, to forward to sub-layers (spec "
            "`training: forward`).",
            rich_help_panel=_PARTS,
        ),
    ] = False,
    state_on: Annotated[
        str | None,
        typer.Option(
            "--state-on",
            help="training (default) | every_call: when `--state` is assigned.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    random_inference: Annotated[
        bool | None,
        typer.Option(
            "--random-inference/--no-random-inference",
            help="Random at inference too (a sampler).",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="Base class: a keras.layers name or `package.module.Class`.",
            rich_help_panel=_PARTS,
        ),
    ] = None,
    base_arg: Annotated[
        list[str] | None,
        typer.Option(
            "--base-arg",
            help="`KEY=VALUE` of the base's `__init__`, repeatable: `autocast=false`.",
            rich_help_panel=_PARTS,
        ),
    ] = None,
    import_: Annotated[
        list[str] | None,
        typer.Option(
            "--import",
            help="`MODULE[ as NAME]` from the allow-list, repeatable: `numpy as np`.",
            rich_help_panel=_PARTS,
        ),
    ] = None,
    layer: Annotated[
        list[str] | None,
        typer.Option(
            "--layer",
            help="`NAME:CLASS[;ARG=VALUE..]`: a sub-layer, repeatable.",
            rich_help_panel=_PARTS,
        ),
    ] = None,
    input_: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            help="`NAME[:KEY=VALUE..]`: an input tensor of `call`, repeatable.",
            rich_help_panel=_PARTS,
        ),
    ] = None,
    input_list: Annotated[
        bool | None,
        typer.Option(
            "--input-list/--no-input-list",
            help="`call(self, inputs)` with a list of the inputs.",
            rich_help_panel=_PARTS,
        ),
    ] = None,
    output: Annotated[
        list[str] | None,
        typer.Option(
            "--output",
            help="`NAME[:SHAPE][;KEY=VALUE..]`: one of several outputs, repeatable.",
            rich_help_panel=_PARTS,
        ),
    ] = None,
    call_arg: Annotated[
        list[str] | None,
        typer.Option(
            "--call-arg",
            help="`NAME:TYPE[=DEFAULT]`: an extra `call` argument, repeatable.",
            rich_help_panel=_PARTS,
        ),
    ] = None,
    method: Annotated[
        list[str] | None,
        typer.Option(
            "--method",
            help="`NAME[:PARAMETERS][;doc=..]`: a helper method, repeatable.",
            rich_help_panel=_PARTS,
        ),
    ] = None,
    method_body: Annotated[
        list[str] | None,
        typer.Option(
            "--method-body",
            help="`NAME=FILE`: the body of `--method NAME` (ends in `return`).",
            rich_help_panel=_PARTS,
        ),
    ] = None,
    loss: Annotated[
        list[str] | None,
        typer.Option(
            "--loss",
            help="An expression added with `self.add_loss` on every call, repeatable.",
            rich_help_panel=_PARTS,
        ),
    ] = None,
    seed_generator: Annotated[
        str | None,
        typer.Option(
            "--seed-generator",
            help="The `int | None` argument that seeds keras.random.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    output_shape: Annotated[
        str | None,
        typer.Option(
            "--output-shape",
            help="`same`, or an expression over `input_shape` and `self`.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    output_dtype: Annotated[
        str | None,
        typer.Option(
            "--output-dtype",
            help="The output's dtype whatever the dtype policy (a cast layer); default: "
            "the compute dtype.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    summary: Annotated[
        str | None,
        typer.Option(
            "--summary", help="One-line docstring summary.", rich_help_panel=_LAYER
        ),
    ] = None,
    description: Annotated[
        str | None,
        typer.Option(
            "--description", help="Docstring paragraphs.", rich_help_panel=_LAYER
        ),
    ] = None,
    reference: Annotated[
        list[str] | None,
        typer.Option(
            "--reference",
            help="A reference for the docstring, repeatable.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    module: Annotated[
        str | None,
        typer.Option(
            "--module",
            help="Module name (default: snake_case of NAME).",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    package: Annotated[
        str | None,
        typer.Option(
            "--package",
            help="Package of register_keras_serializable.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    float32_internal: Annotated[
        bool | None,
        typer.Option(
            "--float32-internal/--no-float32-internal",
            help="Compute in float32, return the "
            "compute dtype (normalisation layers).",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    allow_shadowing: Annotated[
        bool | None,
        typer.Option(
            "--allow-shadowing/--no-allow-shadowing",
            help="Allow a name that is also a keras.layers name.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    body: Annotated[
        Path | None,
        typer.Option(
            "--body",
            help="File with the `call` body (assigns `outputs`).",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    training_body: Annotated[
        Path | None,
        typer.Option(
            "--training-body",
            help="File with the training body.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    inference_body: Annotated[
        Path | None,
        typer.Option(
            "--inference-body",
            help="File with the inference body.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    compute_mask_body: Annotated[
        Path | None,
        typer.Option(
            "--compute-mask-body",
            help="File with the compute_mask body (assigns `output_mask`).",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    build_body: Annotated[
        Path | None,
        typer.Option(
            "--build-body",
            help="File with statements run at the start of build.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    example_input: Annotated[
        list[str] | None,
        typer.Option(
            "--example-input",
            help="`4,10,8[;KEY=VALUE..]` or `INPUT=2,5,8;..`, repeatable (default: "
            "2,5,8, per input).",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="`PATH=YAML`: any spec field, e.g. `input_spec.min_ndim=2`.",
            rich_help_panel=_LAYER,
        ),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target", help="keras3 (default) or tf-keras.", rich_help_panel=_OUTPUT
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write into this folder instead of the repository layout.",
            rich_help_panel=_OUTPUT,
        ),
    ] = None,
    save_spec: Annotated[
        Path | None,
        typer.Option(
            "--save-spec",
            help="Also write the spec to this path.",
            rich_help_panel=_OUTPUT,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Print what would happen; write nothing.",
            rich_help_panel=_OUTPUT,
        ),
    ] = False,
    diff: Annotated[
        bool,
        typer.Option(
            "--diff",
            help="Show unified diffs against the disk.",
            rich_help_panel=_OUTPUT,
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Overwrite files that differ.", rich_help_panel=_OUTPUT
        ),
    ] = False,
    stdout: Annotated[
        bool,
        typer.Option(
            "--stdout",
            help="Print the generated layer; write nothing.",
            rich_help_panel=_OUTPUT,
        ),
    ] = False,
    templates: Annotated[
        Path | None,
        typer.Option(
            "--templates",
            metavar="DIR",
            help="A templates overlay: its files replace klgen's templates of the same "
            "name (default: `[tool.klgen].templates`).",
            rich_help_panel=_OUTPUT,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Generate a layer and its test.

    Examples:

    * `klgen new --example decaying-dropout --out layers/`
    * `klgen new Scale --arg 'factor:float=2.0;min=0' --body scale.py --out layers/`
    * `klgen new --spec layers/scale.klgen.yaml`
    * `klgen new --example dense --templates my_templates --out layers/`
    """
    from keraslayer_gen.cli.templates import use_templates
    from keraslayer_gen.files.layout import (
        configured_post_hooks,
        configured_templates,
        load_layout,
        out_layout,
    )
    from keraslayer_gen.files.plan import write_all
    from keraslayer_gen.spec.catalogue import SpecSource, load_example, load_spec
    from keraslayer_gen.spec.flags import Flags, flags_to_data
    from keraslayer_gen.spec.load import load_spec_data
    from keraslayer_gen.workflows.new import plan_layer

    if target is not None and target not in TARGETS:
        raise KlgenError(f"--target {target}: expected keras3 or tf-keras")
    if training_forward and training is not None:
        flag = "--training" if training else "--no-training"
        raise KlgenError(
            f"--training-forward, {flag}: give one (`training` is true, false or "
            "forward)"
        )
    sources = [s for s in (name, spec, example) if s is not None]
    if len(sources) != 1:
        raise KlgenError(
            "give exactly one of: a layer NAME with flags, --spec FILE, or "
            "--example NAME (see `klgen new --help`)"
        )
    layer_flags: dict[str, Any] = dict(
        args=arg,
        weights=weight,
        state=state,
        examples=example_input,
        sets=set_,
        references=reference,
        masking=masking,
        training="forward" if training_forward else training,
        state_on=state_on,
        random_inference=random_inference,
        base=base,
        base_args=base_arg,
        imports=import_,
        layers=layer,
        inputs=input_,
        input_list=input_list,
        outputs=output,
        call_args=call_arg,
        methods=method,
        losses=loss,
        seed_generator=seed_generator,
        output_shape=output_shape,
        output_dtype=output_dtype,
        summary=summary,
        description=description,
        module=module,
        package=package,
        float32_internal=float32_internal,
        allow_shadowing=allow_shadowing,
    )
    body_paths = {
        "body": body,
        "training": training_body,
        "inference": inference_body,
        "compute_mask": compute_mask_body,
        "build": build_body,
    }
    read = {f.key: _read_body(body_paths[f.key], f.flag) for f in BODY_FIELDS}
    bodies: dict[str, str] = {k: v for k, v in read.items() if v is not None}
    method_bodies, method_body_files = _read_method_bodies(method_body or [])
    body_files = {
        key: str(path) for key, path in body_paths.items() if path is not None
    }
    if name is None:
        # `is not None`: `--no-training` is a flag given, though False.
        used = [
            _flag_name(k, v)
            for k, v in layer_flags.items()
            if v is not None and v != []
        ]
        used += [f"--{k.replace('_', '-')}-body" for k in bodies]
        used += ["--method-body"] if method_bodies else []
        if used:
            raise KlgenError(
                f"{', '.join(sorted(used))}: layer flags describe a new layer "
                "and cannot be combined with --spec or --example; edit the spec "
                "instead"
            )
    if out is not None:
        _check_out(out)
    layout = out_layout(out) if out is not None else load_layout(Path.cwd())
    if out is not None and templates is None:
        # `klgen sync` regenerates an --out layer through the repository's overlay too.
        layout = replace(layout, templates=configured_templates(out))
    if out is not None:  # and its post hooks, as `klgen sync` does
        layout = replace(layout, post_hooks=configured_post_hooks(out))
    layout = use_templates(layout, templates)
    if spec is not None:
        source = load_spec(spec)
    elif example is not None:
        source = load_example(example)
    else:
        # The repeatable flags are lists (typer gives None when none is given).
        values: dict[str, Any] = {
            k: (v or []) if k in _LIST_FLAGS else v for k, v in layer_flags.items()
        }
        data = flags_to_data(
            Flags(
                name=name or "",
                bodies=bodies,
                body_files=body_files,
                method_bodies=method_bodies,
                method_body_files=method_body_files,
                target=target,
                **values,
            )
        )
        source = SpecSource(load_spec_data(data, "command line"))
    if out is None:
        # After the spec loaded: a missing file or a bad spec is reported on its own.
        for line in layout.inferred:
            typer.echo(
                f"klgen: no [tool.klgen] {line.split(' = ')[0]} in pyproject.toml; "
                f"inferred {line}",
                err=True,
            )
    if save_spec is None and out is None and source.path is None:
        save_spec = layout.spec_dir() / f"{source.spec.module_name}.klgen.yaml"
    plan = plan_layer(
        source, layout, target=target, mode="new", force=force, save_spec=save_spec
    )
    if stdout:
        typer.echo(plan.changes[0].text, nl=False)
        return
    print_plan(plan, diff=diff, dry_run=dry_run, all_or_none=True)
    if plan.conflicts:
        raise KlgenError(f"{len(plan.conflicts)} conflict(s); nothing was written")
    if not dry_run:
        write_all(plan)


def _check_out(out: Path) -> None:
    """`--out` must be a folder, or a path that can become one."""
    for folder in (out, *out.parents):
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir():
                what = "is" if folder == out else f"is inside {folder}, which is"
                raise KlgenError(
                    f"--out {out}: {what} a file, not a folder; give a folder to "
                    "write the layer and its test into"
                )
            return


_LIST_FLAGS = (
    "args",
    "weights",
    "state",
    "examples",
    "sets",
    "references",
    "base_args",
    "imports",
    "layers",
    "inputs",
    "outputs",
    "call_args",
    "methods",
    "losses",
)

#: `layer_flags` keys whose flag is not `--<key>`.
_FLAG_NAMES = {
    "args": "--arg",
    "weights": "--weight",
    "examples": "--example-input",
    "sets": "--set",
    "references": "--reference",
    "base_args": "--base-arg",
    "imports": "--import",
    "layers": "--layer",
    "inputs": "--input",
    "outputs": "--output",
    "call_args": "--call-arg",
    "methods": "--method",
    "losses": "--loss",
}


def _flag_name(key: str, value: Any) -> str:
    """The flag that gave `layer_flags[key]`, as the user typed it."""
    if key == "training" and value == "forward":
        return "--training-forward"
    return _FLAG_NAMES.get(
        key, f"--{'no-' if value is False else ''}{key.replace('_', '-')}"
    )


def flag_grammar() -> str:
    """The whole grammar of the repeatable layer flags, for `klgen new --help`: the
    option table has room for one line each. Keys come from the spec model itself."""
    from keraslayer_gen.spec.model import (
        ARG_TYPES,
        CALL_ARG_TYPES,
        Arg,
        Example,
        InputDecl,
        OutputDecl,
        TensorExample,
        Weight,
    )

    def keys(model: Any, *skip: str) -> str:
        return ", ".join(f"`{k}`" for k in model.model_fields if k not in skip)

    types = " ".join(f"`{t}`" for t in ARG_TYPES)
    call_types = " ".join(f"`{t}`" for t in CALL_ARG_TYPES)
    return "\n\n".join(
        [
            "**Flag grammar.** Each value is one shell word (quote it); the text after "
            "`KEY=` is YAML; write `;` inside a value as `\\;`.",
            "* `--arg NAME:TYPE[=DEFAULT][;KEY=VALUE...]`: TYPE is one of "
            f"{types}, optionally `| None`; KEY is one of {keys(Arg, 'type', 'default')}. "
            "E.g. `--arg 'rate:float=0.5;range=(0, 1];doc=Fraction to drop.'`, "
            "`--arg 'seed:int | None=None'`.",
            "* `--weight NAME:[SHAPE][;KEY=VALUE...]`: SHAPE lists ints, arg names "
            "and expressions over `input_shape`; KEY is one of "
            f"{keys(Weight, 'shape')}. E.g. `--weight "
            "'kernel:[input_shape[-1], units];initializer=kernel_initializer'`.",
            "* `--state WEIGHT=EXPRESSION`: e.g. "
            "`--state 'iterations=self.iterations + 1'`.",
            "* `--layer NAME:CLASS[;ARG=VALUE...][;build=SHAPES][;doc=TEXT]`: a "
            "sub-layer `self.NAME`; each ARG=VALUE is a constructor argument, a Python "
            "expression over the layer's args (numbers, `true`/`false`, `null`, lists "
            "are literals). E.g. `--layer 'ffn:Dense;units=hidden_dim;"
            "activation=\"relu\"'`, `--layer 'attention:MultiHeadAttention;"
            "num_heads=num_heads;key_dim=key_dim;build=query_shape, value_shape'`.",
            "* `--input NAME[:KEY=VALUE][;KEY=VALUE...]`: an input tensor of `call`, in "
            f"order; KEY is one of {keys(InputDecl)}. E.g. "
            "`--input 'query:ndim=3;mask=true' --input 'value:ndim=3'`.",
            "* `--output NAME[:SHAPE][;KEY=VALUE...]`: one output of several; SHAPE is "
            "`same` or an expression over the input shapes; KEY is one of "
            f"{keys(OutputDecl, 'shape')}. E.g. `--output 'trend:same;mask=mask'`.",
            "* `--call-arg NAME:TYPE[=DEFAULT][;doc=TEXT]`: TYPE is one of "
            f"{call_types}, optionally `| None`. E.g. `--call-arg 'start_index:int=0'`, "
            "`--call-arg 'attention_mask:tensor | None=None;doc=Which pairs attend.'`.",
            "* `--method NAME[:PARAMETERS][;doc=TEXT]` with `--method-body NAME=FILE`: a "
            "helper method `self.NAME(...)`. E.g. `--method 'rotate_half:x' "
            "--method-body rotate_half=rotate_half.py`.",
            "* `--base-arg KEY=VALUE`, `--import 'numpy as np'`, `--loss EXPRESSION`: "
            "one each a flag, repeatable.",
            "* `--example-input SHAPE[;KEY=VALUE...]` (one input) or "
            "`--example-input INPUT=TENSOR;...[;KEY=VALUE...]` (declared inputs): SHAPE "
            "has the batch size first; TENSOR is a shape `2,5,8` or a mapping of "
            f"{keys(TensorExample)}; KEY is one of {keys(Example, 'input_shape', 'inputs')}. "
            "E.g. `--example-input '4,10,8;init={units: 3};mask=true'`, "
            "`--example-input 'query=2,5,8;value=2,7,8;call_args={start_index: 2}'`, "
            "`--example-input 'token_ids={shape: [2, 6], dtype: int32, min: 1, max: 99, "
            "padding: 0}'`.",
            "* `--set PATH=YAML`: any other spec field, e.g. "
            "`--set 'input_spec.min_ndim=2'`, `--set 'examples.0.mask=true'`.",
            "The spec format: klgen's docs/spec.md; `klgen schema` prints its JSON "
            "Schema.",
        ]
    )


def register(app: typer.Typer, handle_errors: Any) -> None:
    import sys

    # The grammar imports the spec model: only for a help screen.
    wants_help = any(arg in ("-h", "--help") for arg in sys.argv[1:])
    app.command("new", epilog=flag_grammar() if wants_help else None)(
        handle_errors(new)
    )
