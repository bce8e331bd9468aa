"""What a layer is expected to do: from its spec, from options, or (None) observed at runtime.

`Expectations` is part of klgen's interface: the CLI builds it from options, the pytest helper
from keyword overrides, and the worker receives it as JSON (`to_dict` / `from_dict`).
Every field left `None` is observed by the worker instead of checked, and the report says so.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from ..diagnostics import KlgenError
from ..spec import DTYPES, LayerSpec

MASKING_POLICIES = ("none", "propagate", "consume", "custom")
AGGREGATIONS = ("none", "mean", "sum", "only_first_replica")
_RANDOM = re.compile(r"\bkeras\.random\.")


@dataclass(frozen=True)
class Example:
    """One input the checks run the layer on, and what the layer should build for it.

    `input_shape` includes the batch dimension. The counts are the weights `build` must
    create for this example's `init` (a `when:` weight exists only for some inits);
    `None` means "observe". `output_shape` (with batch dimension) is checked against the
    eager output when given.
    """

    input_shape: tuple[int, ...]
    init: dict[str, Any] = field(default_factory=dict)
    mask: bool = False
    dtype: str = "float32"
    output_shape: tuple[int | None, ...] | None = None
    trainable: int | None = None
    non_trainable: int | None = None
    seed_generators: int | None = None


@dataclass(frozen=True)
class Expectations:
    """The contract one layer is held to.

    - `examples`: at least one `Example`.
    - `masking`: `"none" | "propagate" | "consume" | "custom"`, or None to observe.
    - `training`: whether the output depends on `training` (call takes it), or None.
    - `stochastic`: whether the training path is random (two calls differ), or None.
    - `state`: names of the non-trainable weights that training must update (and
      inference must not), or None to observe them.
    - `aggregation`: declared `aggregation` per weight name (checked under `distributed`).
    - `weight_dtypes`: weights that declare their own dtype (mixed precision leaves them).
    - `target`: `"keras3"` or `"tf-keras"`.
    - `output_dtype`: the dtype the output must have whatever the policy (a cast layer's
      purpose), or None: the compute dtype for a floating output.
    """

    examples: tuple[Example, ...]
    masking: str | None = None
    training: bool | None = None
    stochastic: bool | None = None
    state: tuple[str, ...] | None = None
    aggregation: dict[str, str] = field(default_factory=dict)
    weight_dtypes: dict[str, str] = field(default_factory=dict)
    target: str = "keras3"
    output_dtype: str | None = None

    def __post_init__(self) -> None:
        if not self.examples:
            raise ValueError("Expectations need at least one example")
        if self.masking is not None and self.masking not in MASKING_POLICIES:
            raise ValueError(
                f"masking={self.masking!r}; expected one of "
                f"{', '.join(MASKING_POLICIES)}"
            )
        if self.target not in ("keras3", "tf-keras"):
            raise ValueError(f"target={self.target!r}; expected keras3 or tf-keras")

    def observed_fields(self) -> list[str]:
        """The expectations nobody declared, which the worker observes instead."""
        names = [
            f
            for f in ("masking", "training", "stochastic", "state")
            if getattr(self, f) is None
        ]
        for key in ("trainable", "non_trainable", "seed_generators"):
            if any(getattr(e, key) is None for e in self.examples):
                names.append(key)
        return names

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (tuples become lists)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Expectations:
        examples = tuple(
            Example(
                **{
                    **e,
                    "input_shape": tuple(e["input_shape"]),
                    "output_shape": (
                        None
                        if e.get("output_shape") is None
                        else tuple(e["output_shape"])
                    ),
                }
            )
            for e in data["examples"]
        )
        rest = {k: v for k, v in data.items() if k != "examples"}
        if rest.get("state") is not None:
            rest["state"] = tuple(rest["state"])
        return cls(examples=examples, **rest)

    def with_overrides(self, **overrides: Any) -> Expectations:
        """A copy with layer-level fields replaced and example-level fields (`init`,
        `mask`, `dtype`, counts, `output_shape`) applied to every example; `None` values
        are ignored, so absent options keep what the spec says."""
        example_keys = {f.name for f in fields(Example)} - {"input_shape"}
        layer_keys = {f.name for f in fields(Expectations)} - {"examples"}
        unknown = set(overrides) - example_keys - layer_keys
        if unknown:
            raise TypeError(f"unknown expectation(s): {', '.join(sorted(unknown))}")
        per_example = {
            k: v for k, v in overrides.items() if k in example_keys and v is not None
        }
        if "output_shape" in per_example:
            per_example["output_shape"] = tuple(per_example["output_shape"])
        examples = tuple(replace(e, **per_example) for e in self.examples)
        layer = {
            k: v for k, v in overrides.items() if k in layer_keys and v is not None
        }
        if "output_dtype" in layer and layer["output_dtype"] not in DTYPES:
            raise KlgenError(
                f"--output-dtype {layer['output_dtype']}: expected one of "
                f"{', '.join(DTYPES)}"
            )
        if "state" in layer:
            layer["state"] = tuple(layer["state"])
        return replace(self, examples=examples, **layer)


def expectations_for(
    input_shapes: list[tuple[int, ...]], **overrides: Any
) -> Expectations:
    """Expectations for a layer without a spec: one example per input shape (batch
    dimension included); everything not given is observed."""
    if not input_shapes:
        raise ValueError("give at least one input shape (with its batch dimension)")
    examples = tuple(
        Example(input_shape=tuple(int(d) for d in s)) for s in input_shapes
    )
    return Expectations(examples=examples).with_overrides(**overrides)


def _active(spec: LayerSpec, when: str | None, init: dict[str, Any]) -> bool:
    """Whether a `when:` weight exists for this example's init."""
    if when is None:
        return True
    if when in init:
        return bool(init[when])
    arg = spec.args.get(when)
    return bool(arg.default) if arg is not None else True


def _stochastic(spec: LayerSpec) -> bool | None:
    """The training path draws from keras.random; None when the body belongs to the file."""
    call = spec.call
    body = (call.training if spec.training else call.body) if call is not None else None
    if body is None:
        return None
    return bool(_RANDOM.search(body))


def expectations_from_spec(spec: LayerSpec) -> Expectations:
    """The contract a spec implies: its examples with the weight counts each example's init
    creates (`when:` weights included only when their argument is true), the state, masking
    and training declarations, stochastic when the training body uses `keras.random`, and
    the declared aggregations and dtypes of weights."""
    examples = []
    for ex in spec.examples:
        active = [w for w in spec.weights.values() if _active(spec, w.when, ex.init)]
        examples.append(
            Example(
                input_shape=tuple(ex.input_shape),
                init=dict(ex.init),
                mask=ex.mask,
                dtype=ex.dtype,
                output_shape=(
                    tuple(ex.input_shape) if spec.output_shape == "same" else None
                ),
                trainable=sum(1 for w in active if w.trainable),
                non_trainable=sum(1 for w in active if not w.trainable),
                seed_generators=1 if spec.seed_generator else 0,
            )
        )
    return Expectations(
        examples=tuple(examples),
        masking=spec.masking,
        training=spec.training,
        stochastic=_stochastic(spec),
        state=tuple(spec.state),
        aggregation={
            n: w.aggregation for n, w in spec.weights.items() if w.aggregation
        },
        weight_dtypes={n: w.dtype for n, w in spec.weights.items() if w.dtype},
        target=spec.target,
        output_dtype=spec.output_dtype,
    )
