"""pytest helpers: `assert_layer_contract`, the runtime contract (docs/contract.md) in one call.

from keraslayer_gen.testing import assert_layer_contract

def test_contract():
    assert_layer_contract(MyLayer)                       # a spec'd (generated) layer
    assert_layer_contract(Gate, input_shape=(4, 3), init={"units": 2}, trainable=2)
    assert_layer_contract(Cross, inputs={"query": [2, 4, 8], "value": [2, 6, 8]})
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from keraslayer_gen.harness import (
    DEFAULT_TIMEOUT,
    LayerReport,
    LayerTarget,
    Report,
    expectations_for_target,
    resolve_backends,
    resolve_target,
    select_checks,
    verify,
)
from keraslayer_gen.harness.checklist import RUNTIME_CHECKS
from keraslayer_gen.harness.static import run_static_checks
from keraslayer_gen.harness.target import keras_target_of
from keraslayer_gen.spec.model import LayerSpec

__all__ = ["assert_layer_contract"]


def _ids(value: str | Iterable[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _target_of_class(cls: type) -> LayerTarget:
    from keraslayer_gen.files.inventory import spec_of_generated

    source = inspect.getsourcefile(cls)
    path = Path(source).resolve() if source else None
    code = path.read_text(encoding="utf-8", errors="replace") if path else ""
    target = LayerTarget(
        text=f"{cls.__module__}:{cls.__qualname__}",
        class_name=cls.__qualname__,
        module=cls.__module__,
        sys_path=tuple(sys.path),
        source=path,
        target=keras_target_of(code) if code else "keras3",
    )
    spec_source = spec_of_generated(path) if path else None
    if spec_source is not None and spec_source.spec.name == cls.__name__:
        label = (
            str(spec_source.path)
            if spec_source.path
            else f"example:{spec_source.example}"
        )
        target = replace(target, spec=spec_source.spec, spec_label=label)
    return target


def _with_spec(target: LayerTarget, spec: LayerSpec | str | Path) -> LayerTarget:
    from keraslayer_gen.spec.catalogue import load_spec

    if isinstance(spec, LayerSpec):
        return replace(target, spec=spec, spec_label="the given spec")
    return replace(target, spec=load_spec(Path(spec)).spec, spec_label=str(spec))


def _current_backend(keras_target: str) -> str | None:
    """The backend of the Keras this process already imported, if it did."""
    module = sys.modules.get("tf_keras" if keras_target == "tf-keras" else "keras")
    if module is None or not hasattr(module, "backend"):
        return None
    return str(module.backend.backend())


def assert_layer_contract(
    layer_cls_or_target: type | str,
    *,
    spec: LayerSpec | str | Path | None = None,
    backends: str | Sequence[str] | None = None,
    only: str | Iterable[str] | None = None,
    skip: str | Iterable[str] | None = None,
    full: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    **expectation_overrides: Any,
) -> Report:
    """Run the layer contract and raise one `AssertionError` carrying the report if any
    check fails; returns the `Report` otherwise.

    `layer_cls_or_target` is a layer class or a `klgen verify` TARGET string. Expectations
    come from `spec`, else from the spec a generated layer's header names, else from the
    keyword overrides: `input_shape=(2, 5, 8)` or `input_shapes=[...]` (batch dimension
    first), `inputs=` (one example of several tensors, the Python data of `klgen verify
    --inputs`: a list `[[2, 4], [2, 4]]` is `layer([a, b])`, a dict
    `{"inputs": [2, 6, 8], "positions": {"shape": [2, 6], "dtype": "int32"}}` is
    `layer(a, positions=b)`), `call_args={"start_index": 2}`, `init`, `mask`, `dtype`,
    `masking`, `training`, `stochastic`, `state`,
    `trainable`, `non_trainable`, `seed_generators`, `output_shape`, `aggregation`,
    `weight_dtypes` — which also override a spec. What nobody declares is observed.

    Where it runs: when this process has already imported Keras, `layer_cls_or_target` is a
    class and `backends` is None (or just the current backend) and not `full`, the runtime
    checks run here, on the current backend: fast, but a hang or crash in the layer hangs or
    crashes this process, and there is no per-check timeout. Otherwise each backend runs in
    its own worker process, exactly as `klgen verify` does (`backends` default:
    `[tool.klgen].backends`, else every installed backend). `save-load` always reloads in
    a fresh process. Bad input (unknown check, backend not installed, no example shape)
    raises `KlgenError`.
    """
    shapes = expectation_overrides.pop("input_shapes", None)
    if "input_shape" in expectation_overrides:
        shapes = [expectation_overrides.pop("input_shape")]
    examples = _given_inputs(
        expectation_overrides.pop("inputs", None),
        expectation_overrides.pop("call_args", None),
    )
    if examples[1] is not None:
        expectation_overrides["call_args"] = examples[1]
    if isinstance(layer_cls_or_target, type):
        target = _target_of_class(layer_cls_or_target)
    else:
        target = resolve_target(str(layer_cls_or_target))
    if spec is not None:
        target = _with_spec(target, spec)
    expectations = expectations_for_target(
        target, input_shapes=shapes, examples=examples[0], **expectation_overrides
    )
    checks = select_checks(_ids(only), _ids(skip), full)
    requested = _ids(backends)
    current = _current_backend(expectations.target)
    if (
        isinstance(layer_cls_or_target, type)
        and current is not None
        and not full
        and requested in (None, [current])
    ):
        report = _in_process(layer_cls_or_target, target, expectations, checks)
    else:
        from keraslayer_gen.files.layout import load_layout

        configured = None if requested else load_layout(Path.cwd()).backends
        chosen = resolve_backends(requested, configured, expectations.target)
        report = verify(
            [(target, expectations)],
            backends=chosen,
            checks=checks,
            full=full,
            timeout=timeout,
        )
    if report.exit_code != 0:
        raise AssertionError("the layer contract does not hold:\n" + report.render())
    return report


def _given_inputs(
    inputs: Any, call_args: Any
) -> tuple[list[Any] | None, dict[str, Any] | None]:
    """`inputs=` and `call_args=` as `--inputs` and `--call-args` take them; bad data
    raises `KlgenError` with every problem."""
    from keraslayer_gen.errors import KlgenError
    from keraslayer_gen.harness.expectations import (
        example_of_inputs,
        parse_call_args,
        parse_inputs,
    )

    problems: list[str] = []
    examples = None
    if inputs is not None:
        tensors, style = parse_inputs(inputs, "inputs", problems)
        if not problems:
            examples = [example_of_inputs(tensors, style)]
    args = (
        None if call_args is None else parse_call_args(call_args, "call_args", problems)
    )
    if problems:
        raise KlgenError("\n".join(problems))
    return examples, args


def _in_process(
    cls: type, target: LayerTarget, expectations: Any, checks: list[str]
) -> Report:
    from keraslayer_gen.harness.inprocess import run_in_process

    layer = LayerReport(
        target=target.text,
        class_name=target.class_name,
        module=target.module,
        source=str(target.source) if target.source else None,
        spec=target.spec_label,
        expectations=expectations,
        checks=checks,
    )
    layer.results.extend(run_static_checks(checks, target.source, target.class_name))
    runtime = [c for c in checks if c in RUNTIME_CHECKS]
    if runtime:
        outcome = run_in_process(cls, expectations, runtime, module=target.module)
        layer.backends.append(outcome.run)
        layer.results.extend(outcome.results)
    return Report(layers=[layer])
