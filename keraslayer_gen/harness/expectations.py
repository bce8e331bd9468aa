"""What a layer is expected to do: from its spec, from options, or (None) observed at runtime.

`Expectations` is part of klgen's interface: the CLI builds it from options, the pytest helper
from keyword overrides, and the worker receives it as JSON (`to_dict` / `from_dict`).
Every field left `None` is observed by the worker instead of checked, and the report says so.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.spec.model import DTYPES, LayerSpec
from keraslayer_gen.spec.registry import TARGETS

MASKING_POLICIES = ("none", "propagate", "use", "consume", "custom")
#: How an example's tensors are passed: one tensor, one list, or the first positionally
#: and the rest as keyword arguments.
INPUT_STYLES = ("single", "list", "keywords")
_TENSOR_KEYS = ("shape", "dtype", "min", "max", "padding", "mask")
AGGREGATIONS = ("none", "mean", "sum", "only_first_replica")
_RANDOM = re.compile(r"\bkeras\.random\.")


@dataclass(frozen=True)
class TensorExample:
    """One input tensor of an example: its `call` argument name, full shape (batch
    first), dtype, value range (integers drawn from `min..max`, default 1..9), the
    `padding` value written where its padding mask is false, and whether the layer gets
    that padding mask (`mask`)."""

    name: str
    shape: tuple[int, ...]
    dtype: str = "float32"
    min: float | None = None
    max: float | None = None
    padding: float | None = None
    mask: bool = False


@dataclass(frozen=True)
class OutputExample:
    """What one output of a several-output layer must be: its full shape (batch first)
    and whether it carries a mask when the inputs do; `None` means observe."""

    shape: tuple[int | None, ...] | None = None
    mask: bool | None = None


@dataclass(frozen=True)
class Example:
    """One input the checks run the layer on, and what the layer should build for it.

    `input_shape` includes the batch dimension. The counts are the weights `build` must
    create for this example's `init` (a `when:` weight exists only for some inits);
    `None` means "observe". `output_shape` (with batch dimension) is checked against the
    eager output when given.

    Several input tensors: `inputs` holds each (`input_shape` and `dtype` are then the
    first one's) and `input_style` says how they are passed: `"list"` is
    `layer([a, b])`, `"keywords"` is `layer(a, name_b=b)`. `call_args` are non-tensor
    `call` arguments passed in every call; `outputs` one expectation per output of a
    layer that returns several. `min`/`max`/`padding` are the one input's value range
    and padding value (see `TensorExample`).
    """

    input_shape: tuple[int, ...]
    init: dict[str, Any] = field(default_factory=dict)
    mask: bool = False
    dtype: str = "float32"
    output_shape: tuple[int | None, ...] | None = None
    trainable: int | None = None
    non_trainable: int | None = None
    seed_generators: int | None = None
    inputs: tuple[TensorExample, ...] = ()
    input_style: str = "single"
    call_args: dict[str, Any] = field(default_factory=dict)
    outputs: tuple[OutputExample, ...] | None = None
    min: float | None = None
    max: float | None = None
    padding: float | None = None

    def __post_init__(self) -> None:
        if self.input_style not in INPUT_STYLES:
            raise ValueError(
                f"input_style={self.input_style!r}; expected one of "
                f"{', '.join(INPUT_STYLES)}"
            )
        if self.input_style != "single" and not self.inputs:
            raise ValueError(f"input_style={self.input_style!r} needs `inputs`")

    def tensors(self) -> tuple[TensorExample, ...]:
        """Every input tensor, in call order. `mask=True` on the example masks each
        input with a time axis (float rank 3 or more, integer rank 2 or more)."""
        if not self.inputs:
            return (
                TensorExample(
                    "inputs",
                    tuple(self.input_shape),
                    self.dtype,
                    self.min,
                    self.max,
                    self.padding,
                    self.mask,
                ),
            )
        if not self.mask:
            return self.inputs
        return tuple(
            replace(t, mask=True) if _has_time_axis(t) else t for t in self.inputs
        )

    @property
    def masked(self) -> bool:
        """Whether any input of this example carries a padding mask."""
        return any(t.mask for t in self.tensors())

    def label(self) -> str:
        """`input 2x5x8, masked` or `inputs query 2x4x8, value 2x6x8 (masked)`."""

        def dims(t: TensorExample) -> str:
            return "x".join(str(d) for d in t.shape) + (
                "" if t.dtype == "float32" else f" {t.dtype}"
            )

        if self.input_style == "single":
            return f"input {dims(self.tensors()[0])}" + (
                ", masked" if self.masked else ""
            )
        parts = [
            f"{t.name} {dims(t)}{' (masked)' if t.mask else ''}" for t in self.tensors()
        ]
        return f"inputs {', '.join(parts)}"


def _has_time_axis(t: TensorExample) -> bool:
    return len(t.shape) >= (3 if "float" in t.dtype else 2)


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
    - `state_on`: `"training"` (state moves in training only) or `"every_call"` (it moves
      at inference too: running statistics).
    - `random_inference`: the layer is random at inference too (a sampler): two
      inference calls must differ, and compiled/reloaded outputs are not compared.
    - `losses`: how many losses (`add_loss`) one call adds, or None to observe.
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
    state_on: str = "training"
    random_inference: bool = False
    losses: int | None = None

    def __post_init__(self) -> None:
        if not self.examples:
            raise ValueError("Expectations need at least one example")
        if self.masking is not None and self.masking not in MASKING_POLICIES:
            raise ValueError(
                f"masking={self.masking!r}; expected one of "
                f"{', '.join(MASKING_POLICIES)}"
            )
        if self.target not in TARGETS:
            raise ValueError(f"target={self.target!r}; expected keras3 or tf-keras")
        if self.state_on not in ("training", "every_call"):
            raise ValueError(
                f"state_on={self.state_on!r}; expected training or every_call"
            )

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
        examples = tuple(_example_from_dict(e) for e in data["examples"])
        rest = {k: v for k, v in data.items() if k != "examples"}
        if rest.get("state") is not None:
            rest["state"] = tuple(rest["state"])
        return cls(examples=examples, **rest)

    def with_overrides(self, **overrides: Any) -> Expectations:
        """A copy with layer-level fields replaced and example-level fields (`init`,
        `mask`, `dtype`, counts, `output_shape`) applied to every example; `None` values
        are ignored, so absent options keep what the spec says."""
        example_keys = {f.name for f in fields(Example)} - {
            "input_shape",
            "inputs",
            "input_style",
            "outputs",
        }
        layer_keys = {f.name for f in fields(Expectations)} - {"examples"}
        unknown = set(overrides) - example_keys - layer_keys
        if unknown:
            raise TypeError(f"unknown expectation(s): {', '.join(sorted(unknown))}")
        per_example = {
            k: v for k, v in overrides.items() if k in example_keys and v is not None
        }
        if "output_shape" in per_example:
            per_example["output_shape"] = tuple(per_example["output_shape"])
        call_args = per_example.pop("call_args", None)
        examples = tuple(
            replace(
                e,
                **per_example,
                **_merged(e, call_args),
            )
            for e in self.examples
        )
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


def _example_from_dict(e: dict[str, Any]) -> Example:
    outputs = e.get("outputs")
    return Example(
        **{
            **e,
            "input_shape": tuple(e["input_shape"]),
            "output_shape": (
                None if e.get("output_shape") is None else tuple(e["output_shape"])
            ),
            "inputs": tuple(
                TensorExample(**{**t, "shape": tuple(t["shape"])})
                for t in e.get("inputs", ())
            ),
            "outputs": (
                None
                if outputs is None
                else tuple(
                    OutputExample(
                        shape=None if o.get("shape") is None else tuple(o["shape"]),
                        mask=o.get("mask"),
                    )
                    for o in outputs
                )
            ),
        }
    )


def _merged(example: Example, call_args: dict[str, Any] | None) -> dict[str, Any]:
    if call_args is None:
        return {}
    return {"call_args": {**example.call_args, **call_args}}


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


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _tensor(value: Any, name: str, where: str, problems: list[str]) -> TensorExample:
    """One tensor of `--inputs`: a shape list, or an object with `shape` and optional
    `dtype`, `min`, `max`, `padding`, `mask`."""
    from keraslayer_gen.spec.names import did_you_mean

    at = f"{where}: {name}"
    if isinstance(value, list):
        value = {"shape": value}
    if not isinstance(value, dict):
        problems.append(
            f"{at}: expected a shape list such as [2, 4] or an object with `shape`, "
            f"got {json_text(value)}"
        )
        return TensorExample(name, (1,))
    for key in value:
        if key not in _TENSOR_KEYS:
            problems.append(
                f"{at}: unknown field `{key}`{did_you_mean(str(key), _TENSOR_KEYS)}; "
                f"expected {', '.join(_TENSOR_KEYS)}"
            )
    shape = value.get("shape")
    if (
        not isinstance(shape, list)
        or not shape
        or not all(isinstance(d, int) and not isinstance(d, bool) for d in shape)
        or any(d < 0 for d in shape)
    ):
        problems.append(
            f"{at}: shape: expected a list of non-negative sizes, batch dimension "
            f"first, e.g. [2, 4]; got {json_text(shape)}"
        )
        shape = [1]
    dtype = value.get("dtype", "float32")
    if dtype not in DTYPES:
        problems.append(
            f"{at}: dtype: unknown dtype {json_text(dtype)}"
            f"{did_you_mean(str(dtype), DTYPES)}; expected one of {', '.join(DTYPES)}"
        )
        dtype = "float32"
    numbers = {}
    for key in ("min", "max", "padding"):
        got = value.get(key)
        if got is not None and not _number(got):
            problems.append(f"{at}: {key}: expected a number, got {json_text(got)}")
            got = None
        numbers[key] = got
    if (
        numbers["min"] is not None
        and numbers["max"] is not None
        and numbers["min"] > numbers["max"]
    ):
        problems.append(
            f"{at}: min {numbers['min']} is larger than max {numbers['max']}"
        )
    mask = value.get("mask", False)
    if not isinstance(mask, bool):
        problems.append(f"{at}: mask: expected true or false, got {json_text(mask)}")
        mask = False
    return TensorExample(
        name,
        tuple(shape),
        str(dtype),
        numbers["min"],
        numbers["max"],
        numbers["padding"],
        mask,
    )


def json_text(value: Any) -> str:
    import json

    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def parse_inputs(
    value: Any, where: str, problems: list[str]
) -> tuple[tuple[TensorExample, ...], str]:
    """The tensors of one `--inputs` value (JSON data) and how they are passed.

    - a list of tensors: one list argument, `layer([a, b])` (style `"list"`);
    - an object: its entries in order, the first positional and the rest keyword
      arguments, `layer(a, mask_positions=b)` (style `"keywords"`; one entry: `"single"`);
    - one tensor (a list of sizes, or an object with `shape`): `layer(a)`.
    Each tensor is a shape list or an object with `shape` and optional `dtype`, `min`,
    `max`, `padding`, `mask`. Problems are appended to `problems`, prefixed `where`."""
    if (
        isinstance(value, list)
        and value
        and all(isinstance(d, int) and not isinstance(d, bool) for d in value)
    ):
        return (_tensor(value, "inputs", where, problems),), "single"
    if isinstance(value, dict) and isinstance(value.get("shape"), list):
        if set(value) <= set(_TENSOR_KEYS):
            return (_tensor(value, "inputs", where, problems),), "single"
    if isinstance(value, list):
        if not value:
            problems.append(f"{where}: an empty list; give at least one tensor")
            return (), "single"
        tensors = tuple(
            _tensor(v, f"[{i}]", where, problems) for i, v in enumerate(value)
        )
        return (
            tuple(replace(t, name=f"inputs[{i}]") for i, t in enumerate(tensors)),
            "list",
        )
    if isinstance(value, dict):
        if not value:
            problems.append(f"{where}: an empty object; give at least one tensor")
            return (), "single"
        named: list[TensorExample] = []
        for key, v in value.items():
            if not str(key).isidentifier():
                problems.append(
                    f"{where}: {json_text(key)}: not a Python argument name"
                )
            named.append(_tensor(v, str(key), where, problems))
        return tuple(named), "keywords" if len(named) > 1 else "single"
    problems.append(
        f"{where}: expected a JSON list (`layer([a, b])`) or object (`layer(a, b=...)`) "
        f"of tensors, got {json_text(value)}"
    )
    return (), "single"


def example_of_inputs(
    tensors: tuple[TensorExample, ...], style: str, **fields_: Any
) -> Example:
    """The `Example` of parsed `--inputs` tensors (one input: its fields flattened)."""
    first = tensors[0]
    if style == "single":
        return Example(
            input_shape=first.shape,
            dtype=first.dtype,
            mask=first.mask,
            min=first.min,
            max=first.max,
            padding=first.padding,
            **fields_,
        )
    return Example(
        input_shape=first.shape,
        dtype=first.dtype,
        inputs=tensors,
        input_style=style,
        **fields_,
    )


def parse_call_args(value: Any, where: str, problems: list[str]) -> dict[str, Any]:
    """`--call-args` (JSON data): an object of non-tensor `call` arguments."""
    if not isinstance(value, dict):
        problems.append(
            f"{where}: expected a JSON object of call arguments, e.g. "
            f'{{"start_index": 2}}; got {json_text(value)}'
        )
        return {}
    reserved = {"training", "mask"}
    for key in value:
        if not str(key).isidentifier():
            problems.append(f"{where}: {json_text(key)}: not a Python argument name")
        elif key in reserved:
            problems.append(
                f"{where}: {key}: set by the harness in every call; leave it out"
            )
    return dict(value)


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


def _spec_tensors(spec: LayerSpec, ex: Any) -> tuple[TensorExample, ...]:
    """The tensors of a spec example of a layer with declared `inputs`, in their order."""
    assert spec.inputs is not None
    given = ex.inputs or {}
    tensors: list[TensorExample] = []
    for name, decl in spec.inputs.items():
        value = given.get(name)
        if value is None:
            if decl.optional:
                continue
            if ex.input_shape is not None and not tensors:
                value = list(ex.input_shape)
            else:
                raise KlgenError(
                    f"{spec.name}: an example gives no shape for the input `{name}`"
                )
        if isinstance(value, list):
            tensors.append(TensorExample(name, tuple(value), decl.dtype or "float32"))
        else:
            tensors.append(
                TensorExample(
                    name,
                    tuple(value.shape),
                    value.dtype or decl.dtype or "float32",
                    value.min,
                    value.max,
                    value.padding,
                    value.mask,
                )
            )
    return tuple(tensors)


def _spec_example(spec: LayerSpec, ex: Any, **counts: Any) -> Example:
    common = dict(init=dict(ex.init), call_args=dict(ex.call_args), **counts)
    if spec.inputs is None:
        assert ex.input_shape is not None
        shape = tuple(ex.input_shape)
        single: Example = Example(
            input_shape=shape,
            mask=ex.mask,
            dtype=ex.dtype,
            min=ex.min,
            max=ex.max,
            padding=ex.padding,
            **common,
        )
        tensors: tuple[TensorExample, ...] = single.tensors()
        style = "single"
    else:
        tensors = _spec_tensors(spec, ex)
        style = (
            "list"
            if spec.input_list
            else ("keywords" if len(tensors) > 1 else "single")
        )
        if style == "single":
            single = example_of_inputs(tensors, "single", **common)
            if ex.mask:
                single = replace(single, mask=True)
        else:
            single = Example(
                input_shape=tensors[0].shape,
                dtype=tensors[0].dtype,
                inputs=tensors,
                input_style=style,
                mask=ex.mask,
                **common,
            )
    first = tensors[0].shape
    if spec.outputs is not None and len(spec.outputs) > 1:
        outputs = tuple(
            OutputExample(
                shape=first if o.shape == "same" else None,
                mask=None if spec.masking == "none" else o.mask is not None,
            )
            for o in spec.outputs.values()
        )
        return replace(single, outputs=outputs)
    out = spec.outputs and next(iter(spec.outputs.values()))
    same = (out.shape if out else spec.output_shape) == "same"
    return replace(single, output_shape=first if same else None)


def expectations_from_spec(spec: LayerSpec) -> Expectations:
    """The contract a spec implies: its examples with the weight counts each example's init
    creates (`when:` weights included only when their argument is true; observed when the
    layer has sub-layers, whose weights the spec does not count), the state, masking and
    training declarations, stochastic when the training body uses `keras.random`, and
    the declared aggregations and dtypes of weights; the inputs, outputs and call
    arguments of its examples."""
    examples = []
    for ex in spec.examples:
        active = [w for w in spec.weights.values() if _active(spec, w.when, ex.init)]
        subs = bool(spec.layers)
        examples.append(
            _spec_example(
                spec,
                ex,
                trainable=None if subs else sum(1 for w in active if w.trainable),
                non_trainable=(
                    None if subs else sum(1 for w in active if not w.trainable)
                ),
                seed_generators=(None if subs else (1 if spec.seed_generator else 0)),
            )
        )
    training = spec.training
    return Expectations(
        examples=tuple(examples),
        masking=spec.masking,
        training=None if training == "forward" else bool(training),
        stochastic=_stochastic(spec),
        state=tuple(spec.state),
        aggregation={
            n: w.aggregation for n, w in spec.weights.items() if w.aggregation
        },
        weight_dtypes={n: w.dtype for n, w in spec.weights.items() if w.dtype},
        target=spec.target,
        output_dtype=spec.output_dtype,
        state_on=spec.state_on,
        random_inference=spec.random_inference,
        losses=len(spec.losses),
    )
