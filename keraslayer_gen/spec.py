"""The layer spec, format 1: pydantic models of every field, structure only.

Cross-field rules (names, expressions, bodies) live in `rules.py`, so that every problem of a
spec is reported at once instead of the first one a validator raises.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

FORMAT_VERSION = 1

TARGETS = ("keras3", "tf-keras")
Target = Literal["keras3", "tf-keras"]
Masking = Literal["none", "propagate", "consume", "custom"]
Aggregation = Literal["none", "mean", "sum", "only_first_replica"]

#: Argument base types, in the order the docs list them.
ARG_TYPES = (
    "int",
    "float",
    "bool",
    "str",
    "shape",
    "ints",
    "initializer",
    "regularizer",
    "constraint",
    "activation",
)
#: Argument types that are Keras objects resolved with `keras.<module>.get`.
KERAS_OBJECT_MODULES = {
    "initializer": "initializers",
    "regularizer": "regularizers",
    "constraint": "constraints",
    "activation": "activations",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Arg(_Model):
    """One `__init__` parameter."""

    type: str
    default: Any = None
    min: float | None = None
    max: float | None = None
    range: str | None = None
    choices: list[Any] | None = None
    doc: str = ""

    @property
    def required(self) -> bool:
        return "default" not in self.model_fields_set

    @property
    def base_type(self) -> str:
        return parse_arg_type(self.type)[0]

    @property
    def nullable(self) -> bool:
        return parse_arg_type(self.type)[1]


class Weight(_Model):
    """One variable created in `build` with `add_weight`."""

    shape: list[StrictInt | str]
    initializer: str | None = None
    regularizer: str | None = None
    constraint: str | None = None
    trainable: StrictBool = True
    dtype: str | None = None
    aggregation: Aggregation | None = None
    autocast: StrictBool | None = None
    when: str | None = None
    doc: str = ""


class CallBodies(_Model):
    """The statements of `call`: one `body`, or a `training` and an `inference` body."""

    body: str | None = None
    training: str | None = None
    inference: str | None = None


class InputSpec(_Model):
    ndim: StrictInt | None = None
    min_ndim: StrictInt | None = None
    max_ndim: StrictInt | None = None
    axes: dict[int, str | StrictInt] | None = None


class Example(_Model):
    """One input the generated test and the harness run the layer on."""

    input_shape: list[StrictInt] = Field(min_length=1)
    init: dict[str, Any] = Field(default_factory=dict)
    mask: StrictBool = False
    dtype: str = "float32"


class TargetBodies(_Model):
    """Code for another target than the spec's own: bodies in that target's idiom."""

    call: CallBodies | None = None
    state: dict[str, str] | None = None
    compute_mask: str | None = None


class LayerSpec(_Model):
    """A whole spec file."""

    klgen: Literal[1]
    name: str
    module: str | None = None
    summary: str
    description: str = ""
    references: list[str] = Field(default_factory=list)
    package: str | None = None
    target: Target = "keras3"
    allow_shadowing: StrictBool = False
    args: dict[str, Arg] = Field(default_factory=dict)
    weights: dict[str, Weight] = Field(default_factory=dict)
    seed_generator: str | None = None
    masking: Masking = "none"
    training: StrictBool = False
    build: str | None = None
    state: dict[str, str] = Field(default_factory=dict)
    call: CallBodies | None = None
    compute_mask: str | None = None
    output_shape: str = "same"
    float32_internal: StrictBool = False
    input_spec: InputSpec | None = None
    targets: dict[Target, TargetBodies] = Field(default_factory=dict)
    examples: list[Example] = Field(min_length=1)

    @property
    def module_name(self) -> str:
        from .naming import snake_case

        return self.module or snake_case(self.name)


def parse_arg_type(text: str) -> tuple[str, bool]:
    """Split `"float | None"` into `("float", True)`; unknown types raise `ValueError`."""
    parts = [p.strip() for p in text.split("|")]
    nullable = "None" in parts
    rest = [p for p in parts if p != "None"]
    if len(rest) != 1 or rest[0] not in ARG_TYPES or len(parts) > 2:
        raise ValueError(text)
    return rest[0], nullable


def dump_spec(spec: LayerSpec) -> dict[str, Any]:
    """The spec as plain data in field order, leaving out what equals its default."""
    return spec.model_dump(mode="json", exclude_unset=True, exclude_defaults=False)
