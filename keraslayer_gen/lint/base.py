"""The lint's check protocol: the finding type, the checker base class, the check registry.

A module of `keraslayer_gen/lint/checks/` subclasses `Checker` once per check id, gives it
its metadata (`id`, `number`, `guards`) and registers it with `register(registry)`; the
driver discovers those modules and runs every registered checker on every layer class.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from keraslayer_gen.lint.module import LayerClass, Module, position


@dataclass(frozen=True)
class LintIssue:
    """One violation of the static contract, located in a file."""

    check: str  # structure | config-complete | state-hygiene
    filename: str
    line: int
    col: int  # 1-based, like the line
    class_name: str
    message: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.col}: {self.check}: {self.message}"


class Checker:
    """Collects the issues of one layer class for one check id; each check module
    subclasses it and sets the check's metadata."""

    id: ClassVar[str]  # the stable check id (`--only`, `# klgen: ignore[...]`)
    number: ClassVar[int]  # its number, and section, in docs/contract.md
    guards: ClassVar[str]  # the bug it catches, for people

    def __init__(self, layer: LayerClass, module: Module) -> None:
        self.layer, self.module = layer, module
        self.issues: list[LintIssue] = []

    def run(self) -> None:
        """Report every issue of `self.layer` (with `report`)."""
        raise NotImplementedError

    def report(self, check: str, node: ast.AST, message: str) -> None:
        line, col = position(node)
        self.issues.append(
            LintIssue(
                check, self.module.filename, line, col + 1, self.layer.name, message
            )
        )


class Registry:
    """The registered checkers by check id, iterated in docs/contract.md order."""

    def __init__(self) -> None:
        self._checkers: dict[str, type[Checker]] = {}

    def register(self, checker: type[Checker]) -> None:
        """Add a checker; its id and its contract number must be new."""
        for known in self._checkers.values():
            if checker.id == known.id or checker.number == known.number:
                raise ValueError(
                    f"lint check {checker.__name__} ({checker.id}, §{checker.number}) "
                    f"clashes with {known.__name__} ({known.id}, §{known.number})"
                )
        self._checkers[checker.id] = checker

    def __iter__(self) -> Iterator[type[Checker]]:
        return iter(sorted(self._checkers.values(), key=lambda c: c.number))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(checker.id for checker in self)
