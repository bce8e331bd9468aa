"""Problems for people: located diagnostics and the exceptions that carry them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem, printed as `FILE:LINE:COL: path.to.field: message`."""

    source: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = (
            self.source if self.line <= 0 else f"{self.source}:{self.line}:{self.col}"
        )
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class KlgenError(Exception):
    """A problem with what the user asked for; the CLI prints it and exits 2."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def lines(self) -> list[str]:
        return [self.message]


class SpecError(KlgenError):
    """A spec (file or flags) with one or more problems, all of them."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics, key=lambda d: (d.line, d.col, d.path))
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    def lines(self) -> list[str]:
        return [str(d) for d in self.diagnostics]
