"""The spec's tables that other modules derive from: targets, code fields, patterns.

Each table is written here once; the model, the rules, the flags, the JSON Schema and the
commands outside `spec/` import it (or a value derived from it) instead of a copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

# -- targets ----------------------------------------------------------------------------
#: The Keras a spec's code is written for.
Target = Literal["keras3", "tf-keras"]
TARGETS: tuple[str, ...] = get_args(Target)
#: The modules a target's code sees, besides `inputs`, `self`, `mask` and `training`.
TARGET_MODULES: dict[str, tuple[str, ...]] = {
    "keras3": ("keras", "ops"),
    "tf-keras": ("tf", "K", "keras"),
}
#: Every module name some target's generated code uses (a name no member may take).
MODULE_NAMES = frozenset(name for names in TARGET_MODULES.values() for name in names)


def targets_listing() -> str:
    """`keras3 or tf-keras`, for messages about a bad target."""
    return " or ".join(TARGETS)


# -- code fields ------------------------------------------------------------------------
@dataclass(frozen=True)
class BodyField:
    """A body of the spec that `klgen new` can read from a file."""

    #: The key in `Flags.bodies` (and in `call` for the three `call` bodies).
    key: str
    #: The spec path of the body.
    path: tuple[str, ...]
    #: The `klgen new` flag that reads it from a file.
    flag: str


#: In the order `klgen new` reads the files.
BODY_FIELDS = (
    BodyField("body", ("call", "body"), "--body"),
    BodyField("training", ("call", "training"), "--training-body"),
    BodyField("inference", ("call", "inference"), "--inference-body"),
    BodyField("compute_mask", ("compute_mask",), "--compute-mask-body"),
    BodyField("build", ("build",), "--build-body"),
)
#: Body key -> its flag.
BODY_FLAGS = {body.key: body.flag for body in BODY_FIELDS}
#: The keys of the `call` bodies.
CALL_BODY_KEYS = tuple(body.key for body in BODY_FIELDS if body.path[0] == "call")
#: The flags that read code from a file: a problem in that code is `FLAG FILE:LINE:COL`.
CODE_FILE_FLAGS = (*BODY_FLAGS.values(), "--method-body")

#: The parameters of the generated `call` of a one-input layer.
CALL_PARAMETERS = ("inputs", "mask", "training", "self")
#: Names a spec's code sees that are not arguments or weights.
BODY_SCOPE = frozenset({*CALL_PARAMETERS, *TARGET_MODULES["keras3"]})

# -- patterns ---------------------------------------------------------------------------
#: Identifier patterns, for editors: the JSON Schema flags a bad name as it is typed,
#: and `names.is_pascal`/`is_snake` match the same. (The rules check more: keywords,
#: builtins, `Layer` attributes.)
PASCAL_PATTERN = r"^[A-Z][A-Za-z0-9]*$"
SNAKE_PATTERN = r"^[a-z_][a-z0-9_]*$"
_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
#: A class path: `Dense`, `keras.layers.Dense`, `my_pkg.layers.Block`.
DOTTED_PATTERN = rf"^{_IDENTIFIER}(\.{_IDENTIFIER})*$"
#: A `package` of `register_keras_serializable`.
PACKAGE_PATTERN = r"^[A-Za-z0-9_.\-]+$"
#: An example's `name`: a pytest id that needs no quoting on the command line.
EXAMPLE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"


def alternatives(words: Iterable[object]) -> str:
    """`("int", "float")` -> `int|float`."""
    return "|".join(str(w) for w in words)


def optional_type_pattern(words: Iterable[object]) -> str:
    """One of `words`, optionally `| None` (on either side)."""
    w = alternatives(words)
    return rf"^\s*(?:(?:{w})(?:\s*\|\s*None)?|None\s*\|\s*(?:{w}))\s*$"


def import_pattern(modules: Iterable[object]) -> str:
    """An entry of `imports`: one of `modules`, optionally `as NAME`."""
    return rf"^\s*(?:{alternatives(modules)})(?:\s+as\s+{_IDENTIFIER})?\s*$"


def range_pattern(groups: bool = False) -> str:
    """Interval notation of `range` (`(0, 1]`, `[1, inf)`); with `groups`, the bracket,
    bound, bound and bracket are captured (what `values.parse_range` reads)."""
    parts = (r"[\[(]", r"[^,\s]*", r"[^,\s]*", r"[\])]")
    o, lo, hi, c = (f"({p})" for p in parts) if groups else parts
    return rf"^\s*{o}\s*{lo}\s*,\s*{hi}\s*{c}\s*$"


#: Interval notation of `range`, as `values.parse_range` reads it.
RANGE_PATTERN = range_pattern()
