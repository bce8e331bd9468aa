"""The public library surface of klgen: load specs, plan the files of a layer, write a
plan, or generate in one call. A facade only: the work is done in `spec`, `files`,
`generate` and `workflows`, and nothing inside klgen imports this module."""

from __future__ import annotations

from keraslayer_gen.files.header import GeneratedHeader, read_header
from keraslayer_gen.files.inventory import spec_of_generated
from keraslayer_gen.files.plan import Plan, write_all
from keraslayer_gen.spec.catalogue import (
    EXAMPLE_SUFFIX,
    SpecSource,
    example_names,
    example_text,
    load_example,
    load_spec,
)
from keraslayer_gen.workflows.new import (
    apply_post_hooks,
    generate,
    plan_layer,
    resolve_target,
)

__all__ = [
    "EXAMPLE_SUFFIX",
    "GeneratedHeader",
    "Plan",
    "SpecSource",
    "apply_post_hooks",
    "example_names",
    "example_text",
    "generate",
    "load_example",
    "load_spec",
    "plan_layer",
    "read_header",
    "resolve_target",
    "spec_of_generated",
    "write",
]


def write(plan: Plan) -> None:
    """Write a plan with no conflicts: every file or none."""
    write_all(plan)
