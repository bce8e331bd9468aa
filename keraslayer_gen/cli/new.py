"""`klgen new`: a layer and its test from flags, a spec file, or a bundled example.

The options are declared by one table, `PARAMETERS`: a spec field's flag takes its type
from `spec.flags.Flags` (repeatable for a list, `--x/--no-x` for a bool) and a body
flag its name from `spec.flags.BODY_FLAGS`; `new` gets them as keywords.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_args, get_origin, get_type_hints

import typer

from keraslayer_gen.cli import options
from keraslayer_gen.spec.flags import Flags
from keraslayer_gen.spec.registry import BODY_FLAGS

if TYPE_CHECKING:
    from keraslayer_gen.cli.new_plan import NewRequest

_SOURCE = "Source"
_LAYER = "Layer (spec fields as flags)"
_PARTS = "Sub-layers, inputs, outputs, call arguments, methods (spec fields as flags)"
_OUTPUT = "Output"
_FLAG_TYPES = get_type_hints(Flags)


@dataclass(frozen=True)
class Parameter:
    """One parameter of `new`: a spec field's flag (`field`), a body file's (`body`)
    or an option of the command (`option`)."""

    name: str
    kind: str
    flag: str
    annotation: Any
    default: Any = None

    def spelt(self, value: Any) -> str:
        """The flag as typed for `value`: `--training`, `--no-training`."""
        return f"--no-{self.flag[2:]}" if value is False else self.flag


def _field(name: str, help: str, panel: str, flag: str = "") -> Parameter:
    """The flag of the `Flags` field `name` (default `--name`)."""
    flag = flag or f"--{name.replace('_', '-')}"
    hint = _FLAG_TYPES[name]
    if get_origin(hint) is list:
        kind: Any = list[str] | None
        decl = flag
    elif bool in get_args(hint):
        kind, decl = bool | None, f"{flag}/--no-{flag[2:]}"
    else:
        kind, decl = str | None, flag
    info = typer.Option(decl, help=help, rich_help_panel=panel)
    return Parameter(name, "field", flag, Annotated[kind, info])


def _body(key: str, help: str) -> Parameter:
    """The flag of the file of body `key` (`--body`, `--build-body`, ...)."""
    flag = BODY_FLAGS[key]
    info = typer.Option(flag, help=help, rich_help_panel=_LAYER)
    return Parameter(
        flag[2:].replace("-", "_"), "body", flag, Annotated[Path | None, info]
    )


def _option(
    name: str, kind: Any, help: str, panel: str, default: Any = None, flag: str = ""
) -> Parameter:
    flag = flag or f"--{name.replace('_', '-')}"
    info = typer.Option(flag, help=help, rich_help_panel=panel)
    return Parameter(name, "option", flag, Annotated[kind, info], default)


def _shared(
    name: str, alias: Any, panel: str, default: Any = None, kind: str = "option"
) -> Parameter:
    """An option declared in `cli/options.py`, shown in this command's panel `panel`."""
    annotation = options.in_panel(alias, panel)
    flag = get_args(annotation)[1].default
    return Parameter(name, kind, flag, annotation, default)


#: Every parameter of `new` after NAME, in the order of its `--help`.
PARAMETERS = (
    _option("spec", Path | None, "Generate from this `*.klgen.yaml` spec.", _SOURCE),
    _option(
        "example",
        str | None,
        "Generate a bundled example (see `klgen examples`).",
        _SOURCE,
    ),
    _field(
        "args",
        "`NAME:TYPE[=DEFAULT][;KEY=VALUE..]`, repeatable (grammar below).",
        _LAYER,
        "--arg",
    ),
    _field(
        "weights",
        "`NAME:[SHAPE][;KEY=VALUE..]`, repeatable (grammar below).",
        _LAYER,
        "--weight",
    ),
    _field(
        "state",
        "`WEIGHT=EXPRESSION`: assigned after the training body, in training only.",
        _LAYER,
    ),
    _field("masking", "none | propagate | use | consume | custom.", _LAYER),
    _field("training", "Separate training and inference bodies.", _LAYER),
    _option(
        "training_forward",
        bool,
        "One body with `training` in scope, to forward to sub-layers (spec "
        "`training: forward`).",
        _PARTS,
        default=False,
    ),
    _field(
        "state_on",
        "training (default) | every_call: when `--state` is assigned.",
        _LAYER,
    ),
    _field("random_inference", "Random at inference too (a sampler).", _LAYER),
    _field(
        "base", "Base class: a keras.layers name or `package.module.Class`.", _PARTS
    ),
    _field(
        "base_args",
        "`KEY=VALUE` of the base's `__init__`, repeatable: `autocast=false`.",
        _PARTS,
        "--base-arg",
    ),
    _field(
        "imports",
        "`MODULE[ as NAME]` from the allow-list, repeatable: `numpy as np`.",
        _PARTS,
        "--import",
    ),
    _field(
        "layers",
        "`NAME:CLASS[;ARG=VALUE..]`: a sub-layer, repeatable.",
        _PARTS,
        "--layer",
    ),
    _field(
        "inputs",
        "`NAME[:KEY=VALUE..]`: an input tensor of `call`, repeatable.",
        _PARTS,
        "--input",
    ),
    _field("input_list", "`call(self, inputs)` with a list of the inputs.", _PARTS),
    _field(
        "outputs",
        "`NAME[:SHAPE][;KEY=VALUE..]`: one of several outputs, repeatable.",
        _PARTS,
        "--output",
    ),
    _field(
        "call_args",
        "`NAME:TYPE[=DEFAULT]`: an extra `call` argument, repeatable.",
        _PARTS,
        "--call-arg",
    ),
    _field(
        "methods",
        "`NAME[:PARAMETERS][;doc=..]`: a helper method, repeatable.",
        _PARTS,
        "--method",
    ),
    _option(
        "method_body",
        list[str] | None,
        "`NAME=FILE`: the body of `--method NAME` (ends in `return`).",
        _PARTS,
    ),
    _field(
        "losses",
        "An expression added with `self.add_loss` on every call, repeatable.",
        _PARTS,
        "--loss",
    ),
    _field(
        "seed_generator", "The `int | None` argument that seeds keras.random.", _LAYER
    ),
    _field(
        "output_shape",
        "`same`, or an expression over `input_shape` and `self`.",
        _LAYER,
    ),
    _field(
        "output_dtype",
        "The output's dtype whatever the dtype policy (a cast layer); default: the "
        "compute dtype.",
        _LAYER,
    ),
    _field("summary", "One-line docstring summary.", _LAYER),
    _field("description", "Docstring paragraphs.", _LAYER),
    _field(
        "references",
        "A reference for the docstring, repeatable.",
        _LAYER,
        "--reference",
    ),
    _field("module", "Module name (default: snake_case of NAME).", _LAYER),
    _shared("package", options.Package, _LAYER, kind="field"),
    _field(
        "float32_internal",
        "Compute in float32, return the compute dtype (normalisation layers).",
        _LAYER,
    ),
    _field("allow_shadowing", "Allow a name that is also a keras.layers name.", _LAYER),
    _body("body", "File with the `call` body (assigns `outputs`)."),
    _body("training", "File with the training body."),
    _body("inference", "File with the inference body."),
    _body("compute_mask", "File with the compute_mask body (assigns `output_mask`)."),
    _body("build", "File with statements run at the start of build."),
    _field(
        "examples",
        "`4,10,8[;KEY=VALUE..]` or `INPUT=2,5,8;..`, repeatable (default: 2,5,8, "
        "per input).",
        _LAYER,
        "--example-input",
    ),
    _field(
        "sets",
        "`PATH=YAML`: any spec field, e.g. `input_spec.min_ndim=2`.",
        _LAYER,
        "--set",
    ),
    _shared("target", options.Target, _OUTPUT),
    _option(
        "out",
        Path | None,
        "Write into this folder instead of the repository layout.",
        _OUTPUT,
    ),
    _option("save_spec", Path | None, "Also write the spec to this path.", _OUTPUT),
    _shared("dry_run", options.DryRun, _OUTPUT, default=False),
    _shared("diff", options.Diff, _OUTPUT, default=False),
    _option("force", bool, "Overwrite files that differ.", _OUTPUT, default=False),
    _option(
        "stdout",
        bool,
        "Print the generated layer; write nothing.",
        _OUTPUT,
        default=False,
    ),
    _shared("templates", options.Templates, _OUTPUT),
)


def new(name: str | None = None, **given: Any) -> None:
    """Generate a layer and its test.

    Examples:

    * `klgen new --example decaying-dropout --out layers/`
    * `klgen new Scale --arg 'factor:float=2.0;min=0' --body scale.py --out layers/`
    * `klgen new --spec layers/scale.klgen.yaml`
    * `klgen new --example dense --templates my_templates --out layers/`
    """
    from keraslayer_gen.cli.new_plan import plan_new
    from keraslayer_gen.cli.output import print_plan
    from keraslayer_gen.errors import KlgenError
    from keraslayer_gen.files.plan import write_all

    plan = plan_new(_request(name, given))
    if given["stdout"]:
        typer.echo(plan.changes[0].text, nl=False)
        return
    print_plan(plan, diff=given["diff"], dry_run=given["dry_run"], all_or_none=True)
    if plan.conflicts:
        raise KlgenError(f"{len(plan.conflicts)} conflict(s); nothing was written")
    if not given["dry_run"]:
        write_all(plan)


def _request(name: str | None, given: dict[str, Any]) -> NewRequest:
    """The keywords of `new` -> the `NewRequest` of `plan_new`, by `PARAMETERS`."""
    from keraslayer_gen.cli.new_plan import NewRequest

    by_kind: dict[str, list[Parameter]] = {"field": [], "body": [], "option": []}
    for parameter in PARAMETERS:
        by_kind[parameter.kind].append(parameter)
    fields = {p.name: given[p.name] for p in by_kind["field"]}
    key_of = {flag: key for key, flag in BODY_FLAGS.items()}
    bodies = {
        key_of[p.flag]: given[p.name]
        for p in by_kind["body"]
        if given[p.name] is not None
    }
    # `is not None`: `--no-training` is a flag given, though False.
    typed = [
        p.spelt(given[p.name])
        for p in (*by_kind["field"], *by_kind["body"])
        if given[p.name] is not None and given[p.name] != []
    ]
    typed += ["--training-forward"] if given["training_forward"] else []
    typed += ["--method-body"] if given["method_body"] else []
    return NewRequest(
        name=name,
        spec=given["spec"],
        example=given["example"],
        flags=fields,
        training_forward=given["training_forward"],
        body_files=bodies,
        method_bodies=given["method_body"] or [],
        given=typed,
        target=given["target"],
        out=given["out"],
        save_spec=given["save_spec"],
        force=given["force"],
        templates=given["templates"],
    )


def _signature() -> inspect.Signature:
    """`new(name, *, <PARAMETERS>)`, for Typer to read the options from."""
    name = inspect.Parameter(
        "name",
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        default=None,
        annotation=Annotated[
            str | None,
            typer.Argument(
                help="Class name (PascalCase) of a layer described by flags.",
                show_default=False,
            ),
        ],
    )
    return inspect.Signature(
        [
            name,
            *(
                inspect.Parameter(
                    p.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=p.default,
                    annotation=p.annotation,
                )
                for p in PARAMETERS
            ),
        ]
    )


new.__signature__ = _signature()  # type: ignore[attr-defined]
new.__annotations__ = {p.name: p.annotation for p in _signature().parameters.values()}


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
