"""Template errors for people: `TEMPLATE:LINE: what is wrong`, never a Jinja traceback."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path
from types import TracebackType

import jinja2

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.generate.overlay import BUILTIN_PREFIX, DOCS, Overlay
from keraslayer_gen.spec.names import did_you_mean

_ATTRIBUTE = re.compile(r"^'(?P<owner>.+?)' has no attribute '(?P<attr>\w+)'$")
_NAME = re.compile(r"^'(?P<name>\w+)' is undefined$")


class TemplateError(KlgenError):
    """A template that does not render, or renders code that is not Python. `where` is
    `TEMPLATE:LINE` (or `TEMPLATE` when no line is known)."""

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(f"{where}: {detail}")
        self.where = where
        self.detail = detail


def template_error(
    exc: Exception, name: str, overlay: Overlay | None
) -> TemplateError | None:
    """`exc`, raised while rendering template `name`, located in the template file that
    raised it; None when no template raised it (a bug of klgen's, not of a template)."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        shown = display(exc.filename or exc.name, overlay)
        detail = f"template syntax error: {exc.message}"
        if shown != source_of(name, overlay):
            detail += f" (while rendering {source_of(name, overlay)})"
        return TemplateError(f"{shown}:{exc.lineno}", detail)
    frame = _innermost_template_frame(exc.__traceback__, overlay)
    if frame is None:
        return None
    filename, line = frame
    shown = display(filename, overlay)
    if isinstance(exc, jinja2.UndefinedError):
        detail = _undefined(exc.message or str(exc))
    elif isinstance(exc, jinja2.TemplateNotFound):
        from keraslayer_gen.generate.overlay import builtin_names

        known = [*(overlay.files if overlay else ()), *builtin_names()]
        where = f"neither in the overlay {overlay.display()} nor " if overlay else ""
        detail = (
            f"template `{exc.name}` is {where}among klgen's templates"
            f"{did_you_mean(str(exc.name), known)}; `klgen templates list` shows them"
        )
    else:
        detail = f"{type(exc).__name__}: {exc}"
    if shown != source_of(name, overlay):
        detail += f" (while rendering {source_of(name, overlay)})"
    return TemplateError(f"{shown}:{line}", detail)


def invalid_python(text: str, name: str, overlay: Overlay | None) -> TemplateError:
    """The error for template `name` rendering `text`, which black cannot parse: the line
    of the output, and the template line that wrote it when only one line could have."""
    lines = text.splitlines()
    try:
        ast.parse(text)
    except SyntaxError as exc:
        number = exc.lineno or 0
        line = lines[number - 1] if 0 < number <= len(lines) else ""
        where = locate(line, overlay) or source_of(name, overlay)
        return TemplateError(
            where,
            f"the generated code is not valid Python ({exc.msg}) at line {number} of "
            f"the rendered {name}: `{line.strip()}`",
        )
    return TemplateError(
        source_of(name, overlay),
        "black cannot parse the generated code; it must be valid Python 3.10",
    )


def display(filename: str | None, overlay: Overlay | None) -> str:
    """A template file as a person finds it: its path in the overlay, or `klgen/NAME`
    for a built-in (the name an overlay can import it by)."""
    from keraslayer_gen.generate.render import builtin_templates

    if filename is None:
        return "<template>"
    path = Path(filename).resolve()
    if overlay is not None and path.is_relative_to(overlay.root):
        return overlay.display(path.relative_to(overlay.root).as_posix())
    builtin = builtin_templates().resolve()
    if path.is_relative_to(builtin):
        return f"{BUILTIN_PREFIX}/{path.relative_to(builtin).as_posix()}"
    return filename


def source_of(name: str, overlay: Overlay | None) -> str:
    """Where template `name` comes from: the overlay's file, else the built-in."""
    if overlay is not None and name in overlay.files:
        return overlay.display(name)
    return f"{BUILTIN_PREFIX}/{name}"


def locate(line: str, overlay: Overlay | None) -> str | None:
    """`TEMPLATE:LINE` of the one template line that reads exactly like `line` (the
    overlay's templates, then the built-ins it does not replace); None when there is no
    such line or several."""
    from keraslayer_gen.generate.overlay import builtin_names
    from keraslayer_gen.generate.render import builtin_templates

    wanted = line.strip()
    if not wanted or wanted.startswith("#"):
        return None
    sources: list[tuple[str, Path]] = []
    if overlay is not None:
        sources += [
            (overlay.display(n), Path(overlay.root, n))
            for n in overlay.files
            if n.endswith(".jinja")
        ]
    replaced = set(overlay.files if overlay else ())
    sources += [
        (f"{BUILTIN_PREFIX}/{n}", builtin_templates() / n)
        for n in builtin_names()
        if n not in replaced
    ]
    hits: list[str] = []
    for shown, path in sources:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        hits += [
            f"{shown}:{i}"
            for i, candidate in enumerate(text.splitlines(), 1)
            if candidate.strip() == wanted
        ]
    return hits[0] if len(hits) == 1 else None


def _innermost_template_frame(
    tb: TracebackType | None, overlay: Overlay | None
) -> tuple[str, int] | None:
    """Jinja rewrites tracebacks so that a template's frames carry its file and line."""
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".jinja") or (
            overlay is not None and filename.startswith(overlay.root)
        ):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _undefined(message: str) -> str:
    match = _ATTRIBUTE.match(message)
    if match is not None:
        owner = match.group("owner").removesuffix(" object").rsplit(".", 1)[-1]
        attr = match.group("attr")
        hint = did_you_mean(attr, _fields(owner))
        return (
            f"undefined: `{owner}` has no attribute `{attr}`{hint}; {DOCS} lists them"
        )
    match = _NAME.match(message)
    if match is not None:
        name = match.group("name")
        return (
            f"undefined: `{name}` is not defined{did_you_mean(name, ['ctx'])}; a "
            f"template receives `ctx` and what it sets or imports itself ({DOCS})"
        )
    return f"undefined: {message}"


def _fields(owner: str) -> list[str]:
    """The attributes templates may read on an object of class `owner`."""
    from keraslayer_gen.generate import context
    from keraslayer_gen.spec import model as spec

    for module in (context, spec):
        cls = getattr(module, owner, None)
        if cls is None:
            continue
        if dataclasses.is_dataclass(cls):
            return [f.name for f in dataclasses.fields(cls)]
        names = list(getattr(cls, "model_fields", {}))
        for klass in getattr(cls, "__mro__", ()):
            names += [n for n, v in vars(klass).items() if isinstance(v, property)]
        return names
    return []
