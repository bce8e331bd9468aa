"""Check 4, `config-roundtrip`: get_config is JSON, survives from_config and deserialisation."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from keraslayer_gen.harness.registry import runtime_check

if TYPE_CHECKING:
    from keraslayer_gen.harness.worker.fixtures import Fixture
    from keraslayer_gen.harness.worker.session import Session

_PRIMITIVE = (int, float, bool, str, type(None))


def canonical(value: Any) -> Any:
    """Config data made comparable, keeping tuples apart from lists."""
    if isinstance(value, tuple):
        return {"__tuple__": [canonical(v) for v in value]}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__tuple__"}:
            return tuple(_decode(v) for v in value["__tuple__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    """Lists and tuples alike, for comparing a config value with the init argument."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _is_primitive(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_is_primitive(v) for v in value)
    return isinstance(value, _PRIMITIVE)


def _first_difference(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    for key in list(a) + [k for k in b if k not in a]:
        if key not in b:
            return f"loses the key '{key}'"
        if key not in a:
            return f"adds the key '{key}'"
        if canonical(a[key]) != canonical(b[key]):
            before, after = a[key], b[key]
            hint = ""
            if _plain(before) == _plain(after):
                kind = type(before).__name__
                hint = f"; store '{key}' as a {kind} in __init__ so that it round-trips"
            return f"changes '{key}' from {before!r} to {after!r}{hint}"
    return None


def _init_values(session: Session, fx: Fixture, config: dict[str, Any]) -> None:
    for key, value in fx.example.init.items():
        if key not in config:
            raise session.fail(
                fx,
                f"get_config() has no key '{key}': add it, or load_model "
                "cannot rebuild the layer",
            )
        got = config[key]
        if _is_primitive(value) and _is_primitive(got) and _plain(got) != _plain(value):
            if (
                isinstance(value, float)
                and isinstance(got, (int, float))
                and abs(got - value) <= 1e-6 * max(1.0, abs(value))
            ):
                continue
            if _normalised(session, fx, config, key, got):
                continue
            raise session.fail(
                fx,
                f"get_config()['{key}'] is {got!r} but the layer was "
                f"created with {key}={value!r}: return self.{key} (the value "
                "given to __init__)",
            )


def _normalised(
    session: Session, fx: Fixture, config: dict[str, Any], key: str, got: Any
) -> bool:
    """Whether the config holds a normal form of the given value: a layer created with
    the config's value has the same config (Keras's Conv1D turns kernel_size=3 into
    (3,), strings into their canonical spelling)."""
    try:
        again = fx.new_layer(**{key: got}).get_config()
    except Exception:
        return False
    drop = ("name",)
    return {k: canonical(v) for k, v in again.items() if k not in drop} == {
        k: canonical(v) for k, v in config.items() if k not in drop
    }


@runtime_check("config-roundtrip")
def check_config_roundtrip(session: Session) -> list[str]:
    keras = session.keras
    cls: Any = session.layer_cls
    for fx in session.fixtures:
        with session.guard(fx, f"{cls.__name__}(**init)"):
            layer = fx.new_layer()
        with session.guard(fx, "get_config()"):
            config = layer.get_config()
        if not isinstance(config, dict):
            raise session.fail(
                fx,
                f"get_config() returns a {type(config).__name__}, not a "
                "dict: return {**super().get_config(), ...}",
            )
        _init_values(session, fx, config)
        with session.guard(fx, "serialize_keras_object(layer)"):
            serialized = keras.saving.serialize_keras_object(layer)
        try:
            json.dumps(serialized)
        except (TypeError, ValueError) as exc:
            bad = [k for k, v in config.items() if not _json_ok(keras, v)]
            what = f"get_config()['{bad[0]}']" if bad else "get_config()"
            raise session.fail(
                fx,
                f"{what} is not JSON-serialisable ({exc}): return plain "
                "Python values, or keras.<kind>.serialize(...) for Keras "
                "objects, or saving the model fails",
            ) from None
        try:
            revived = cls.from_config(config)
        except Exception as exc:
            raise session.fail(
                fx,
                f"from_config(get_config()) raises {type(exc).__name__}: "
                f"{exc}{session.where(exc)}; make get_config() return every "
                "__init__ argument under its own name",
            ) from None
        with session.guard(fx, "get_config() of the revived layer"):
            difference = _first_difference(config, revived.get_config())
        if difference:
            raise session.fail(fx, f"from_config(get_config()) {difference}")
        data = _decode(json.loads(json.dumps(canonical(serialized))))
        try:
            clone: Any = keras.saving.deserialize_keras_object(data)
        except Exception as exc:
            first = str(exc).split(". ")[0]
            raise session.fail(
                fx,
                f"deserialize_keras_object(serialize_keras_object(layer)) "
                f"fails without custom_objects ({first}): decorate the class "
                "with @keras.saving.register_keras_serializable(package=...) "
                "and make sure its module is imported",
            ) from None
        if type(clone) is not cls:
            raise session.fail(
                fx,
                f"deserialisation gives a {type(clone).__name__}, not a "
                f"{cls.__name__}: register the class under a name no other "
                "class uses (register_keras_serializable(package=...))",
            )
        difference = _first_difference(config, clone.get_config())
        if difference:
            raise session.fail(fx, f"serialize -> deserialize {difference}")
    return []


def _json_ok(keras: Any, value: Any) -> bool:
    try:
        json.dumps(keras.saving.serialize_keras_object(value))
    except Exception:
        return False
    return True
