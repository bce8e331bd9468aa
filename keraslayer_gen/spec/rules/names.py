"""Names: the layer's class, module and package, and the names of its members (args,
weights, sub-layers, methods, inputs, outputs, call args, variables): valid, no clashes.
"""

from __future__ import annotations

import keyword
import re

from keraslayer_gen.spec.names import (
    AMBIGUOUS_NAMES,
    IMPORTED_MODULES,
    KERAS_LAYER_NAMES,
    LAYER_ATTRIBUTES,
    STDLIB_MODULES,
    identifier_problem,
    is_pascal,
    is_snake,
    pascal_case,
)
from keraslayer_gen.spec.registry import BODY_SCOPE, MODULE_NAMES, PACKAGE_PATTERN
from keraslayer_gen.spec.rules.context import Path_, RuleContext
from keraslayer_gen.spec.scope import input_names

_STDLIB = (
    "is a module of Python's standard library: where the layer is a top-level module "
    "(`--out DIR`) one hides the other, and import sorters file it with the standard "
    "library"
)


def check_layer_names(ctx: RuleContext) -> None:
    """The class, module and package names, and the names of args, weights and targets."""
    spec = ctx.spec
    if not is_pascal(spec.name):
        guess = pascal_case(spec.name)
        hint = (
            f"did you mean `{guess}`?"
            if is_pascal(guess) and identifier_problem(guess) is None
            else "e.g. `DecayingDropout`"
        )
        ctx.error(("name",), f"`{spec.name}` is not a PascalCase class name; {hint}")
    elif problem := identifier_problem(spec.name):
        ctx.error(("name",), problem)
    elif spec.name in KERAS_LAYER_NAMES and not spec.allow_shadowing:
        ctx.error(
            ("name",),
            f"`{spec.name}` shadows `keras.layers.{spec.name}`; "
            "rename the layer or set `allow_shadowing: true`",
        )
    if spec.module is not None:
        if not is_snake(spec.module):
            ctx.error(("module",), f"`{spec.module}` is not a snake_case module name")
        elif problem := identifier_problem(spec.module):
            ctx.error(("module",), problem)
        elif spec.module in IMPORTED_MODULES:
            ctx.error(
                ("module",),
                f"a module named `{spec.module}` would shadow `{spec.module}`, "
                "which the generated code imports; choose another name",
            )
        elif spec.module in STDLIB_MODULES:
            ctx.error(("module",), f"`{spec.module}` {_STDLIB}; choose another name")
    elif is_pascal(spec.name):
        module = spec.module_name  # derived: `As` -> `as`, `Keras` -> `keras`
        if (
            keyword.iskeyword(module)
            or module in IMPORTED_MODULES
            or module in STDLIB_MODULES
        ):
            why = (
                "a Python keyword"
                if keyword.iskeyword(module)
                else (
                    "a module the generated code imports"
                    if module in IMPORTED_MODULES
                    else "a module of Python's standard library"
                )
            )
            ctx.error(
                ("name",),
                f"`{spec.name}` gives the module name `{module}`, which is {why}; "
                f"set `module`, e.g. `module: {module}_layer`",
            )
    if spec.package is not None and not re.match(PACKAGE_PATTERN, spec.package):
        ctx.error(
            ("package",),
            f"`{spec.package}` is not a package name "
            "(letters, digits, `_`, `.`, `-`)",
        )
    for kind, names in (("args", spec.args), ("weights", spec.weights)):
        for name in names:
            path = (kind, name)
            if not is_snake(name):
                ctx.error(path, f"`{name}` is not a snake_case name", key=True)
            elif problem := identifier_problem(name):
                ctx.error(path, problem, key=True)
            elif name in LAYER_ATTRIBUTES:
                ctx.error(
                    path,
                    f"`{name}` is an attribute of `keras.layers.Layer`; "
                    "using it breaks the layer, choose another name",
                    key=True,
                )
            elif name in BODY_SCOPE or name == "kwargs":
                ctx.error(
                    path,
                    f"`{name}` is a name of the generated `call`; "
                    "choose another name",
                    key=True,
                )
            elif name in AMBIGUOUS_NAMES:
                ctx.error(
                    path,
                    f"`{name}` is an ambiguous name (`l`, `O` and `I` look like "
                    "digits; ruff E741); choose another name",
                    key=True,
                )
            elif name == "seed_generator":
                ctx.error(
                    path,
                    "`seed_generator` is the attribute of the layer's "
                    "`keras.random.SeedGenerator`; choose another name",
                    key=True,
                )
    for name in spec.weights:
        if name in spec.args:
            ctx.error(
                ("weights", name),
                f"weight `{name}` has the name of an "
                f"argument; both would be `self.{name}`",
                key=True,
            )
    for target in spec.targets:
        if target == spec.target:
            ctx.error(
                ("targets", target),
                f"`{target}` is the spec's own target; its "
                "bodies belong in `call`, `state` and `compute_mask`",
                key=True,
            )


def check_member_names(ctx: RuleContext) -> None:
    """Names of sub-layers, inputs, outputs, call args and methods: valid, and no
    two of them the same `self.` attribute or the same parameter."""
    spec = ctx.spec
    taken: dict[str, str] = {name: "an argument" for name in spec.args}
    taken.update({name: "a weight" for name in spec.weights})
    for kind, what in (("layers", "a sub-layer"), ("methods", "a method")):
        for name in getattr(spec, kind):
            path = (kind, name)
            if _bad_name(ctx, path, name):
                continue
            if name in LAYER_ATTRIBUTES:
                ctx.error(
                    path,
                    f"`{name}` is an attribute of `keras.layers.Layer`; "
                    "using it breaks the layer, choose another name",
                    key=True,
                )
            elif name == "seed_generator":
                ctx.error(
                    path,
                    "`seed_generator` is the attribute of the layer's "
                    "`keras.random.SeedGenerator`; choose another name",
                    key=True,
                )
            elif name in taken:
                ctx.error(
                    path,
                    f"{what} `{name}` has the name of {taken[name]}; both would "
                    f"be `self.{name}`",
                    key=True,
                )
            else:
                taken[name] = what
    params: dict[str, str] = {"self": "`self`", "training": "`training`"}
    params["mask"] = "a mask parameter"
    params.update({f"{n}_mask": "a mask parameter" for n in spec.inputs or {}})
    for kind, what in (("inputs", "an input"), ("call_args", "a call argument")):
        for name in getattr(spec, kind) or {}:
            path = (kind, name)
            if _bad_name(ctx, path, name):
                continue
            if name in params:
                clash = params[name]
                clash = clash if clash.startswith("a") else f"the parameter {clash}"
                ctx.error(
                    path,
                    f"`{name}` is {clash} of the generated `call`; "
                    "choose another name",
                    key=True,
                )
            elif name in spec.args and kind == "inputs":
                ctx.error(
                    path,
                    f"{what} `{name}` has the name of an argument of the layer; "
                    "rename one of them",
                    key=True,
                )
            elif name in MODULE_NAMES:
                ctx.error(
                    path,
                    f"`{name}` is a module the generated code uses; "
                    "choose another name",
                    key=True,
                )
            else:
                params[name] = what
    if spec.input_list and spec.inputs and "inputs" in spec.inputs:
        ctx.error(
            ("inputs", "inputs"),
            "with `input_list: true`, `inputs` is the list of the inputs; "
            "name this input otherwise",
            key=True,
        )
    for name in spec.outputs or {}:
        out_path: Path_ = ("outputs", name)
        if _bad_name(ctx, out_path, name):
            continue
        names = {*input_names(spec), *spec.call_args, "training", "mask", "self"}
        if name in names or name in spec.args:
            ctx.error(
                out_path,
                f"output `{name}` has the name of a parameter of `call` or of the "
                "layer; choose another name",
                key=True,
            )
    weight_names: dict[str, str] = {}
    for key, weight in spec.weights.items():
        name = weight.name if weight.name is not None else key
        w_path: Path_ = ("weights", key, "name")
        if weight.name is not None and not is_snake(weight.name):
            ctx.error(w_path, f"`{weight.name}` is not a snake_case name")
        elif name in weight_names:
            ctx.error(
                w_path if weight.name is not None else ("weights", key),
                f"the variable name `{name}` is also weight "
                f"`{weight_names[name]}`'s; variable names must be unique",
                key=weight.name is None,
            )
        weight_names.setdefault(name, key)


def _bad_name(ctx: RuleContext, path: Path_, name: str) -> bool:
    if not is_snake(name):
        ctx.error(path, f"`{name}` is not a snake_case name", key=True)
        return True
    if problem := identifier_problem(name):
        ctx.error(path, problem, key=True)
        return True
    return False
