"""YAML text or flag data -> `LayerSpec`, every problem located: the structure, then the
rules, all problems of both at once where possible."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from keraslayer_gen.errors import SpecError
from keraslayer_gen.spec.model import FORMAT_VERSION, LayerSpec
from keraslayer_gen.spec.names import did_you_mean, dotted
from keraslayer_gen.spec.pydantic_errors import collapse_unions, fields_at, translate
from keraslayer_gen.spec.source import (
    Located,
    parse_yaml,
    read_spec_bytes,
    show_value,
)


def load_spec_file(path: Path, display: str | None = None) -> LayerSpec:
    """Read (bounded), parse and validate one spec file."""
    source = display or str(path)
    return load_spec_text(read_spec_bytes(path, source), source)


def load_spec_text(text: str | bytes, source: str = "<spec>") -> LayerSpec:
    """Parse and validate one spec; raise `SpecError` with every problem found."""
    located = Located(source)
    data = parse_yaml(text, located)
    _check_version(data, located)
    return _validate(data, located)


def load_spec_data(data: dict[str, Any], source: str = "command line") -> LayerSpec:
    """Validate spec data that did not come from a file (flags, the Python API).

    Data made by `flags.flags_to_data` remembers the flag behind each field, and a
    problem is reported against that flag (`--arg 'rate:flaot': args.rate.type: ...`).
    """
    located = Located(source, origins=dict(getattr(data, "origins", {})))
    return _validate(data, located)


def _check_version(data: dict[str, Any], located: Located) -> None:
    """The spec says which format it is written in, and it is this klgen's."""
    version = data.get("klgen")
    if "klgen" not in data:
        raise SpecError(
            [
                located.at(
                    ("klgen",),
                    "missing the spec format version; add "
                    f"`klgen: {FORMAT_VERSION}` as the first line",
                )
            ]
        )
    # `type` too: YAML's `true` and `1.0` compare equal to 1 but are not a version.
    if type(version) is not int or version != FORMAT_VERSION:
        raise SpecError(
            [
                located.at(
                    ("klgen",),
                    f"unknown spec format {show_value(version)}; this "
                    f"klgen reads format {FORMAT_VERSION} "
                    f"(`klgen: {FORMAT_VERSION}`)",
                )
            ]
        )


def _validate(data: dict[str, Any], located: Located) -> LayerSpec:
    """The structure, then the rules; every problem of both at once where possible.

    The rules need a well-formed spec. Unknown keys alone do not stop them: they are
    dropped for the rules' sake (they change no field), so a typo in one place and a
    bad body in another are reported together.
    """
    from keraslayer_gen.spec.rules import check_spec

    problems = list(located.deferred)
    typo_parents: set[str] = set()
    filled: set[str] = set()
    try:
        spec = LayerSpec.model_validate(data)
    except ValidationError as exc:
        errors = collapse_unions(exc.errors(), data)
        problems += [
            d
            for d in (translate(err, located) for err in errors)
            if not _under(d.path, located.dropped)
        ]
        if any(not _repairable(err) for err in errors):
            raise SpecError(problems) from None
        # `call: {trainng: ...}` also makes `call` lack `training`; the typo says it.
        typo_parents = {
            dotted(err["loc"][:-1])
            for err in errors
            if err["type"] == "extra_forbidden"
            and did_you_mean(str(err["loc"][-1]), fields_at(tuple(err["loc"][:-1])))
        }
        # A missing required field is filled with a stand-in for the rules' sake, so
        # that a missing `summary` does not hide a bad default or a misspelt attribute;
        # nothing the rules say about a stand-in is reported.
        filled = {dotted(err["loc"]) for err in errors if err["type"] == "missing"}
        repaired = _without(
            data,
            [tuple(err["loc"]) for err in errors if err["type"] == "extra_forbidden"],
        )
        for err in errors:
            if err["type"] == "missing":
                key = str(err["loc"][0])
                repaired = {**repaired, key: _STAND_INS[key]}
        try:
            spec = LayerSpec.model_validate(repaired)
        except ValidationError:  # pragma: no cover - the stand-ins are valid
            raise SpecError(problems) from None
    problems += [
        d
        for d in check_spec(spec, located)
        if d.path not in typo_parents and not _under(d.path, filled)
    ]
    if problems:
        raise SpecError(problems)
    return spec


#: Stand-ins for the required top-level fields, used only to run the rules on a spec
#: that lacks them; every rule finding under a stand-in's path is dropped.
_STAND_INS: dict[str, Any] = {
    "klgen": 1,
    "name": "StandInLayer",
    "summary": "Stand-in summary.",
    "examples": [{"input_shape": [2, 5, 8]}],
}


def _repairable(err: Any) -> bool:
    """An unknown key (dropped) or a missing top-level field that has a stand-in."""
    if err["type"] == "extra_forbidden":
        return True
    loc = tuple(err["loc"])
    return err["type"] == "missing" and len(loc) == 1 and loc[0] in _STAND_INS


def _without(data: Any, paths: list[tuple[Any, ...]]) -> Any:
    """A copy of `data` without the values at `paths` (mapping keys)."""
    if not paths:
        return data
    if isinstance(data, dict):
        drop = {p[0] for p in paths if len(p) == 1}
        return {
            k: _without(v, [p[1:] for p in paths if len(p) > 1 and p[0] == k])
            for k, v in data.items()
            if k not in drop
        }
    if isinstance(data, list):
        return [
            _without(v, [p[1:] for p in paths if len(p) > 1 and p[0] == i])
            for i, v in enumerate(data)
        ]
    return data


def _under(path: str, prefixes: set[str]) -> bool:
    return any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in prefixes)
