"""The broken-layer corpus: one classic Keras layer bug per module, with its fixed twin.

Most modules are Keras 3 layers; the `tf_keras_*` modules are Keras 2 (`tf_keras`)
layers written in that target's idioms (`K.in_train_phase`, `add_update`,
`super().build(...)`), run by the harness on TensorFlow only.

Each `tests/corpus/<bug>.py` holds two hand-written, self-contained layers, `Broken`
(the bug, and nothing else wrong) and `Fixed` (the same layer done right), a `CASE`
literal saying what the harness must report, and `symptom(cls)`, which shows the bug
with plain Keras (a message for `Broken` where the bug manifests, `None` for `Fixed`).
README.md has the table. `CASE` keys:

- `check`: the one check id (docs/contract.md) that must catch the bug.
- `fix`: words the failure message of that check must contain: it names the fix.
  `not_fix` (optional): words it must not contain, the advice of a misdiagnosis.
- `expect`: the harness expectations (`input_shape` with the batch dimension, `init`,
  `mask` (the example carries a padding mask), `masking`, `training`, `stochastic`,
  `state`, `trainable`, `non_trainable`, `seed_generators`, `output_shape`), the same
  for both twins: they describe the intended layer.
- `backends` (default: all three): where the bug manifests at runtime; the harness
  runs there.
- `also` (default: none): other checks the bug necessarily breaks, each with why; they
  must fail or skip. `"*"` means any runtime check may fail (the layer cannot even be
  called). `also_backends` limits them to some backends.
- `full`: the check is only in `--full` (`distributed`).
- `symptom_backends` (default: `backends`): where `symptom(Broken)` shows the bug
  with plain Keras. For a static bug that is where it breaks at runtime.
- `target` (default `"keras3"`): `"tf-keras"` for a Keras 2 layer (the module imports
  `tf_keras`, never `keras`); its `backends` are `("tensorflow",)`, the only one.

Cases are read with `ast.literal_eval`, so listing them imports neither Keras nor
the layers.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from keraslayer_gen.harness.checklist import RUNTIME_CHECKS, STATIC_CHECKS

CORPUS_DIR = Path(__file__).resolve().parent
BACKENDS = ("tensorflow", "jax", "torch")
CHECKS = STATIC_CHECKS + RUNTIME_CHECKS
EXPECT_KEYS = frozenset(
    "input_shape init mask masking training stochastic state trainable non_trainable "
    "seed_generators output_shape".split()
)
_CASE_KEYS = frozenset(
    "check fix not_fix expect backends also also_backends full symptom_backends target".split()
)


@dataclass(frozen=True)
class Case:
    """One corpus module: the bug, the check that must catch it, the expectations."""

    name: str
    path: Path
    summary: str  # the first line of the module docstring
    check: str
    fix: tuple[str, ...]
    not_fix: tuple[str, ...]
    expect: dict[str, Any]
    backends: tuple[str, ...] = BACKENDS
    also: dict[str, str] = field(default_factory=dict)
    also_backends: tuple[str, ...] = BACKENDS
    full: bool = False
    symptom_backends: tuple[str, ...] = BACKENDS
    keras_target: str = "keras3"  # or "tf-keras": a tf_keras layer, TensorFlow only

    @property
    def static(self) -> bool:
        return self.check in STATIC_CHECKS

    def target(self, twin: str) -> str:
        """The `path/to/file.py:ClassName` target of `Broken` or `Fixed`."""
        return f"{self.path}:{twin}"

    def may_fail(self, backend: str) -> set[str]:
        """Checks other than `check` that the bug legitimately breaks on `backend`: each
        must fail or skip, except under `"*"`, where any runtime check may fail."""
        if backend not in self.also_backends:
            return set()
        if "*" in self.also:
            return set(RUNTIME_CHECKS)
        return set(self.also)

    def must_not_pass(self, backend: str) -> set[str]:
        """The consequences named one by one: they must show (fail or skip)."""
        if backend not in self.also_backends or "*" in self.also:
            return set()
        return set(self.also)

    def load(self, module_name: str | None = None) -> ModuleType:
        """Import the module from its file (this imports Keras)."""
        name = module_name or f"klgen_corpus_{self.name}"
        spec = importlib.util.spec_from_file_location(name, self.path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


def _parse(path: Path) -> Case:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    doc = ast.get_docstring(tree) or ""
    literal = None
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "CASE"
        ):
            literal = ast.literal_eval(node.value)
    if not isinstance(literal, dict):
        raise ValueError(f"{path}: no CASE = {{...}} literal")
    unknown = set(literal) - _CASE_KEYS
    if unknown:
        raise ValueError(f"{path}: unknown CASE keys {sorted(unknown)}")
    return Case(
        name=path.stem,
        path=path,
        summary=doc.splitlines()[0] if doc else "",
        check=literal["check"],
        fix=tuple(literal["fix"]),
        not_fix=tuple(literal.get("not_fix", ())),
        expect=dict(literal["expect"]),
        backends=tuple(literal.get("backends", BACKENDS)),
        also=dict(literal.get("also", {})),
        also_backends=tuple(literal.get("also_backends", BACKENDS)),
        full=bool(literal.get("full", False)),
        symptom_backends=tuple(
            literal.get("symptom_backends", literal.get("backends", BACKENDS))
        ),
        keras_target=str(literal.get("target", "keras3")),
    )


def load_cases() -> list[Case]:
    """Every corpus module, sorted by name."""
    return [_parse(path) for path in sorted(CORPUS_DIR.glob("[!_]*.py"))]
