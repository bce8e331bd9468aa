"""The rule groups run in a checked order, and the spec's tables have one source."""

from __future__ import annotations

import typing

import pytest

from keraslayer_gen.spec import model
from keraslayer_gen.spec.flags import reads_code_file
from keraslayer_gen.spec.registry import (
    BODY_FIELDS,
    BODY_FLAGS,
    CALL_BODY_KEYS,
    CODE_FILE_FLAGS,
    TARGET_MODULES,
    TARGETS,
)
from keraslayer_gen.spec.rules import RULE_GROUPS, RuleGroup, _check_order


def test_every_group_reads_only_what_an_earlier_group_found() -> None:
    _check_order(RULE_GROUPS)  # the import already did; this names the contract
    found = {name for group in RULE_GROUPS for name in group.finds}
    assert found == {"build_locals", "call_locals"}


def test_a_group_that_reads_before_the_finder_runs_is_refused() -> None:
    def noop(ctx: object) -> None:
        return None

    early = RuleGroup("weights", noop, reads=("build_locals",))
    finder = RuleGroup("build", noop, finds=("build_locals",))
    with pytest.raises(AssertionError, match="'weights' reads \\['build_locals'\\]"):
        _check_order((early, finder))
    _check_order((finder, early))


def test_the_targets_come_from_one_table() -> None:
    field = model.LayerSpec.model_fields["target"]
    assert typing.get_args(field.annotation) == TARGETS
    assert tuple(TARGET_MODULES) == TARGETS


def test_the_body_flags_cover_the_bodies_and_read_files() -> None:
    assert set(BODY_FLAGS) == {"body", "training", "inference", "compute_mask", "build"}
    assert CALL_BODY_KEYS == tuple(model.CallBodies.model_fields)
    assert all(reads_code_file(f"{flag} x.py") for flag in CODE_FILE_FLAGS)
    assert not reads_code_file("--arg 'rate:float'")
    assert [body.key for body in BODY_FIELDS] == list(BODY_FLAGS)
