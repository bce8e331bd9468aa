"""Docstring texts: no control characters, nothing that reads like a klgen marker."""

from __future__ import annotations

import re

from keraslayer_gen.spec.rules.context import Path_, RuleContext

#: Prose that a generated file would read as one of its markers (refused in spec text).
MARKER_LIKE = re.compile(
    r"#\s*klgen(:\s*(begin|end)\s+user\s+region|-digest:|-templates:)"
)


def check(ctx: RuleContext) -> None:
    """Docstring text must not be able to pose as klgen's own markers, nor carry
    control characters (the docstring is a comment-free string, but the markers are
    found by line, and a NUL cannot be in a source file at all)."""
    spec = ctx.spec
    texts: list[tuple[Path_, str]] = [
        (("summary",), spec.summary),
        (("description",), spec.description),
    ]
    texts += [(("references", i), ref) for i, ref in enumerate(spec.references)]
    texts += [(("args", name, "doc"), arg.doc) for name, arg in spec.args.items()]
    texts += [(("weights", name, "doc"), w.doc) for name, w in spec.weights.items()]
    texts += _composite_texts(ctx)
    for path, text in texts:
        bad = next(
            (ch for ch in text if not ch.isprintable() and ch not in "\n\t\r"), None
        )
        if bad is not None:
            ctx.error(
                path,
                f"control character U+{ord(bad):04X} in the text; remove it",
            )
        elif MARKER_LIKE.search(text):
            ctx.error(
                path,
                "the text contains a line that reads like a klgen marker "
                "(`# klgen: begin/end user region`, `# klgen-digest:`); "
                "reword it",
            )


def _composite_texts(ctx: RuleContext) -> list[tuple[Path_, str]]:
    """The docstring texts of the new fields, for the prose rules."""
    spec = ctx.spec
    texts: list[tuple[Path_, str]] = []
    for kind in ("layers", "inputs", "outputs", "call_args", "methods"):
        for name, item in (getattr(spec, kind) or {}).items():
            texts.append(((kind, name, "doc"), item.doc))
    return texts
