"""The documents klgen cites exist and cover what they claim to.

Every Markdown file that klgen's code, help text, templates, docs or README cite exists;
docs/spec.md documents every field of the format; docs/contract.md has one section per
check, numbered as the check is (so that "contract.md §3" is `state-hygiene`).

A citation is any `NAME.md` or `path/to/NAME.md` in the text (URLs aside). It resolves
against the repository root or, for relative links between documents, the citing file's
folder. The generated files cite what the templates cite, so the templates stand for them.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Where citations are looked for: the package (code, help text, bundled specs), the
#: templates, the docs and the README.
SOURCES = ("keraslayer_gen", "templates", "docs", "README.md")
_CITATION = re.compile(r"[\w./:#%-]*\.md\b")
_SUFFIXES = {".py", ".jinja", ".md", ".yaml", ".yml", ".toml", ".txt", ".json"}


def _files() -> list[Path]:
    out: list[Path] = []
    for name in SOURCES:
        path = ROOT / name
        if path.is_file():
            out.append(path)
        elif path.is_dir():
            out.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix in _SUFFIXES
                and "__pycache__" not in p.parts
            )
    return out


def citations(text: str) -> list[tuple[int, str]]:
    """(line, cited path) of every Markdown file `text` cites; URLs are not citations."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in _CITATION.finditer(line):
            token = match.group(0)
            if "://" in token or token.startswith(("www.", "mailto:")):
                continue
            found.append((number, token.split("#")[0].rsplit(":", 1)[-1]))
    return found


def _exists(cited: str, citing: Path) -> bool:
    """`cited` relative to the citing file's folder, or to the repository root."""
    return (citing.parent / cited).is_file() or (ROOT / cited.lstrip("./")).is_file()


def test_citations_are_found_as_written() -> None:
    text = (
        "see docs/spec.md, [the contract](contract.md#1-structure), SPEC.md;\n"
        "`klgen lint --help` cites (docs/contract.md §1-3) and ../README.md\n"
        "https://example.com/guide.md is a URL\n"
    )
    assert citations(text) == [
        (1, "docs/spec.md"),
        (1, "contract.md"),
        (1, "SPEC.md"),
        (2, "docs/contract.md"),
        (2, "../README.md"),
    ]


def test_every_cited_markdown_file_exists() -> None:
    missing = []
    files = _files()
    assert any(f.suffix == ".jinja" for f in files) and any(
        f.name == "main.py" for f in files
    ), "the scan must cover the package and the templates"
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for line, cited in citations(text):
            if not _exists(cited, path):
                missing.append(f"{path.relative_to(ROOT)}:{line}: cites {cited}")
    assert not missing, "cited files that are not in the repository:\n" + "\n".join(
        missing
    )


def test_the_spec_reference_documents_every_field() -> None:
    """docs/spec.md has a row or section for every field of every model of the format."""
    from keraslayer_gen.spec.model import (
        Arg,
        CallArg,
        CallBodies,
        Example,
        InputDecl,
        InputSpec,
        LayerSpec,
        Method,
        OutputDecl,
        SubLayer,
        TargetBodies,
        TensorExample,
        Weight,
    )

    text = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    missing = [
        f"{model.__name__}.{name}"
        for model in (
            LayerSpec,
            Arg,
            Weight,
            CallBodies,
            InputSpec,
            Example,
            TargetBodies,
            SubLayer,
            InputDecl,
            OutputDecl,
            CallArg,
            Method,
            TensorExample,
        )
        for name in model.model_fields
        if f"| `{name}` |" not in text and f"### `{name}`" not in text
    ]
    assert not missing, f"docs/spec.md does not document: {', '.join(missing)}"


def test_the_contract_reference_has_a_section_per_check_under_its_number() -> None:
    """`contract.md §N` is check N: docs/contract.md has `### N. \\`id\\`` for each."""
    from keraslayer_gen.harness.checklist import CHECKS

    text = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    headings = re.findall(r"^### (\d+)\. `([\w-]+)`$", text, re.MULTILINE)
    assert headings == [(str(c.number), c.id) for c in CHECKS]


def test_the_contract_table_has_a_row_per_registered_check() -> None:
    """The table at the top of docs/contract.md: number, id, static or runtime, and
    "only with `--full`" for exactly the registry's `full_only` checks."""
    from keraslayer_gen.harness.checklist import CHECKS

    text = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| (\d+) \| `([\w-]+)` \| (static|runtime) \| ([^|]*) \|", text, re.M
    )
    assert [(n, i, k) for n, i, k, _ in rows] == [
        (str(c.number), c.id, "static" if c.static else "runtime") for c in CHECKS
    ]
    full_only = [i for _, i, _, runs in rows if runs.startswith("only with `--full`")]
    assert full_only == [c.id for c in CHECKS if c.full_only]
