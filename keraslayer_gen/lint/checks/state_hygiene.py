"""The `state-hygiene` check of one layer class (docs/contract.md §3): weights, random seeds,
Python state in `call`, and backend-specific code in a Keras 3 layer."""

from __future__ import annotations

import ast

from keraslayer_gen.lint.base import Checker, Registry
from keraslayer_gen.lint.module import (
    Function,
    Module,
    lineage,
    position,
    scope_walk,
    self_attr,
)

STATE_HYGIENE = "state-hygiene"

RANDOM_FUNCTIONS = frozenset(
    {
        "normal",
        "uniform",
        "truncated_normal",
        "dropout",
        "shuffle",
        "categorical",
        "randint",
        "gamma",
        "binomial",
        "beta",
    }
)
BUILD_METHODS = ("__init__", "build")
# Capitalised names under keras.layers that are not layers; and layers whose `dtype=` is
# not a compute policy (lookup and hashing layers: it is their output dtype) or that only
# wrap layers which carry their own (`StackedRNNCells(cells)`, `Bidirectional(rnn)`).
NOT_LAYERS = frozenset({"Input", "InputSpec"})
NO_POLICY_LAYERS = frozenset(
    {
        "StringLookup",
        "IntegerLookup",
        "Hashing",
        "HashedCrossing",
        "Discretization",
        "CategoryEncoding",
        "TextVectorization",
        "StackedRNNCells",
        "RNN",
        "TimeDistributed",
        "Bidirectional",
    }
)
RUNTIME_METHODS = (
    "call",
    "compute_mask",
    "compute_output_shape",
    "compute_output_spec",
    "get_config",
)
FRAMEWORKS = {"tensorflow": "tf", "jax": "jax", "jaxlib": "jax", "torch": "torch"}
_SEED_FIX = (
    "pass seed=self.seed_generator, a keras.random.SeedGenerator created in __init__"
)
Path = tuple[tuple[int, str], ...]  # the if/else and try arms that lead to a node


class StateChecker(Checker):
    id = STATE_HYGIENE
    number = 3
    guards = (
        "weights or Python state created outside build, "
        "unseeded randomness, backend-specific code"
    )

    def run(self) -> None:
        self._weights()
        self._random()
        self._call_assignments()
        if not self.module.tf_keras:
            self._frameworks()
            self._sublayer_dtypes()

    def _sublayer_dtypes(self) -> None:
        """A Keras 3 sub-layer created without `dtype=` takes the global dtype policy,
        not its owner's: `Owner(dtype="mixed_float16")` computes it in float32. One
        finding per class, at its first such sub-layer, naming them all."""
        init = self.layer.method("__init__")
        if init is not None and init.args.kwarg is None:
            names = [a.arg for a in (*init.args.args, *init.args.kwonlyargs)]
            if "dtype" not in names:
                return  # no dtype reaches the layer itself (the structure check says so)
        found: dict[int, tuple[ast.Call, str]] = {}
        for method in sorted(self._reachable(BUILD_METHODS)):
            for node in scope_walk(self.layer.methods[method]):
                if not isinstance(node, ast.Call):
                    continue
                label = self._sublayer(node.func)
                if label is None:
                    continue
                if any(k.arg in ("dtype", None) for k in node.keywords):
                    continue  # dtype=... or **kwargs that may carry it
                found[id(node)] = (node, label)
        if not found:
            return
        calls = sorted(found.values(), key=lambda item: position(item[0]))
        first = calls[0][0]
        labels = list(dict.fromkeys(label.rpartition(".")[2] for _, label in calls))
        shown = ", ".join(labels[:4]) + (", ..." if len(labels) > 4 else "")
        count = len(calls)
        self.report(
            STATE_HYGIENE,
            first,
            f"`{self.layer.name}` creates {count} sub-layer{'s' * (count > 1)} "
            f"({shown}) without dtype=, so they take the global dtype policy, not "
            f'the layer\'s own: {self.layer.name}(dtype="mixed_float16") still '
            "computes them in float32; pass dtype=self.dtype_policy to each",
        )

    def _sublayer(self, func: ast.AST) -> str | None:
        """`keras.layers.Dense` (or an in-file layer class) when `func` makes a layer."""
        if isinstance(func, ast.Name) and func.id in self.module.layer_names:
            return func.id
        name = self.module.canonical(func) or ""
        if not name.startswith("keras.layers."):
            return None
        tail = name.rpartition(".")[2]
        if not tail[:1].isupper() or tail in NOT_LAYERS or tail in NO_POLICY_LAYERS:
            return None
        return name

    def _backend_guarded(self) -> set[int]:
        """ids of the nodes in the arms of an `if` on the backend: code written for one
        backend on purpose (a workaround, a fast path) is not a portability bug."""
        out: set[int] = set()
        for node in ast.walk(self.layer.node):
            if isinstance(node, ast.If) and _is_backend_test(self.module, node.test):
                for statement in [*node.body, *node.orelse]:
                    out.update(id(child) for child in ast.walk(statement))
        return out

    def _reachable(self, roots: tuple[str, ...]) -> set[str]:
        """Methods of the class reached from `roots` through `self.method(...)` calls."""
        methods = self.layer.methods
        seen: set[str] = set()
        todo = [r for r in roots if r in methods]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            for node in scope_walk(methods[current]):
                if isinstance(node, ast.Call):
                    callee = self_attr(node.func)
                    if callee is not None and callee in methods and callee not in seen:
                        todo.append(callee)
        return seen

    def _weights(self) -> None:
        allowed = self._reachable(BUILD_METHODS)
        runtime = self._reachable(RUNTIME_METHODS) - allowed
        for method_name, function in self.layer.methods.items():
            calls = [
                n
                for n in scope_walk(function)
                if isinstance(n, ast.Call) and self_attr(n.func) == "add_weight"
            ]
            if method_name in runtime:
                for call in calls:
                    self.report(
                        STATE_HYGIENE,
                        call,
                        f"`{self.layer.name}.{method_name}` "
                        "creates a weight; create weights in build() so they exist "
                        "before the first call and are tracked, saved and "
                        "distributed",
                    )
            self._weight_arguments(function, calls)

    def _weight_arguments(self, function: Function, calls: list[ast.Call]) -> None:
        name = self.layer.name
        seen: dict[str, Path] = {}
        loops = _loop_bodies(function)
        for call in sorted(calls, key=position):
            if call.args and self.module.tf_keras:
                # tf-keras's add_weight starts with `name`, Keras 3's with `shape`: a
                # Keras 2 layer that passes them by position breaks when ported.
                self.report(
                    STATE_HYGIENE,
                    call,
                    f"`{name}`: add_weight with positional "
                    "arguments (their order differs between Keras versions); pass "
                    "name=, shape=, initializer=... as keywords",
                )
            if not self.module.tf_keras:
                # Keras 3 saves weights by their order, not their names: a missing,
                # computed or repeated name changes nothing in .keras files.
                continue
            literal = next((k.value for k in call.keywords if k.arg == "name"), None)
            if literal is None:
                if not call.args:
                    self.report(
                        STATE_HYGIENE,
                        call,
                        f"`{name}`: add_weight without name=; "
                        'give every weight a literal, unique name="..."',
                    )
                continue
            if not (
                isinstance(literal, ast.Constant) and isinstance(literal.value, str)
            ):
                self.report(
                    STATE_HYGIENE,
                    literal,
                    f"`{name}`: add_weight name= is not a "
                    'literal string; use a literal, unique name="..."',
                )
                continue
            branches = _branches(function, call)
            previous = seen.get(literal.value)
            if previous is not None and not _exclusive(previous, branches):
                self.report(
                    STATE_HYGIENE,
                    literal,
                    f"`{name}`: two weights named "
                    f'"{literal.value}"; give each weight a unique name=',
                )
            elif id(call) in loops:
                self.report(
                    STATE_HYGIENE,
                    literal,
                    f"`{name}`: add_weight "
                    f'name="{literal.value}" inside a loop gives every weight the '
                    "same name; make the names unique",
                )
            seen.setdefault(literal.value, branches)

    def _seed_attributes(self) -> tuple[set[str], set[str]]:
        """(attributes assigned a SeedGenerator, every attribute assigned in the class)."""
        seeds: set[str] = set()
        assigned: set[str] = set()
        for layer in lineage(self.layer):
            for function in layer.methods.values():
                for node in scope_walk(function):
                    if not isinstance(node, (ast.Assign, ast.AnnAssign)):
                        continue
                    targets = (
                        node.targets if isinstance(node, ast.Assign) else [node.target]
                    )
                    for target in targets:
                        attr = self_attr(target)
                        if attr is None:
                            continue
                        assigned.add(attr)
                        value = node.value
                        if isinstance(value, ast.Call) and (
                            self.module.canonical(value.func) or ""
                        ).endswith(".SeedGenerator"):
                            seeds.add(attr)
        return seeds, assigned

    def _random(self) -> None:
        seeds, assigned = self._seed_attributes()
        for function in self.layer.methods.values():
            for node in scope_walk(function):
                if not isinstance(node, ast.Call):
                    continue
                target = self.module.canonical(node.func) or ""
                prefix, _, func = target.rpartition(".")
                if (
                    prefix in ("keras.random", "keras.backend.random")
                    and func in RANDOM_FUNCTIONS
                ):
                    self._seed_argument(node, f"{prefix}.{func}", seeds, assigned)

    def _seed_argument(
        self, call: ast.Call, label: str, seeds: set[str], assigned: set[str]
    ) -> None:
        name = self.layer.name
        seed = next((k.value for k in call.keywords if k.arg == "seed"), None)
        if seed is None:
            if any(self_attr(a) in seeds for a in call.args):
                return
            self.report(
                STATE_HYGIENE,
                call,
                f"`{name}`: {label}() without seed= draws from "
                f"the global generator, which is not traceable or reproducible; "
                f"{_SEED_FIX}",
            )
        elif isinstance(seed, ast.Constant):
            self.report(
                STATE_HYGIENE,
                seed,
                f"`{name}`: {label}(seed={seed.value!r}) "
                f"draws the same numbers on every call; {_SEED_FIX}",
            )
        else:
            attr = self_attr(seed)
            if attr is not None and attr not in seeds and attr in assigned:
                self.report(
                    STATE_HYGIENE,
                    seed,
                    f"`{name}`: {label}(seed=self.{attr}) but "
                    f"self.{attr} is not a keras.random.SeedGenerator; {_SEED_FIX}",
                )

    def _call_assignments(self) -> None:
        call = self.layer.methods.get("call")
        if call is None:
            return
        flags = _flag_parameters(call)
        for node in scope_walk(call):
            value = getattr(node, "value", None)
            if isinstance(value, ast.Call) and self_attr(value.func) == "add_weight":
                continue  # reported as a weight created outside build()
            if isinstance(node, ast.Assign) and (
                isinstance(value, ast.Constant)
                or (isinstance(value, ast.Name) and value.id in flags)
            ):
                # A Python constant or flag argument (`return_attention_scores`) kept
                # for the rest of the call: the same in every trace, nothing to lose.
                continue
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            else:
                continue
            for target in targets:
                elements = target.elts if isinstance(target, ast.Tuple) else [target]
                for element in elements:
                    attr = self_attr(element)
                    if attr is not None:
                        self.report(
                            STATE_HYGIENE,
                            element,
                            f"`{self.layer.name}.call` "
                            f"assigns self.{attr}; Python state set in call is "
                            "neither traced nor replicated: keep it in a "
                            "non-trainable weight updated with .assign(), or set "
                            "it in build()",
                        )

    def _frameworks(self) -> None:
        first: dict[str, ast.AST] = {}
        guarded = self._backend_guarded()
        for node in ast.walk(self.layer.node):
            if id(node) in guarded:
                continue
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                roots = [(self.module.dotted(node) or "").split(".")[0]]
            elif isinstance(node, ast.Import):
                roots = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                roots = [(node.module or "").split(".")[0]]
            else:
                continue
            for root in roots:
                if root in FRAMEWORKS and root not in first:
                    first[root] = node
        for root, node in sorted(first.items(), key=lambda item: position(item[1])):
            self.report(
                STATE_HYGIENE,
                node,
                f"`{self.layer.name}` uses {root} "
                f"(`{FRAMEWORKS[root]}.`), so it runs on one backend only; use "
                "keras.ops and keras.random (or target tf-keras for a tf.keras "
                "layer)",
            )


def _flag_parameters(function: Function) -> set[str]:
    """Parameters whose default is a constant (`training=None`, `return_scores=False`):
    Python flags, not tensors."""
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    out = {
        a.arg
        for a, d in zip(
            positional[len(positional) - len(args.defaults) :],
            args.defaults,
            strict=True,
        )
        if isinstance(d, ast.Constant)
    }
    out |= {
        a.arg
        for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
        if isinstance(d, ast.Constant)
    }
    return out


def _is_backend_test(module: Module, test: ast.expr) -> bool:
    """`keras.config.backend() == "tensorflow"`, `backend.backend() in (...)`,
    `in_tf_function()`: a test that picks code for one backend."""
    for node in ast.walk(test):
        if isinstance(node, ast.Call):
            name = module.dotted(node.func) or ""
            tail = name.rpartition(".")[2]
            if tail == "backend" or "tf_function" in tail or "tf_graph" in tail:
                return True
    return False


def _loop_bodies(function: Function) -> set[int]:
    """ids of the nodes that run inside a loop of `function`."""
    inside: set[int] = set()
    for node in scope_walk(function):
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While, ast.comprehension)):
            inside.update(id(child) for child in ast.walk(node))
    return inside


def _branches(function: Function, target: ast.AST) -> Path:
    """The if/else (and try/except) arms that lead to `target`, outermost first."""

    def search(node: ast.AST, path: Path) -> Path | None:
        if node is target:
            return path
        arms: list[tuple[str, list[ast.AST]]]
        if isinstance(node, ast.If):
            arms = [
                ("test", [node.test]),
                ("body", [*node.body]),
                ("orelse", [*node.orelse]),
            ]
        elif isinstance(node, ast.IfExp):
            arms = [
                ("test", [node.test]),
                ("body", [node.body]),
                ("orelse", [node.orelse]),
            ]
        elif isinstance(node, ast.Try):
            arms = [
                ("try", [*node.body]),
                *(
                    (f"except{i}", list[ast.AST](h.body))
                    for i, h in enumerate(node.handlers)
                ),
                ("try-else", [*node.orelse]),
                ("finally", [*node.finalbody]),
            ]
        else:
            arms = [("", list(ast.iter_child_nodes(node)))]
        for arm, children in arms:
            step = (*path, (id(node), arm)) if arm else path
            for child in children:
                found = search(child, step)
                if found is not None:
                    return found
        return None

    return search(function, ()) or ()


def _exclusive(a: Path, b: Path) -> bool:
    """Two paths that part at an if/else (or between try and except) never both run."""
    for (node_a, arm_a), (node_b, arm_b) in zip(a, b, strict=False):
        if node_a != node_b:
            return False
        if arm_a != arm_b:
            both = {arm_a, arm_b}
            return not (both & {"test", "finally"} or both == {"try", "try-else"})
    return False


def register(registry: Registry) -> None:
    registry.register(StateChecker)
