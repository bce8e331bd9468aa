"""Template overlays: a folder of Jinja templates that override klgen's own by name.

An overlay holds only the templates a team changes (`keras3/layer.py.jinja`,
`macros/header.jinja`, ...) and declares, in `klgen-templates.toml`, the template API it
was written for. Its digest covers every file the Jinja loader could read, so that a file
generated through it records which version of the overlay made it (`# klgen-templates:`).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.files.header import DIGEST_LINE, GENERATED_LINE
from keraslayer_gen.files.plan import CREATE, FileChange, Plan, plain_change, read_text
from keraslayer_gen.generate.context import TEMPLATE_API

DECLARATION = "klgen-templates.toml"
BUILTIN_PREFIX = "klgen"  # `klgen/macros/header.jinja` is always the built-in template
TEMPLATES_LINE = "# klgen-templates: "
DOCS = "klgen's docs/templates.md"
_RECORDED = re.compile(r"^# klgen-templates: ([0-9a-f]+)$", re.MULTILINE)


@dataclass(frozen=True)
class Overlay:
    """A templates folder as klgen uses it: its files, their digest, its declared API."""

    folder: Path  # as given (for messages)
    files: tuple[str, ...]  # relative POSIX paths, sorted
    digest: str
    template_api: int | None  # what `klgen-templates.toml` declares; None: nothing

    @property
    def root(self) -> str:
        """The absolute folder the Jinja loader reads."""
        return str(self.folder.resolve())

    def display(self, name: str = "") -> str:
        """`name` inside the overlay, as the user would type the path."""
        path = self.folder / name if name else self.folder
        relative = os.path.relpath(path.absolute(), Path.cwd())
        return str(path) if relative.startswith("..") else Path(relative).as_posix()

    def overrides(self) -> list[str]:
        """The built-in templates this overlay replaces."""
        builtin = set(builtin_names())
        return [name for name in self.files if name in builtin]

    def warnings(self) -> list[str]:
        """What the user should hear each time the overlay is used (the API version)."""
        where = self.display(DECLARATION)
        if self.template_api is None:
            return [
                f"the overlay {self.display()} does not declare the template API it was "
                f"written for; add `template_api = {TEMPLATE_API}` to {where} once it "
                f"works with this klgen ({DOCS})"
            ]
        if self.template_api != TEMPLATE_API:
            newer = self.template_api > TEMPLATE_API
            hint = (
                "upgrade klgen, or port the overlay back"
                if newer
                else f"port it to API {TEMPLATE_API} as {DOCS} describes (`klgen "
                "templates eject` gives the current built-ins), then update the "
                "declaration"
            )
            return [
                f"{where}: written for template API {self.template_api}, but this klgen "
                f"renders with template API {TEMPLATE_API}; templates may use context "
                f"fields that changed; {hint}"
            ]
        return []


def load_overlay(folder: str | Path) -> Overlay:
    """The overlay in `folder`; `KlgenError` (exit 2) when it is not a readable folder."""
    folder = Path(folder)
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise KlgenError(
            f"{folder}: the templates overlay {what}; give a folder of templates "
            "(`klgen templates eject NAME --to DIR` starts one)"
        )
    files = overlay_files(folder)
    digest = hashlib.sha256()
    for name in files:
        try:
            data = (folder / name).read_bytes()
        except OSError as exc:
            raise KlgenError(f"{folder / name}: cannot read: {exc.strerror}") from None
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return Overlay(folder, files, digest.hexdigest()[:16], _declared_api(folder))


def overlay_files(folder: Path) -> tuple[str, ...]:
    """Every file of `folder` the loader could use: hidden files and folders (editor swap
    files, `.git`) and `__pycache__` are not templates and stay out of the digest."""
    found: list[str] = []
    for top, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        for name in names:
            if not name.startswith("."):
                path = Path(top, name)
                if path.is_file():
                    found.append(path.relative_to(folder).as_posix())
    return tuple(sorted(found))


def _declared_api(folder: Path) -> int | None:
    path = folder / DECLARATION
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    try:
        import tomllib  # type: ignore[import-not-found,unused-ignore]

        data = tomllib.loads(text)
    except ModuleNotFoundError:  # Python 3.10
        import tomlkit

        try:
            data = tomlkit.parse(text).unwrap()
        except Exception as exc:
            raise KlgenError(f"{path}: not valid TOML: {exc}") from None
    except ValueError as exc:  # tomllib.TOMLDecodeError
        raise KlgenError(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"template_api"})
    if unknown:
        raise KlgenError(
            f"{path}: unknown key `{unknown[0]}`; the only key is `template_api` "
            f"(e.g. `template_api = {TEMPLATE_API}`)"
        )
    value = data.get("template_api")
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise KlgenError(
            f"{path}: template_api must be a positive integer, e.g. "
            f"`template_api = {TEMPLATE_API}`; got {value!r}"
        )
    return value


def builtin_names() -> list[str]:
    """klgen's own templates, by the relative name an overlay overrides them with."""
    from keraslayer_gen.generate.render import builtin_templates

    root = builtin_templates()
    return sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*.jinja") if p.is_file()
    )


def recorded_overlay(text: str) -> str | None:
    """The overlay digest a generated file records, or None when built-ins made it."""
    match = _RECORDED.search(text[:4000])
    return match.group(1) if match else None


def mark(text: str, digest: str) -> str:
    """`text` with the `# klgen-templates:` line after its klgen header (the digest line,
    else the `Generated by` line; the top of the file when an overlay dropped both)."""
    line = f"{TEMPLATES_LINE}{digest}\n"
    for anchor in (DIGEST_LINE, GENERATED_LINE):
        match = anchor.search(text)
        if match is not None:
            return text[: match.end()] + line + text[match.end() :]
    return line + text


def plan_eject(names: list[str], to: Path, *, force: bool = False) -> Plan:
    """Copies of built-in templates (and a `klgen-templates.toml` declaring this klgen's
    template API, when the folder has none) for the overlay `to`; writes nothing."""
    from keraslayer_gen.generate.render import builtin_templates
    from keraslayer_gen.spec.names import did_you_mean

    known = builtin_names()
    for name in names:
        if name not in known:
            raise KlgenError(
                f"`{name}` is not a built-in template{did_you_mean(name, known)}; "
                "`klgen templates list` shows them"
            )
    cwd = Path.cwd().resolve()
    target = to.absolute()
    root = cwd if target.resolve().is_relative_to(cwd) else target
    plan = Plan(root=root)
    for name in dict.fromkeys(names):
        text = (builtin_templates() / name).read_text(encoding="utf-8")
        plan.changes.append(_copy(target / name, text, force))
    declaration = target / DECLARATION
    if not declaration.exists():
        text = (
            "# The klgen template API these templates were written for "
            f"({DOCS}).\ntemplate_api = {TEMPLATE_API}\n"
        )
        plan.changes.append(FileChange(declaration, text, None, CREATE))
    return plan


def _copy(path: Path, text: str, force: bool) -> FileChange:
    return plain_change(path, text, read_text(path), force)


def unreachable(overlay: Overlay) -> list[str]:
    """Templates of the overlay that nothing renders: not the name of a built-in, nor
    imported, included or extended by another of its templates (a misspelt name, most
    often). Empty when a template names another by a variable, which cannot be followed.
    """
    import jinja2
    from jinja2 import meta

    builtin = set(builtin_names())
    env = jinja2.Environment()
    referenced: set[str] = set()
    for name in overlay.files:
        if not name.endswith(".jinja"):
            continue
        try:
            tree = env.parse((overlay.folder / name).read_text(encoding="utf-8"))
        except (jinja2.TemplateSyntaxError, OSError, UnicodeDecodeError):
            continue  # the render reports it, with its line
        for ref in meta.find_referenced_templates(tree):
            if ref is None:
                return []
            referenced.add(ref)
    return [
        n
        for n in overlay.files
        if n.endswith(".jinja") and n not in builtin and n not in referenced
    ]
