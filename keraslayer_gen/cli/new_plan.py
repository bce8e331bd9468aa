"""What `klgen new` does with its options: flags, a spec file or a bundled example ->
the layout to write into -> the plan of the layer, its test and its spec.

`cli/new.py` declares the options; this module checks them together, reads the body
files, builds the spec and plans the files (writing nothing).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.files.plan import Plan
from keraslayer_gen.spec.catalogue import SpecSource, load_example, load_spec
from keraslayer_gen.spec.registry import BODY_FLAGS
from keraslayer_gen.spec.source import MAX_SPEC_BYTES


@dataclass
class NewRequest:
    """The options of one `klgen new`."""

    name: str | None = None
    spec: Path | None = None
    example: str | None = None
    #: `Flags` field -> value, None when its flag is not given
    flags: dict[str, Any] = field(default_factory=dict)
    training_forward: bool = False
    #: body key of `BODY_FLAGS` -> the file given
    body_files: dict[str, Path] = field(default_factory=dict)
    method_bodies: list[str] = field(default_factory=list)  # `--method-body NAME=FILE`
    #: the layer flags given, as typed (`--arg`, `--no-training`, `--body`)
    given: list[str] = field(default_factory=list)
    target: str | None = None
    out: Path | None = None
    save_spec: Path | None = None
    force: bool = False
    templates: Path | None = None


def plan_new(request: NewRequest) -> Plan:
    """The plan of `request`; bad options raise `KlgenError`. The overlay's warnings
    and the inferred settings are said on stderr on the way, when they apply."""
    from keraslayer_gen.cli.options import check_target, use_templates
    from keraslayer_gen.cli.output import print_inferred
    from keraslayer_gen.files.layout import (
        configured_post_hooks,
        configured_templates,
        load_layout,
        out_layout,
    )
    from keraslayer_gen.workflows.new import plan_layer

    r = request
    check_target(r.target)
    training = r.flags.get("training")
    if r.training_forward and training is not None:
        flag = "--training" if training else "--no-training"
        raise KlgenError(
            f"--training-forward, {flag}: give one (`training` is true, false or "
            "forward)"
        )
    if len([s for s in (r.name, r.spec, r.example) if s is not None]) != 1:
        raise KlgenError(
            "give exactly one of: a layer NAME with flags, --spec FILE, or "
            "--example NAME (see `klgen new --help`)"
        )
    bodies = {
        key: _read_body(path, f"{BODY_FLAGS[key]} {path}")
        for key, path in r.body_files.items()
    }
    method_bodies, method_body_files = _read_method_bodies(r.method_bodies)
    if r.name is None and r.given:
        raise KlgenError(
            f"{', '.join(sorted(r.given))}: layer flags describe a new layer "
            "and cannot be combined with --spec or --example; edit the spec "
            "instead"
        )
    if r.out is not None:
        _check_out(r.out)
        layout = out_layout(r.out)
        # `klgen sync` regenerates an --out layer through the repository's overlay
        # and post hooks too.
        if r.templates is None:
            layout = replace(layout, templates=configured_templates(r.out))
        layout = replace(layout, post_hooks=configured_post_hooks(r.out))
    else:
        layout = load_layout(Path.cwd())
    layout = use_templates(layout, r.templates)
    if r.spec is not None:
        source = load_spec(r.spec)
    elif r.example is not None:
        source = load_example(r.example)
    else:
        source = _flags_source(r, bodies, method_bodies, method_body_files)
    if r.out is None:
        # After the spec loaded: a missing file or a bad spec is reported on its own.
        print_inferred(layout)
    save_spec = r.save_spec
    if save_spec is None and r.out is None and source.path is None:
        save_spec = layout.spec_dir() / f"{source.spec.module_name}.klgen.yaml"
    return plan_layer(
        source, layout, target=r.target, mode="new", force=r.force, save_spec=save_spec
    )


def _flags_source(
    r: NewRequest,
    bodies: dict[str, str],
    method_bodies: dict[str, str],
    method_body_files: dict[str, str],
) -> SpecSource:
    """The spec that the layer flags describe."""
    from keraslayer_gen.spec.flags import Flags, flags_to_data
    from keraslayer_gen.spec.load import load_spec_data

    # A flag not given keeps the `Flags` default (None, or [] for a repeatable flag).
    values = {k: v for k, v in r.flags.items() if v is not None}
    if r.training_forward:
        values["training"] = "forward"
    data = flags_to_data(
        Flags(
            name=r.name or "",
            bodies=bodies,
            body_files={key: str(path) for key, path in r.body_files.items()},
            method_bodies=method_bodies,
            method_body_files=method_body_files,
            target=r.target,
            **values,
        )
    )
    return SpecSource(load_spec_data(data, "command line"))


def _read_body(path: Path, where: str) -> str:
    """The code of a body file (`-` is stdin); `where` names it in messages."""
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(MAX_SPEC_BYTES + 1)
        else:
            # bounded: `--body /dev/zero` must not hang
            with open(path, "rb") as handle:
                data = handle.read(MAX_SPEC_BYTES + 1)
        if len(data) > MAX_SPEC_BYTES:
            raise KlgenError(f"{where}: a body may be at most {MAX_SPEC_BYTES:,} bytes")
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KlgenError(f"{where}: cannot read the body: {exc}") from None


def _read_method_bodies(items: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """`--method-body NAME=FILE` values -> (name -> code, name -> file)."""
    bodies: dict[str, str] = {}
    files: dict[str, str] = {}
    for item in items:
        name, eq, path = (part.strip() for part in item.partition("="))
        if not eq or not name or not path:
            raise KlgenError(
                f"--method-body {item!r}: expected NAME=FILE, e.g. "
                "`rotate_half=rotate_half.py`"
            )
        if name in bodies:
            raise KlgenError(
                f"--method-body {item!r}: the body of `{name}` is given twice"
            )
        bodies[name] = _read_body(Path(path), f"--method-body {name}={path}")
        files[name] = path
    return bodies, files


def _check_out(out: Path) -> None:
    """`--out` must be a folder, or a path that can become one."""
    for folder in (out, *out.parents):
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir():
                what = "is" if folder == out else f"is inside {folder}, which is"
                raise KlgenError(
                    f"--out {out}: {what} a file, not a folder; give a folder to "
                    "write the layer and its test into"
                )
            return
