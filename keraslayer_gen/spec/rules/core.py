"""Cross-field rules of a spec: names, types, defaults, code; all problems at once."""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from keraslayer_gen.errors import Diagnostic
from keraslayer_gen.spec.model import (
    ARG_TYPES,
    DTYPES,
    KERAS_OBJECT_MODULES,
    TARGETS,
    Arg,
    LayerSpec,
    parse_arg_type,
)
from keraslayer_gen.spec.names import (
    AMBIGUOUS_NAMES,
    BODY_SCOPE,
    BUILTIN_NAMES,
    IMPORTED_MODULES,
    KERAS_LAYER_NAMES,
    LAYER_ATTRIBUTES,
    STDLIB_MODULES,
    did_you_mean,
    identifier_problem,
    is_pascal,
    is_snake,
    pascal_case,
)
from keraslayer_gen.spec.rules.composite import CompositeRules, stored_names
from keraslayer_gen.spec.rules.targets import TARGET_MODULES, TargetRules, listing

if TYPE_CHECKING:
    from keraslayer_gen.spec.load import Located

_RANGE = re.compile(r"^\s*([\[(])\s*([^,\s]*)\s*,\s*([^,\s]*)\s*([\])])\s*$")

#: Built-in Keras identifiers by kind, to catch typos without importing Keras.
KERAS_IDENTIFIERS = {
    "initializer": (
        "zeros ones constant glorot_uniform glorot_normal he_uniform he_normal "
        "lecun_uniform lecun_normal orthogonal random_normal random_uniform "
        "truncated_normal identity variance_scaling"
    ).split(),
    "regularizer": "l1 l2 l1_l2 orthogonal_regularizer".split(),
    "constraint": "max_norm min_max_norm non_neg unit_norm".split(),
    "activation": (
        "linear relu relu6 sigmoid softmax softplus softsign tanh elu selu gelu "
        "silu swish exponential hard_sigmoid hard_silu hard_swish leaky_relu mish "
        "log_softmax"
    ).split(),
}
FLOAT_DTYPES = tuple(d for d in DTYPES if d.startswith(("float", "bfloat")))

Path_ = tuple[str | int, ...]
_STDLIB = (
    "is a module of Python's standard library: where the layer is a top-level module "
    "(`--out DIR`) one hides the other, and import sorters file it with the standard "
    "library"
)
#: Prose that a generated file would read as one of its markers (refused in spec text).
MARKER_LIKE = re.compile(
    r"#\s*klgen(:\s*(begin|end)\s+user\s+region|-digest:|-templates:)"
)


def parse_range(text: str) -> tuple[float | None, bool, float | None, bool] | None:
    """`"(0, 1]"` -> `(0.0, False, 1.0, True)`: bounds and whether each is closed."""
    match = _RANGE.match(text)
    if not match:
        return None
    lo_text, hi_text = match.group(2), match.group(3)
    try:
        lo = None if lo_text in ("", "-inf") else float(lo_text)
        hi = None if hi_text in ("", "inf", "+inf") else float(hi_text)
    except ValueError:
        return None
    return lo, match.group(1) == "[", hi, match.group(4) == "]"


def check_spec(spec: LayerSpec, located: Located) -> list[Diagnostic]:
    """Every rule-level problem of a structurally valid spec."""
    return _Checker(spec, located).run()


class _Checker(TargetRules, CompositeRules):
    def __init__(self, spec: LayerSpec, located: Located) -> None:
        self.spec = spec
        self.located = located
        self.problems: list[Diagnostic] = []
        #: The code parsed at each path, to map a column of the code to the spec's.
        self.codes: dict[Path_, str] = {}
        #: Each argument's (base type, nullable); None for an unknown type, which is
        #: reported once at the argument, not again where the argument is used.
        self.arg_types: dict[str, tuple[str, bool] | None] = {}
        for name, arg in spec.args.items():
            try:
                self.arg_types[name] = parse_arg_type(arg.type)
            except ValueError:
                self.arg_types[name] = None

    def error(
        self, path: Path_, message: str, *, key: bool = False, near: Path_ | None = None
    ) -> None:
        """A problem of the field at `path`, placed at its value (or its key with `key`,
        or at the field `near` when the problem is that `path` is missing)."""
        self.problems.append(self.located.at(path, message, key=key, near=near))

    def _missing_init(
        self, path: Path_, example: Any, name: str, missing: list[str]
    ) -> str:
        """A required argument without a value in an example; from flags, the message
        shows the `--example-input` that gives it (the user may not have written any).
        """
        if not self.located.origins:
            return f"required argument `{name}` has no value; add it to `init`"
        from keraslayer_gen.spec.flags import (
            example_flag,
        )  # spells an example of `inputs` too

        init = dict(example.init)
        init.update({m: _sample_value(self.spec.args[m]) for m in missing})
        given = {
            k: v
            for k, v in example.model_dump(mode="json", exclude_unset=True).items()
            if k != "init"
        }
        shape = example_flag(given) or ",".join(
            str(d) for d in example.input_shape or ()
        )
        flag = f"--example-input '{example_flag({**given, 'init': init}) or shape}'"
        if path in self.located.origins:
            return f"required argument `{name}` has no value; give it: {flag}"
        return (
            f"required argument `{name}` has no value in the default example input "
            f"({shape}); give one with {flag}"
        )

    def run(self) -> list[Diagnostic]:
        self._names()
        self.composite_names()
        for name, arg in self.spec.args.items():
            self._arg(name, arg)
        self._arg_order()
        self._build()
        self.composite_fields()
        self._weights()
        self._seed_generator()
        self._bodies()
        self.composite_bodies()
        self._state()
        self._target_bodies()
        self._examples()
        self._input_spec()
        self._output_dtype()
        self._prose()
        return self.problems

    def _output_dtype(self) -> None:
        dtype = self.spec.output_dtype
        if dtype is not None and dtype not in DTYPES:
            self.error(
                ("output_dtype",),
                f"unknown dtype `{dtype}`{did_you_mean(dtype, DTYPES)}",
            )

    # -- prose --------------------------------------------------------------------------
    def _prose(self) -> None:
        """Docstring text must not be able to pose as klgen's own markers, nor carry
        control characters (the docstring is a comment-free string, but the markers are
        found by line, and a NUL cannot be in a source file at all)."""
        spec = self.spec
        texts: list[tuple[Path_, str]] = [
            (("summary",), spec.summary),
            (("description",), spec.description),
        ]
        texts += [(("references", i), ref) for i, ref in enumerate(spec.references)]
        texts += [(("args", name, "doc"), arg.doc) for name, arg in spec.args.items()]
        texts += [(("weights", name, "doc"), w.doc) for name, w in spec.weights.items()]
        texts += self.composite_texts()
        for path, text in texts:
            bad = next(
                (ch for ch in text if not ch.isprintable() and ch not in "\n\t\r"), None
            )
            if bad is not None:
                self.error(
                    path,
                    f"control character U+{ord(bad):04X} in the text; remove it",
                )
            elif MARKER_LIKE.search(text):
                self.error(
                    path,
                    "the text contains a line that reads like a klgen marker "
                    "(`# klgen: begin/end user region`, `# klgen-digest:`); "
                    "reword it",
                )

    # -- names -------------------------------------------------------------------------
    def _names(self) -> None:
        spec = self.spec
        if not is_pascal(spec.name):
            guess = pascal_case(spec.name)
            hint = (
                f"did you mean `{guess}`?"
                if is_pascal(guess) and identifier_problem(guess) is None
                else "e.g. `DecayingDropout`"
            )
            self.error(
                ("name",), f"`{spec.name}` is not a PascalCase class name; {hint}"
            )
        elif problem := identifier_problem(spec.name):
            self.error(("name",), problem)
        elif spec.name in KERAS_LAYER_NAMES and not spec.allow_shadowing:
            self.error(
                ("name",),
                f"`{spec.name}` shadows `keras.layers.{spec.name}`; "
                "rename the layer or set `allow_shadowing: true`",
            )
        if spec.module is not None:
            if not is_snake(spec.module):
                self.error(
                    ("module",), f"`{spec.module}` is not a snake_case module name"
                )
            elif problem := identifier_problem(spec.module):
                self.error(("module",), problem)
            elif spec.module in IMPORTED_MODULES:
                self.error(
                    ("module",),
                    f"a module named `{spec.module}` would shadow `{spec.module}`, "
                    "which the generated code imports; choose another name",
                )
            elif spec.module in STDLIB_MODULES:
                self.error(
                    ("module",), f"`{spec.module}` {_STDLIB}; choose another name"
                )
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
                self.error(
                    ("name",),
                    f"`{spec.name}` gives the module name `{module}`, which is {why}; "
                    f"set `module`, e.g. `module: {module}_layer`",
                )
        if spec.package is not None and not re.match(
            r"^[A-Za-z0-9_.\-]+$", spec.package
        ):
            self.error(
                ("package",),
                f"`{spec.package}` is not a package name "
                "(letters, digits, `_`, `.`, `-`)",
            )
        for kind, names in (("args", spec.args), ("weights", spec.weights)):
            for name in names:
                path = (kind, name)
                if not is_snake(name):
                    self.error(path, f"`{name}` is not a snake_case name", key=True)
                elif problem := identifier_problem(name):
                    self.error(path, problem, key=True)
                elif name in LAYER_ATTRIBUTES:
                    self.error(
                        path,
                        f"`{name}` is an attribute of `keras.layers.Layer`; "
                        "using it breaks the layer, choose another name",
                        key=True,
                    )
                elif name in BODY_SCOPE or name == "kwargs":
                    self.error(
                        path,
                        f"`{name}` is a name of the generated `call`; "
                        "choose another name",
                        key=True,
                    )
                elif name in AMBIGUOUS_NAMES:
                    self.error(
                        path,
                        f"`{name}` is an ambiguous name (`l`, `O` and `I` look like "
                        "digits; ruff E741); choose another name",
                        key=True,
                    )
                elif name == "seed_generator":
                    self.error(
                        path,
                        "`seed_generator` is the attribute of the layer's "
                        "`keras.random.SeedGenerator`; choose another name",
                        key=True,
                    )
        for name in spec.weights:
            if name in spec.args:
                self.error(
                    ("weights", name),
                    f"weight `{name}` has the name of an "
                    f"argument; both would be `self.{name}`",
                    key=True,
                )
        for target in spec.targets:
            if target == spec.target:
                self.error(
                    ("targets", target),
                    f"`{target}` is the spec's own target; its "
                    "bodies belong in `call`, `state` and `compute_mask`",
                    key=True,
                )

    # -- args --------------------------------------------------------------------------
    def _arg(self, name: str, arg: Arg) -> None:
        path = ("args", name)
        try:
            base, nullable = parse_arg_type(arg.type)
        except ValueError:
            hint = _type_hint(arg.type)
            self.error(
                (*path, "type"),
                f"unknown type `{arg.type}`{hint}"
                f"; types are {', '.join(ARG_TYPES)}, each optionally `| None`",
            )
            return
        numeric = base in ("int", "float")
        for key in ("min", "max", "range"):
            if getattr(arg, key) is not None and not numeric:
                self.error(
                    (*path, key),
                    f"`{key}` applies to int and float arguments, not {base}",
                )
        bounds = None
        if arg.range is not None and numeric:
            bounds = parse_range(arg.range)
            if bounds is None:
                self.error(
                    (*path, "range"),
                    f"`{arg.range}` is not an interval such as "
                    "`(0, 1]` or `[1, inf)`",
                )
        if arg.choices is not None:
            if base not in ("int", "float", "str"):
                self.error(
                    (*path, "choices"),
                    f"`choices` applies to int, float and str "
                    f"arguments, not {base}",
                )
            elif not arg.choices:
                self.error((*path, "choices"), "`choices` is empty")
            else:
                for i, choice in enumerate(arg.choices):
                    if problem := value_problem(base, False, choice):
                        self.error((*path, "choices", i), problem)
        if arg.required:
            return
        problem = value_problem(base, nullable, arg.default)
        if problem is None:
            problem = constraint_problem(arg, arg.default, bounds)
        if problem:
            self.error((*path, "default"), problem)

    def _arg_order(self) -> None:
        seen_default = None
        for name, arg in self.spec.args.items():
            if not arg.required:
                seen_default = seen_default or name
            elif seen_default:
                self.error(
                    ("args", name),
                    f"required argument `{name}` (no `default`) "
                    f"must come before `{seen_default}`, which has a default",
                    key=True,
                )

    # -- build and weights -------------------------------------------------------------
    def _build(self) -> None:
        """The `build` body: validates `input_shape`; its names may shape weights."""
        self.build_locals: set[str] = set()
        code = self.spec.build
        if code is None:
            return
        tree = self._parse(code, ("build",))
        if tree is None:
            return
        self.build_locals = stored_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Return, ast.Import, ast.ImportFrom, ast.Global)):
                self._at_node(
                    ("build",),
                    node,
                    "the `build` body may validate and compute "
                    "names, but not return or import",
                )
        scope = self.shape_scope(modules=True) | {"self"} | self.build_locals
        self._names_in(tree, ("build",), scope)

    def _weights(self) -> None:
        args = self.spec.args
        for name, weight in self.spec.weights.items():
            path = ("weights", name)
            for i, dim in enumerate(weight.shape):
                if isinstance(dim, int):
                    if dim < 0:
                        self.error((*path, "shape", i), f"dimension {dim} is negative")
                    continue
                self._expression(
                    dim,
                    (*path, "shape", i),
                    allowed=self.shape_scope() | {"self", *self.build_locals},
                    args_as_names=True,
                )
            for kind in ("initializer", "regularizer", "constraint"):
                value = getattr(weight, kind)
                if value is None:
                    continue
                if value in args:
                    typed = self.arg_types[value]
                    if typed is not None and typed[0] != kind:
                        self.error(
                            (*path, kind),
                            f"argument `{value}` is a {typed[0]}, not an {kind}",
                        )
                elif value not in KERAS_IDENTIFIERS[kind]:
                    kinds = [a for a, t in self.arg_types.items() if t and t[0] == kind]
                    hint = did_you_mean(value, [*kinds, *KERAS_IDENTIFIERS[kind]])
                    self.error(
                        (*path, kind),
                        f"`{value}` is neither an {kind} argument nor "
                        f"a Keras {kind}{hint}",
                    )
            if weight.when is not None:
                if weight.when not in args:
                    self.error(
                        (*path, "when"),
                        f"`when` names argument `{weight.when}`, "
                        f"which does not exist{did_you_mean(weight.when, args)}",
                    )
                elif self.arg_types[weight.when] not in (None, ("bool", False)):
                    self.error(
                        (*path, "when"),
                        f"`when` needs a bool argument; "
                        f"`{weight.when}` is {args[weight.when].type}",
                    )
            if weight.dtype is not None and weight.dtype not in DTYPES:
                self.error(
                    (*path, "dtype"),
                    f"unknown dtype `{weight.dtype}`"
                    f"{did_you_mean(weight.dtype, DTYPES)}",
                )

    def _seed_generator(self) -> None:
        name = self.spec.seed_generator
        if name is None:
            return
        arg = self.spec.args.get(name)
        if arg is None:
            self.error(
                ("seed_generator",),
                f"`seed_generator` names argument `{name}`, "
                f"which does not exist{did_you_mean(name, self.spec.args)}",
            )
        elif self.arg_types[name] not in (None, ("int", True)):
            self.error(
                ("seed_generator",),
                f"`seed_generator` needs an `int | None` "
                f"argument; `{name}` is {arg.type}",
            )

    # -- bodies ------------------------------------------------------------------------
    def _bodies(self) -> None:
        spec = self.spec
        call = spec.call
        if spec.training is True:
            if call is not None:
                if call.body is not None:
                    self.error(
                        ("call", "body"),
                        "with `training: true`, give `training` "
                        "and `inference` bodies instead of `body`",
                    )
                for key in ("training", "inference"):
                    if getattr(call, key) is None:
                        self.error(
                            ("call",),
                            f"with `training: true`, `call` needs both a "
                            f"`training` and an `inference` body; `{key}` is missing",
                            key=True,
                        )
        elif call is not None and spec.training is False:
            for key in ("training", "inference"):
                if getattr(call, key) is not None:
                    self.error(
                        ("call", key),
                        f"`{key}` bodies need `training: true`; "
                        "a layer without training behaviour has one `body`",
                        key=True,
                    )
            if call.body is None and call.training is None and call.inference is None:
                self.error(
                    ("call",),
                    "`call` is empty; give a `body`, or leave `call` out "
                    "to write the body in the generated file",
                    key=True,
                )
        if call is not None and spec.training == "forward" and call.body is None:
            self.error(
                ("call",),
                "`training: forward` needs one `body`",
                key=True,
            )
        if call is None and spec.output_shape != "same":
            self.error(
                ("call",),
                "`output_shape` is not `same`, so the spec must give the "
                "`call` body that computes it",
                near=("output_shape",),
                key=True,
            )
        if spec.masking == "custom" and spec.compute_mask is None:
            self.error(
                ("compute_mask",),
                "`masking: custom` needs a `compute_mask` body "
                "that assigns `output_mask`",
                near=("masking",),
                key=True,
            )
        if spec.masking != "custom" and spec.compute_mask is not None:
            self.error(
                ("compute_mask",),
                "a `compute_mask` body needs `masking: custom`",
                key=True,
            )
        for path in self._code_paths():
            if self.located.styles.get(path) == ">":
                self.error(
                    path,
                    "code must be a literal block (`|`); a folded block (`>`) "
                    "joins its lines",
                )
        self.call_locals: set[str] = set()
        if call is not None:
            for key in ("body", "training", "inference"):
                code = getattr(call, key)
                if code is not None:
                    names = self._body(
                        code,
                        ("call", key),
                        must_assign="outputs",
                        training_body=(key == "training"),
                    )
                    if key != "inference":
                        self.call_locals |= names
        if spec.compute_mask is not None:
            self._body(
                spec.compute_mask,
                ("compute_mask",),
                must_assign="output_mask",
                extra_scope={"mask", "inputs"},
            )
        if spec.output_shape != "same":
            self._expression(
                spec.output_shape,
                ("output_shape",),
                allowed=self.shape_scope() | {"self"},
            )

    def _code_paths(self) -> list[Path_]:
        """Where the spec holds code (bodies, expressions), for the block-style rule."""
        spec = self.spec
        paths: list[Path_] = [("build",), ("compute_mask",), ("output_shape",)]
        paths += [("call", key) for key in ("body", "training", "inference")]
        paths += [("state", name) for name in spec.state]
        for target, bodies in spec.targets.items():
            paths += [
                ("targets", target, "call", key)
                for key in ("body", "training", "inference")
            ]
            paths += [("targets", target, "compute_mask")]
            paths += [("targets", target, "state", name) for name in bodies.state or {}]
            paths += [
                ("targets", target, "methods", name, "body")
                for name in bodies.methods or {}
            ]
        paths += [("methods", name, "body") for name in spec.methods]
        return paths

    def _parse(self, code: str, path: Path_, mode: str = "exec") -> ast.AST | None:
        self.codes[path] = code
        if self.located.styles.get(path) == ">":
            return None  # folded: its lines are joined; reported once by `_bodies`
        try:
            return ast.parse(code, mode=mode)
        except (RecursionError, MemoryError, ValueError) as exc:
            why = "it nests too deeply" if not isinstance(exc, ValueError) else str(exc)
            self.error(path, f"cannot parse the code: {why}")
            return None
        except SyntaxError as exc:
            lineno, offset = exc.lineno or 1, exc.offset or 1
            end_line = getattr(exc, "end_lineno", None)
            if exc.msg.startswith("expected") and end_line and end_line > lineno:
                # `expected 'else' after 'if' expression` spans the expression; what
                # is missing is missing at its end.
                lineno, offset = end_line, max(getattr(exc, "end_offset", 1) or 1, 1)
            # SyntaxError.offset counts characters, 1-based.
            col = self._column(path, lineno, offset - 1)
            what = "expression" if mode == "eval" else "body"
            self.problems.append(
                self.located.at(
                    path,
                    f"syntax error in the {what}: {exc.msg}",
                    line_offset=lineno - 1,
                    col=col,
                )
            )
            return None

    def _column(self, path: Path_, lineno: int, index: int) -> int:
        """The spec column (1-based) of character `index` (0-based) of line `lineno` of
        the code at `path`."""
        code_lines = self.codes.get(path, "").splitlines() or [""]
        code_line = code_lines[min(lineno, len(code_lines)) - 1]
        first = self.located.content_lines.get(path)
        lines = self.located.lines
        if first is None or first - 1 + lineno - 1 >= len(lines):
            return index + 1
        if self.located.styles.get(path) in ("|", ">"):
            # A literal block is its spec lines minus the block's indentation.
            text = lines[first - 1 + lineno - 1]
            return max(len(text) - len(code_line) + index + 1, 1)
        line, column = self.located.positions[path]
        if lineno == 1 and line == first:  # a one-line scalar: after its quote, if any
            quoted = self.located.styles.get(path) in ("'", '"')
            return column + int(quoted) + index
        return max(index + 1, 1)

    def _body(
        self,
        code: str,
        path: Path_,
        must_assign: str,
        training_body: bool = False,
        extra_scope: Iterable[str] = (),
        for_target: str | None = None,
    ) -> set[str]:
        """Check a body written for `for_target` (by default the spec's own target)."""
        modules = TARGET_MODULES[for_target or self.spec.target]
        keras3 = (for_target or self.spec.target) == "keras3"
        tree = self._parse(code, path)
        if tree is None:
            return set()
        stored = stored_names(tree)
        if must_assign == "outputs":
            self.assigned_outputs(tree, path, stored)
        elif must_assign not in stored:
            self.error(path, f"the body must assign `{must_assign}`")
        scope = {"self", *extra_scope} | self.call_scope(for_target)
        if must_assign == "outputs" and self.spec.outputs:
            must_assign = " and ".join(self.spec.outputs)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)):
                self._at_node(
                    path,
                    node,
                    f"`{type(node).__name__.lower()}` is not allowed "
                    f"in a body; assign `{must_assign}` instead",
                )
            elif isinstance(
                node, (ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom)
            ):
                self._at_node(
                    path,
                    node,
                    "imports and global statements are not allowed "
                    f"in a body; {listing(modules)} are in scope"
                    + (
                        "; list other modules in `imports`"
                        if isinstance(node, (ast.Import, ast.ImportFrom))
                        else ""
                    ),
                )
            elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                targets = (
                    node.targets if isinstance(node, ast.Assign) else [node.target]
                )
                for target in targets:
                    if (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == "self"
                    ):
                        self._at_node(
                            path,
                            node,
                            f"`self.{target.attr} = ...` in a body "
                            "keeps Python state that is neither traced nor "
                            "replicated; declare a non-trainable weight and "
                            "update it through `state`",
                        )
        self._names_in(tree, path, scope | stored)
        if keras3 and _uses_random(tree) and self.spec.seed_generator is None:
            self.error(
                path,
                "the body uses `keras.random`; name an `int | None` argument "
                "in `seed_generator` and pass `seed=self.seed_generator`",
            )
        return stored

    def _expression(
        self, code: str, path: Path_, allowed: set[str], args_as_names: bool = False
    ) -> None:
        tree = self._parse(code, path, mode="eval")
        if tree is not None:
            scope = allowed | (set(self.spec.args) if args_as_names else set())
            self._names_in(tree, path, scope)

    def _names_in(self, tree: ast.AST, path: Path_, scope: set[str]) -> None:
        known_self = set(self.spec.args) | set(self.spec.weights) | LAYER_ATTRIBUTES
        known_self |= self.known_self()
        if self.spec.seed_generator:
            known_self.add("seed_generator")
        reported: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                if node.id in scope or node.id in BUILTIN_NAMES or node.id in reported:
                    continue
                reported.add(node.id)
                if node.id == "mask" and "mask" not in scope:
                    self._at_node(
                        path,
                        node,
                        self.mask_hint(),
                    )
                elif node.id == "training" and "training" not in scope:
                    self._at_node(
                        path,
                        node,
                        "`training` is only in scope with `training: true`"
                        + (" or `forward`" if self.spec.layers else ""),
                    )
                elif hint := self.unknown_name_hint(node.id):
                    self._at_node(path, node, hint)
                else:
                    self._at_node(
                        path,
                        node,
                        f"unknown name `{node.id}`"
                        f"{did_you_mean(node.id, scope)}; in scope: "
                        f"{', '.join(sorted(scope))}",
                    )
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
                and isinstance(node.ctx, ast.Load)
                and node.attr not in known_self
                and not node.attr.startswith("_")
                and node.attr not in reported
                and self.spec.base is None  # a base class has attributes of its own
            ):
                reported.add(node.attr)
                self._at_node(
                    path,
                    node,
                    f"unknown attribute `self.{node.attr}`"
                    f"{did_you_mean(node.attr, known_self - LAYER_ATTRIBUTES)}; "
                    f"{self.self_listing()}",
                )

    def _at_node(self, path: Path_, node: ast.AST, message: str) -> None:
        lineno = getattr(node, "lineno", 1)
        # `col_offset` counts UTF-8 bytes; the spec's columns count characters.
        code_lines = self.codes.get(path, "").splitlines() or [""]
        code_line = code_lines[min(lineno, len(code_lines)) - 1].encode("utf-8")
        index = len(
            code_line[: getattr(node, "col_offset", 0)].decode("utf-8", "ignore")
        )
        col = self._column(path, lineno, index)
        self.problems.append(
            self.located.at(path, message, line_offset=lineno - 1, col=col)
        )

    # -- state -------------------------------------------------------------------------
    def _state(self) -> None:
        spec = self.spec
        if spec.state and not spec.training and spec.state_on != "every_call":
            self.error(
                ("state",),
                "`state` updates happen only in training; set `training: true`",
                key=True,
            )
        for name, expr in spec.state.items():
            path = ("state", name)
            weight = spec.weights.get(name)
            if weight is None:
                self.error(
                    path,
                    f"`{name}` is not a weight{did_you_mean(name, spec.weights)}",
                    key=True,
                )
                continue
            if weight.trainable:
                self.error(
                    path,
                    f"weight `{name}` is trainable; state is updated by "
                    "assignment, so declare it `trainable: false`",
                    key=True,
                )
            scope = {"self", *self.call_locals} | self.call_scope()
            if spec.call is None:
                scope |= {"outputs"}
            tree = self._parse(expr, path, mode="eval")
            if tree is not None:
                self._names_in(tree, path, scope)

    # -- examples and input_spec -------------------------------------------------------
    def _examples(self) -> None:
        spec = self.spec
        for i, example in enumerate(spec.examples):
            path: Path_ = ("examples", i)
            self.composite_example(i, example)
            shape = example.input_shape
            if shape is not None and any(d <= 0 for d in shape):
                self.error(
                    (*path, "input_shape"),
                    "dimensions must be positive, including "
                    "the batch dimension first",
                )
            for key, value in example.init.items():
                arg = spec.args.get(key)
                if arg is None:
                    self.error(
                        (*path, "init", key),
                        f"`{key}` is not an argument{did_you_mean(key, spec.args)}",
                        key=True,
                    )
                    continue
                try:
                    base, nullable = parse_arg_type(arg.type)
                except ValueError:
                    continue
                problem = value_problem(base, nullable, value) or constraint_problem(
                    arg, value, parse_range(arg.range) if arg.range else None
                )
                if problem:
                    self.error((*path, "init", key), problem)
            missing = [
                name
                for name, arg in spec.args.items()
                if arg.required and name not in example.init
            ]
            for name in missing:
                self.error(
                    (*path, "init"), self._missing_init(path, example, name, missing)
                )
            if spec.inputs:
                pass  # reported per input by `composite_example`
            elif example.mask and spec.masking == "none":
                self.error(
                    (*path, "mask"),
                    "`mask: true` needs a layer that supports masks "
                    "(`masking` other than `none`)",
                )
            if not spec.inputs and example.dtype not in DTYPES:
                self.error(
                    (*path, "dtype"),
                    f"unknown dtype `{example.dtype}`"
                    f"{did_you_mean(example.dtype, DTYPES)}",
                )
            if spec.input_spec is not None and shape is not None:
                rank = len(shape)
                s = spec.input_spec
                if (
                    (s.ndim is not None and rank != s.ndim)
                    or (s.min_ndim is not None and rank < s.min_ndim)
                    or (s.max_ndim is not None and rank > s.max_ndim)
                ):
                    self.error(
                        (*path, "input_shape"),
                        f"rank {rank} does not fit `input_spec`",
                    )

    def _input_spec(self) -> None:
        s = self.spec.input_spec
        if s is None:
            return
        for key in ("ndim", "min_ndim", "max_ndim"):
            value = getattr(s, key)
            if value is not None and value < 0:
                self.error(("input_spec", key), f"`{key}` must be 0 or more")
        if s.ndim is not None and (s.min_ndim is not None or s.max_ndim is not None):
            self.error(
                ("input_spec",), "give `ndim`, or `min_ndim`/`max_ndim`, not both"
            )
        for axis, dim in (s.axes or {}).items():
            if isinstance(dim, str) and dim not in self.spec.args:
                self.error(
                    ("input_spec", "axes", axis),
                    f"`{dim}` is not an argument"
                    f"{did_you_mean(dim, self.spec.args)}",
                )


def value_problem(base: str, nullable: bool, value: Any) -> str | None:
    """Why `value` is not a value of an argument of type `base` (nullable: `| None`)."""
    if value is None:
        return (
            None
            if nullable
            else f"null is not a {base}; declare the type `{base} | None`"
        )
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
        "shape": isinstance(value, list)
        and all(
            v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)
            for v in value
        ),
        "ints": isinstance(value, list)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value),
        "dict": isinstance(value, dict) and all(isinstance(k, str) for k in value),
        "layer": isinstance(value, dict) and isinstance(value.get("class_name"), str),
    }.get(base)
    if base in KERAS_OBJECT_MODULES:
        if not isinstance(value, str):
            return f"a default {base} is a Keras identifier string, got {value!r}"
        if value not in KERAS_IDENTIFIERS[base]:
            return (
                f"`{value}` is not a Keras {base}"
                f"{did_you_mean(value, KERAS_IDENTIFIERS[base])}"
            )
        return None
    if not ok:
        what = {
            "shape": "a list of ints or nulls",
            "ints": "a list of ints",
            "dict": "a mapping with string keys",
            "layer": "a serialised Keras layer (a mapping with `class_name`)",
        }.get(base, base)
        if not what.startswith("a "):
            what = f"{'an' if what[0] in 'aeiou' else 'a'} {what}"
        return f"{value!r} is not {what}"
    return None


def constraint_problem(arg: Arg, value: Any, bounds: Any) -> str | None:
    """Why `value` breaks the arg's `min`/`max`/`range`/`choices`, or None."""
    if value is None:
        return None
    if arg.choices is not None and value not in arg.choices:
        return f"{value!r} is not one of the choices {arg.choices}"
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    if arg.min is not None and value < arg.min:
        return f"{value!r} is below `min` {arg.min:g}"
    if arg.max is not None and value > arg.max:
        return f"{value!r} is above `max` {arg.max:g}"
    if bounds:
        lo, lo_closed, hi, hi_closed = bounds
        if lo is not None and (value < lo or (value == lo and not lo_closed)):
            return f"{value!r} is outside the range {arg.range}"
        if hi is not None and (value > hi or (value == hi and not hi_closed)):
            return f"{value!r} is outside the range {arg.range}"
    return None


def _type_hint(text: str) -> str:
    """` (did you mean `float | None`?)` for `flaot | none`; empty when no type is near."""
    parts = [p.strip() for p in text.split("|")]
    words = [p for p in parts if p.lower() not in ("none", "null", "nonetype", "")]
    if len(words) != 1:
        return ""
    word = (
        words[0] if words[0] in ARG_TYPES else did_you_mean(words[0], ARG_TYPES)[16:-3]
    )
    if not word:
        return ""
    fixed = f"{word} | None" if len(words) < len(parts) else word
    return f" (did you mean `{fixed}`?)" if fixed != text else ""


def _uses_random(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Attribute)
        and node.attr == "random"
        and isinstance(node.value, ast.Name)
        and node.value.id == "keras"
        for node in ast.walk(tree)
    )


__all__ = [
    "check_spec",
    "parse_range",
    "value_problem",
    "constraint_problem",
    "KERAS_IDENTIFIERS",
    "TARGETS",
]


def _sample_value(arg: Any) -> Any:
    """A value of `arg`'s type that its constraints accept, to show in an example."""
    if arg.choices:
        return arg.choices[0]
    try:
        base, _ = parse_arg_type(arg.type)
    except ValueError:
        return 1
    table: dict[str, list[Any]] = {
        "int": [4, 1, 2, 8, 16, 64, 0],
        "float": [0.5, 1.0, 0.1, 2.0, 0.0, 10.0],
        "bool": [True],
        "str": ["value"],
        "shape": [[2, 2]],
        "ints": [[1]],
        "initializer": ["zeros"],
        "regularizer": [None],
        "constraint": [None],
        "activation": ["relu"],
        "dict": [{}],
        "layer": [{"class_name": "Dense", "config": {"units": 4}}],
    }
    candidates = table.get(base, [None])
    bounds = parse_range(arg.range) if arg.range else None
    for value in candidates:
        if not constraint_problem(arg, value, bounds):
            return value
    return candidates[0]
