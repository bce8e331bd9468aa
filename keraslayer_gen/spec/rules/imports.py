"""`imports`: allowed modules, valid aliases, no name taken twice."""

from __future__ import annotations

from keraslayer_gen.spec.model import ALLOWED_IMPORTS
from keraslayer_gen.spec.names import (
    did_you_mean,
    identifier_problem,
)
from keraslayer_gen.spec.registry import MODULE_NAMES
from keraslayer_gen.spec.rules.context import Path_, RuleContext, listing
from keraslayer_gen.spec.scope import parse_import


def check(ctx: RuleContext) -> None:
    """Each entry of `imports`: its form, an allowed module, a free name."""
    seen: dict[str, int] = {}
    for i, text in enumerate(ctx.spec.imports):
        path: Path_ = ("imports", i)
        parsed = parse_import(text)
        allowed = listing(ALLOWED_IMPORTS)
        if parsed is None:
            ctx.error(
                path,
                f"`{text}` is not `MODULE` or `MODULE as NAME`; modules: {allowed}",
            )
            continue
        module, alias = parsed
        if module not in ALLOWED_IMPORTS:
            hint = did_you_mean(module, ALLOWED_IMPORTS)
            extra = (
                "; `keras` and `ops` are always imported"
                if module.split(".")[0] == "keras"
                else ""
            )
            ctx.error(
                path,
                f"`{module}` is not an allowed import{hint}; allowed: "
                f"{allowed}{extra}",
            )
            continue
        name = alias or module
        if alias is not None and (
            not alias.isidentifier() or identifier_problem(alias)
        ):
            ctx.error(path, f"`{alias}` is not a name to import as")
        elif name in MODULE_NAMES or name in ctx.spec.args:
            ctx.error(
                path,
                f"`{name}` is already a name of the generated module or an "
                "argument; import it as another name",
            )
        elif name in seen:
            ctx.error(path, f"`{name}` is already imported by `imports[{seen[name]}]`")
        seen.setdefault(name, i)
