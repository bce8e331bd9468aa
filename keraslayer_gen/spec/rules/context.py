"""What the rules share: the spec, the locator, the problems found so far, the scopes of
the generated code (built once), and what earlier rule groups found for later ones."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field

from keraslayer_gen.errors import Diagnostic
from keraslayer_gen.spec.model import LayerSpec, parse_arg_type
from keraslayer_gen.spec.names import BUILTIN_NAMES, LAYER_ATTRIBUTES, did_you_mean
from keraslayer_gen.spec.registry import TARGET_MODULES, TARGETS
from keraslayer_gen.spec.scope import (
    MASKING_WITH_MASK,
    import_names,
    input_names,
    mask_names,
    mask_scope,
    shape_scope_names,
    tensor_arguments,
)
from keraslayer_gen.spec.source import Located

Path_ = tuple[str | int, ...]


def listing(names: Iterable[str]) -> str:
    """`("tf", "K", "keras")` -> "`tf`, `K` and `keras`"."""
    quoted = [f"`{name}`" for name in names]
    return " and ".join(
        [", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted
    )


def stored_names(tree: ast.AST) -> set[str]:
    """The names a piece of code binds: assignments, deletions, definitions, parameters."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


@dataclass
class RuleContext:
    """One run of the rules over one spec.

    The rule groups of `rules.RULE_GROUPS` run in order; a group that finds something a
    later group needs stores it here (`build_locals`, `call_locals`), and the groups
    declare which fields they fill and read, so the order is checked, not remembered.
    """

    spec: LayerSpec
    located: Located
    problems: list[Diagnostic] = field(default_factory=list)
    #: The code parsed at each path, to map a column of the code to the spec's.
    codes: dict[Path_, str] = field(default_factory=dict)
    #: Each argument's (base type, nullable); None for an unknown type, which is
    #: reported once at the argument, not again where the argument is used.
    arg_types: dict[str, tuple[str, bool] | None] = field(default_factory=dict)
    #: Found by the `build` group: the names the `build` body binds, which weight
    #: shapes and sub-layer `build` arguments may use.
    build_locals: set[str] = field(default_factory=set)
    #: Found by the `call` bodies group: the names the `call` bodies bind (not the
    #: inference body), which `state` and `losses` may use.
    call_locals: set[str] = field(default_factory=set)
    #: The names each target's `call` body sees besides `self` (built once).
    _call_scopes: dict[str, frozenset[str]] = field(default_factory=dict)
    #: `self.<name>` a body may read.
    _known_self: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        spec = self.spec
        for name, arg in spec.args.items():
            try:
                self.arg_types[name] = parse_arg_type(arg.type)
            except ValueError:
                self.arg_types[name] = None
        for target in TARGETS:
            scope = {*input_names(spec), *tensor_arguments(spec)}
            scope |= mask_scope(spec)
            scope |= set(spec.call_args)
            scope |= self.module_scope(target)
            if spec.training:
                scope.add("training")
            if not spec.inputs and spec.masking in MASKING_WITH_MASK:
                scope.add("mask")
            self._call_scopes[target] = frozenset(scope)
        known_self = set(spec.args) | set(spec.weights) | LAYER_ATTRIBUTES
        known_self |= set(spec.layers) | set(spec.methods)
        if spec.seed_generator:
            known_self.add("seed_generator")
        self._known_self = frozenset(known_self)

    # -- reporting ----------------------------------------------------------------------
    def error(
        self, path: Path_, message: str, *, key: bool = False, near: Path_ | None = None
    ) -> None:
        """A problem of the field at `path`, placed at its value (or its key with `key`,
        or at the field `near` when the problem is that `path` is missing)."""
        self.problems.append(self.located.at(path, message, key=key, near=near))

    def at_node(self, path: Path_, node: ast.AST, message: str) -> None:
        """A problem at `node` of the code at `path`."""
        lineno = getattr(node, "lineno", 1)
        # `col_offset` counts UTF-8 bytes; the spec's columns count characters.
        code = self.codes.get(path, "")
        code_lines = code.splitlines() or [""]
        code_line = code_lines[min(lineno, len(code_lines)) - 1].encode("utf-8")
        index = len(
            code_line[: getattr(node, "col_offset", 0)].decode("utf-8", "ignore")
        )
        self.problems.append(self.located.at_code(path, code, message, lineno, index))

    # -- scopes -------------------------------------------------------------------------
    def module_scope(self, target: str | None = None) -> set[str]:
        """The modules a target's code sees: the target's own and the spec's imports."""
        modules = set(TARGET_MODULES[target or self.spec.target])
        return modules | set(import_names(self.spec))

    def call_scope(self, for_target: str | None = None) -> set[str]:
        """The names a `call` body sees besides `self`: inputs, masks, call args,
        `training`, the target's modules and the spec's imports."""
        return set(self._call_scopes[for_target or self.spec.target])

    def shape_scope(self, modules: bool = False) -> set[str]:
        """The names an expression of a shape sees besides `self` and the args (and,
        with `modules`, the `build` body: the target's modules too)."""
        scope = {*shape_scope_names(self.spec), *import_names(self.spec)}
        if modules:
            scope |= set(TARGET_MODULES[self.spec.target])
        return scope

    def output_names(self) -> list[str]:
        return list(self.spec.outputs) if self.spec.outputs else ["outputs"]

    # -- code ---------------------------------------------------------------------------
    def parse(self, code: str, path: Path_, mode: str = "exec") -> ast.AST | None:
        """The code at `path`, parsed; None (and a problem) when it does not parse."""
        self.codes[path] = code
        if self.located.styles.get(path) == ">":
            return None  # folded: its lines are joined; reported once with the bodies
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
            what = "expression" if mode == "eval" else "body"
            self.problems.append(
                self.located.at_code(
                    path,
                    code,
                    f"syntax error in the {what}: {exc.msg}",
                    lineno,
                    offset - 1,
                )
            )
            return None

    def expression(
        self, code: str, path: Path_, allowed: set[str], args_as_names: bool = False
    ) -> None:
        """An expression: it parses, and it uses only names of `allowed` (and the args
        by name with `args_as_names`)."""
        tree = self.parse(code, path, mode="eval")
        if tree is not None:
            scope = allowed | (set(self.spec.args) if args_as_names else set())
            self.names_in(tree, path, scope)

    def names_in(self, tree: ast.AST, path: Path_, scope: set[str]) -> None:
        """Every name and `self.` attribute of `tree` is in `scope` (or a builtin)."""
        known_self = self._known_self
        reported: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                if node.id in scope or node.id in BUILTIN_NAMES or node.id in reported:
                    continue
                reported.add(node.id)
                if node.id == "mask" and "mask" not in scope:
                    self.at_node(path, node, self._mask_hint())
                elif node.id == "training" and "training" not in scope:
                    self.at_node(
                        path,
                        node,
                        "`training` is only in scope with `training: true`"
                        + (" or `forward`" if self.spec.layers else ""),
                    )
                elif hint := self._unknown_name_hint(node.id):
                    self.at_node(path, node, hint)
                else:
                    self.at_node(
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
                self.at_node(
                    path,
                    node,
                    f"unknown attribute `self.{node.attr}`"
                    f"{did_you_mean(node.attr, known_self - LAYER_ATTRIBUTES)}; "
                    f"{self._self_listing()}",
                )

    def _self_listing(self) -> str:
        """What `self.` may name, for the unknown-attribute message."""
        kinds = ["args", "weights"]
        kinds += ["sub-layers"] if self.spec.layers else []
        kinds += ["methods"] if self.spec.methods else []
        return f"the layer has its {', '.join(kinds)} and `keras.layers.Layer`'s"

    def _unknown_name_hint(self, name: str) -> str | None:
        """A message for a name a body may not use but a reader would expect."""
        spec = self.spec
        if name in spec.args:
            return f"`{name}` is an argument of the layer; write `self.{name}` here"
        if not spec.inputs:
            return None
        if name == "inputs" and not spec.input_list:
            return (
                "`inputs` is not a parameter of this `call`; its inputs are "
                f"{listing(spec.inputs)}"
            )
        for input_name in spec.inputs:
            if name == f"{input_name}_mask" and len(spec.inputs) == 1:
                return (
                    f"`{name}` is not in scope; a `call` with one input receives "
                    "its mask as `mask`"
                )
            if name == f"{input_name}_mask":
                return (
                    f"`{name}` is not in scope; `call` receives the mask of "
                    f"`{input_name}` with `inputs.{input_name}.mask: true` (and a "
                    "`masking` other than `none`)"
                )
        return None

    def _mask_hint(self) -> str:
        """Why `mask` is not in scope."""
        spec = self.spec
        if spec.inputs and spec.masking != "none":
            names = mask_names(spec)
            if names:
                return (
                    "`mask` is not a parameter of this `call`; the masks are "
                    f"{listing(names.values())}"
                )
            return "`mask` is only in scope for an input with `mask: true`"
        return "`mask` is only in scope with `masking: use`, `consume` or `custom`"
