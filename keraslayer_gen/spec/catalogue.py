"""Where specs come from: spec files and the bundled catalogue of examples, loaded into a
`SpecSource` that remembers its origin (for generated files' headers and messages)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.spec.load import load_spec_file, load_spec_text
from keraslayer_gen.spec.model import LayerSpec
from keraslayer_gen.spec.names import did_you_mean

EXAMPLE_SUFFIX = ".klgen.yaml"


@dataclass(frozen=True)
class SpecSource:
    """A validated spec and where it came from: a file, a bundled example, or flags."""

    spec: LayerSpec
    path: Path | None = None  # the spec file, when there is one
    example: str | None = None  # the catalogue name, for `--example`
    text: str | None = None  # the original YAML, kept verbatim when the spec is saved

    @property
    def label(self) -> str:
        """The source as messages name it: the spec file, `example:NAME` or `flags`."""
        if self.path:
            return str(self.path)
        return f"example:{self.example}" if self.example else "flags"


def example_names() -> list[str]:
    folder = resources.files("keraslayer_gen") / "examples"
    return sorted(
        p.name[: -len(EXAMPLE_SUFFIX)]
        for p in folder.iterdir()
        if p.name.endswith(EXAMPLE_SUFFIX)
    )


def example_text(name: str) -> str:
    names = example_names()
    if name not in names:
        raise KlgenError(
            f"unknown example `{name}`{did_you_mean(name, names)}; "
            f"examples: {', '.join(names)}"
        )
    path = resources.files("keraslayer_gen") / "examples" / f"{name}{EXAMPLE_SUFFIX}"
    return path.read_text(encoding="utf-8")


def load_example(name: str) -> SpecSource:
    text = example_text(name)
    return SpecSource(load_spec_text(text, f"example:{name}"), example=name, text=text)


def load_spec(path: Path) -> SpecSource:
    return SpecSource(load_spec_file(path), path=path)
