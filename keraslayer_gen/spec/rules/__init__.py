"""Cross-field rules of a spec, one module per field group; all problems at once.

`RULE_GROUPS` is the order the groups run in. A group that finds something a later group
needs stores it on the `RuleContext` and says so in `finds`; a group that needs it says so
in `reads`, and importing this module checks that every read is found by an earlier group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from keraslayer_gen.errors import Diagnostic
from keraslayer_gen.spec.model import LayerSpec
from keraslayer_gen.spec.rules import (
    args,
    bodies,
    build,
    call_args,
    examples,
    imports,
    inputs,
    layers,
    methods,
    modes,
    names,
    prose,
    state,
    targets,
    weights,
)
from keraslayer_gen.spec.rules.context import RuleContext
from keraslayer_gen.spec.source import Located


@dataclass(frozen=True)
class RuleGroup:
    """One group of rules, and what it leaves on the context for later groups."""

    name: str
    check: Callable[[RuleContext], None]
    #: `RuleContext` fields this group fills.
    finds: tuple[str, ...] = ()
    #: `RuleContext` fields this group needs filled by an earlier group.
    reads: tuple[str, ...] = ()


RULE_GROUPS: tuple[RuleGroup, ...] = (
    RuleGroup("layer names", names.check_layer_names),
    RuleGroup("member names", names.check_member_names),
    RuleGroup("args", args.check_args),
    RuleGroup("build", build.check, finds=("build_locals",)),
    RuleGroup("imports", imports.check),
    RuleGroup("base class", layers.check_base),
    RuleGroup("sub-layers", layers.check_sub_layers, reads=("build_locals",)),
    RuleGroup("inputs", inputs.check),
    RuleGroup("call args", call_args.check),
    RuleGroup("modes and outputs", modes.check),
    RuleGroup("weights", weights.check, reads=("build_locals",)),
    RuleGroup("seed generator", args.check_seed_generator),
    RuleGroup("call bodies", bodies.check, finds=("call_locals",)),
    RuleGroup("methods and losses", methods.check, reads=("call_locals",)),
    RuleGroup("state", state.check, reads=("call_locals",)),
    RuleGroup("targets", targets.check),
    RuleGroup("examples", examples.check),
    RuleGroup("input_spec", examples.check_input_spec),
    RuleGroup("output dtype", modes.check_output_dtype),
    RuleGroup("prose", prose.check),
)


def _check_order(groups: tuple[RuleGroup, ...]) -> None:
    found: set[str] = set()
    for group in groups:
        missing = set(group.reads) - found
        if missing:
            raise AssertionError(
                f"rule group {group.name!r} reads {sorted(missing)} before any "
                "group finds it"
            )
        found |= set(group.finds)


_check_order(RULE_GROUPS)


def check_spec(spec: LayerSpec, located: Located) -> list[Diagnostic]:
    """Every rule-level problem of a structurally valid spec."""
    ctx = RuleContext(spec, located)
    for group in RULE_GROUPS:
        group.check(ctx)
    return ctx.problems
