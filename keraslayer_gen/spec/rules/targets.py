"""Rules for a spec's code per target: the bodies under `targets:`, and code both targets use.

A mixin of the checker in `rules.py`: the bodies for the other target are checked like the
main ones, in that target's scope (`TARGET_MODULES`), and must be complete wherever the
generated code would otherwise silently lack them (a `compute_mask`, a `state` update).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import TYPE_CHECKING

from keraslayer_gen.spec.model import LayerSpec, TargetBodies
from keraslayer_gen.spec.updates import updated_weight

#: The modules a target's code sees, besides `inputs`, `self`, `mask` and `training`.
TARGET_MODULES = {"keras3": ("keras", "ops"), "tf-keras": ("tf", "K", "keras")}
_CALL_KEYS = ("body", "training", "inference")

Path_ = tuple[str | int, ...]


def listing(names: Iterable[str]) -> str:
    """`("tf", "K", "keras")` -> "`tf`, `K` and `keras`"."""
    quoted = [f"`{name}`" for name in names]
    return " and ".join(
        [", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted
    )


def _names(code: str | None) -> list[ast.Name]:
    """The names in code that the checker has already parsed (and reported, if broken)."""
    try:
        tree = ast.parse((code or "").strip())
    except SyntaxError:
        return []
    return [node for node in ast.walk(tree) if isinstance(node, ast.Name)]


def _self_attributes(code: str | None, attr: str) -> list[ast.Attribute]:
    try:
        tree = ast.parse((code or "").strip())
    except SyntaxError:
        return []
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == attr
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    ]


class TargetRules:
    spec: LayerSpec

    if TYPE_CHECKING:

        def error(
            self,
            path: Path_,
            message: str,
            *,
            key: bool = False,
            near: Path_ | None = None,
        ) -> None: ...

        def _body(
            self,
            code: str,
            path: Path_,
            must_assign: str,
            training_body: bool = False,
            extra_scope: Iterable[str] = (),
            for_target: str | None = None,
        ) -> set[str]: ...

        def _parse(
            self, code: str, path: Path_, mode: str = "exec"
        ) -> ast.AST | None: ...

        def _names_in(self, tree: ast.AST, path: Path_, scope: set[str]) -> None: ...

        def _at_node(self, path: Path_, node: ast.AST, message: str) -> None: ...

        def call_scope(self, for_target: str | None = None) -> set[str]: ...

    def _target_bodies(self) -> None:
        spec = self.spec
        for target, bodies in spec.targets.items():
            if target != spec.target:  # the spec's own target is reported by `_names`
                self._other_target(target, bodies)
        if spec.target == "tf-keras":
            for weight, expr in spec.state.items():
                self._update_op(expr, ("state", weight), weight)
        self._tf_keras_randomness()
        if spec.build is not None:
            self._shared_build()

    def _other_target(self, target: str, bodies: TargetBodies) -> None:
        spec = self.spec
        where: Path_ = ("targets", target)
        keys = ("training", "inference") if spec.training is True else ("body",)
        call_locals: set[str] = set()
        for key in _CALL_KEYS if bodies.call is not None else ():
            code = getattr(bodies.call, key)
            if code is None and key in keys:
                self.error(
                    (*where, "call"),
                    f"`call` needs {listing(keys)} bodies, like the spec's own; "
                    f"`{key}` is missing",
                    key=True,
                )
            elif code is not None and key not in keys:
                self.error(
                    (*where, "call", key),
                    f"a layer with `training: {str(spec.training).lower()}` has "
                    f"{listing(keys)} bodies, not `{key}`",
                    key=True,
                )
            elif code is not None:
                path = (*where, "call", key)
                names = self._body(code, path, must_assign="outputs", for_target=target)
                if key != "inference":
                    call_locals |= names
        if bodies.compute_mask is not None and spec.masking != "custom":
            self.error(
                (*where, "compute_mask"),
                "a `compute_mask` body needs `masking: custom`",
                key=True,
            )
        elif bodies.compute_mask is not None:
            self._body(
                bodies.compute_mask,
                (*where, "compute_mask"),
                must_assign="output_mask",
                extra_scope={"mask", "inputs"},
                for_target=target,
            )
        elif spec.masking == "custom":
            self.error(
                where,
                f"`masking: custom` needs a {target} `compute_mask` body too",
                key=True,
            )
        if bodies.state is None:
            self._inherited_state(target)
        else:
            self._target_state(target, bodies, call_locals)

    def _inherited_state(self, target: str) -> None:
        """Without `targets.<target>.state`, the spec's own `state` renders for `target`."""
        foreign = set(TARGET_MODULES[self.spec.target]) - set(TARGET_MODULES[target])
        for weight, expr in self.spec.state.items():
            used = sorted({node.id for node in _names(expr)} & foreign)
            if used:
                self.error(
                    ("targets", target),
                    f"`state.{weight}` uses {listing(used)}, which {target} code "
                    f"does not have; give `targets.{target}.state`",
                    key=True,
                )

    def _target_state(
        self, target: str, bodies: TargetBodies, call_locals: set[str]
    ) -> None:
        spec = self.spec
        state = bodies.state or {}
        for weight in spec.state:
            if weight not in state:
                self.error(
                    ("targets", target, "state"),
                    f"`{weight}` is in the spec's `state` but has no {target} update",
                    key=True,
                )
        scope = {"self", *call_locals} | self.call_scope(target)
        if bodies.call is None:
            scope.add("outputs")
        for weight, expr in state.items():
            path = ("targets", target, "state", weight)
            if weight not in spec.state:
                self.error(path, f"`{weight}` is not in the spec's `state`", key=True)
            tree = self._parse(expr, path, mode="eval")
            if tree is not None:
                self._names_in(tree, path, scope)
            if target == "tf-keras":
                self._update_op(expr, path, weight)

    def _update_op(self, expr: str, path: Path_, weight: str) -> None:
        """A tf-keras `state` entry that is an update op must update its own weight."""
        updated = updated_weight(expr)
        if updated is not None and updated != weight:
            self.error(path, f"this update op updates `{updated}`, not `{weight}`")

    def _tf_keras_randomness(self) -> None:
        """`self.seed_generator` is Keras 3's; tf-keras code seeds `tf.random` ops."""
        spec = self.spec
        prefix: Path_ = ()
        if spec.target == "tf-keras":
            call, compute_mask = spec.call, spec.compute_mask
        elif "tf-keras" in spec.targets:
            prefix = ("targets", "tf-keras")
            call = spec.targets["tf-keras"].call
            compute_mask = spec.targets["tf-keras"].compute_mask
        else:
            return
        codes = [((*prefix, "compute_mask"), compute_mask)]
        if call is not None:
            codes += [((*prefix, "call", k), getattr(call, k)) for k in _CALL_KEYS]
        seed = f"`seed=self.{spec.seed_generator}`" if spec.seed_generator else "a seed"
        for path, code in codes:
            for node in _self_attributes(code, "seed_generator"):
                self._at_node(
                    path,
                    node,
                    f"tf-keras layers have no seed generator; pass {seed} to the "
                    "`tf.random` op",
                )

    def _shared_build(self) -> None:
        """`build` renders for every target of the spec: no module of only one of them."""
        own = set(TARGET_MODULES[self.spec.target])
        reported: set[str] = set()
        for target in self.spec.targets:
            foreign = own ^ set(TARGET_MODULES[target])
            for node in _names(self.spec.build):
                if node.id in foreign and node.id not in reported:
                    reported.add(node.id)
                    self._at_node(
                        ("build",),
                        node,
                        f"the `build` body renders for {self.spec.target} and {target}; "
                        f"`{node.id}` exists only in one of them",
                    )
