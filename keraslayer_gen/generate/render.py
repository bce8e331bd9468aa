"""Jinja: one environment over `templates/`, and spec -> rendered, formatted file texts."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

from keraslayer_gen.files.header import stamp
from keraslayer_gen.files.regions import splice
from keraslayer_gen.generate.context import LayerContext
from keraslayer_gen.generate.docstring import wrap
from keraslayer_gen.generate.formatting import FormatError, cache_dir, format_code
from keraslayer_gen.generate.overlay import BUILTIN_PREFIX, Overlay, load_overlay, mark
from keraslayer_gen.generate.template_errors import invalid_python, template_error

TEMPLATE_DIRS = (
    Path(__file__).parent.parent / "templates",  # inside the wheel
    Path(__file__).parent.parent.parent / "templates",  # a source checkout
)
TARGET_DIRS = {"keras3": "keras3", "tf-keras": "tf_keras"}


def builtin_templates() -> Path:
    for folder in TEMPLATE_DIRS:
        if folder.is_dir():
            return folder
    raise FileNotFoundError("klgen's templates are missing from the installation")


def _indent_code(code: str, indent: str) -> str:
    """Indent every non-blank line; the Jinja `indent` filter would indent blank ones too."""
    return "\n".join(
        indent + line if line.strip() else "" for line in code.splitlines()
    )


def _pyrepr(value: object) -> str:
    return repr(value)


def _string_pieces(text: str, width: int = 56) -> list[str]:
    """`text` as double-quoted plain string literals of at most `width` characters of
    text each, split after a space: the pieces of a long message, implicitly joined."""
    pieces: list[str] = []
    line = ""
    for word in text.split(" "):
        if line and len(line) + len(word) > width:
            pieces.append(line)
            line = ""
        line += word + " "
    if line.strip():
        pieces.append(line[:-1])
    escaped = (p.replace("\\", "\\\\").replace('"', '\\"') for p in pieces)
    return [f'"{p}"' for p in escaped]


@lru_cache(maxsize=8)
def environment(
    overlay: str | None = None, fingerprint: str = ""
) -> jinja2.Environment:
    """The Jinja environment: the user's overlay folder first (if any), then klgen's; and
    klgen's again under `klgen/`, so that an overlay can build on a built-in template it
    replaces. `fingerprint` (the overlay's digest) is part of the cache key: a template
    added to or removed from the overlay is seen by the next render in this process."""
    builtin = str(builtin_templates())
    loaders: list[jinja2.BaseLoader] = []
    if overlay:
        loaders.append(jinja2.FileSystemLoader(overlay))
    loaders.append(jinja2.FileSystemLoader(builtin))
    loaders.append(
        jinja2.PrefixLoader({BUILTIN_PREFIX: jinja2.FileSystemLoader(builtin)})
    )
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["pyrepr"] = _pyrepr
    env.filters["indent_code"] = _indent_code
    env.filters["wrap"] = wrap
    env.filters["string_pieces"] = _string_pieces
    env.bytecode_cache = _bytecode_cache(env)
    return env


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates on disk, checked against the template source by Jinja: a bad
    entry is a miss, and a cache that cannot be written only costs speed."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a damaged entry: compile again
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache(env: jinja2.Environment) -> jinja2.BytecodeCache | None:
    """Jinja compiles the templates in every process (some 10 ms of a warm `klgen new`);
    this cache, beside black's, spares that. Jinja keys an entry by template file and
    source only, so the folder is keyed by everything else that shapes compiled code."""
    folder = cache_dir()
    if folder is None:
        return None
    options = (
        jinja2.__version__,
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        env.autoescape,
        env.undefined.__name__,
        env.finalize is not None,
        sorted(env.extensions),
    )
    key = hashlib.sha256(repr(options).encode("utf-8")).hexdigest()[:16]
    return _BytecodeCache(str(folder.parent / "jinja" / key), "%s.cache")


@dataclass(frozen=True)
class Rendered:
    """One generated file's final text."""

    text: str


def template_name(target: str, kind: str) -> str:
    """The template that renders a file of `kind` (`layer`, `test`) for `target`."""
    return (
        f"{TARGET_DIRS[target]}/{'layer' if kind == 'layer' else 'test_layer'}.py.jinja"
    )


def render_file(
    ctx: LayerContext,
    kind: str,
    regions: dict[str, str],
    overlay: Overlay | str | Path | None = None,
) -> Rendered:
    """Render, format with black, record the overlay, splice the user's regions back,
    stamp the digest. A broken template raises `KlgenError` located in the template."""
    name = template_name(ctx.target, kind)
    used = load_overlay(overlay) if isinstance(overlay, (str, Path)) else overlay
    env = environment(used.root if used else None, used.digest if used else "")
    try:
        text = env.get_template(name).render(ctx=ctx)
    except Exception as exc:
        error = template_error(exc, name, used)
        if error is None:  # raised by klgen's code, not by a template
            raise
        raise error from None
    try:
        text = format_code(text, what=name)
    except FormatError:
        raise invalid_python(text, name, used) from None
    if used is not None:
        text = mark(text, used.digest)
    text = splice(text, regions)
    return Rendered(stamp(text))
