"""`klgen new` as a library call: a spec -> the plan of its layer, test, saved spec, schema
file and export (nothing written); `generate` plans and writes in one call."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from keraslayer_gen import __version__
from keraslayer_gen.errors import KlgenError
from keraslayer_gen.files.header import EXAMPLE_PREFIX, FROM_FLAGS, recorded_digest
from keraslayer_gen.files.layout import Layout, out_layout
from keraslayer_gen.files.plan import (
    CONFLICT,
    IDENTICAL,
    Plan,
    generated_change,
    read_text,
    write_all,
)
from keraslayer_gen.files.post_hooks import run_post_hooks
from keraslayer_gen.files.regions import RegionError, extract
from keraslayer_gen.files.schema_file import points_at_schema, schema_change
from keraslayer_gen.generate.context import Region, build_context
from keraslayer_gen.generate.overlay import Overlay, load_overlay
from keraslayer_gen.generate.render import render_file
from keraslayer_gen.spec.catalogue import (
    SpecSource,
    example_names,
    load_example,
    load_spec,
)
from keraslayer_gen.spec.dump import dump_spec_yaml
from keraslayer_gen.spec.model import LayerSpec
from keraslayer_gen.workflows.exports import Export, plan_exports


def resolve_target(spec: LayerSpec, layout: Layout, target: str | None) -> str:
    """A `--target` flag wins; then the spec's own `target`; then `[tool.klgen]`."""
    if target:
        return target
    if "target" in spec.model_fields_set:
        return spec.target
    return layout.target


def plan_layer(
    source: SpecSource,
    layout: Layout,
    *,
    target: str | None = None,
    mode: str = "new",
    force: bool = False,
    save_spec: Path | None = None,
    overlay: Overlay | str | Path | None = None,
    exports: bool = True,
    post_hooks: bool = True,
) -> Plan:
    """Every file of one layer as it would be written, with its status; writes nothing.

    `overlay` (a templates folder) defaults to the layout's `[tool.klgen].templates`.
    With `exports` (and a layout whose layers folder is a package), the class is also
    exported from the package's `__init__.py`. The layer and test texts are what the
    layout's `post_hooks` make of them; with `post_hooks=False`, as rendered (`sync` runs
    the hooks once for all its layers: `apply_post_hooks`)."""
    chosen = overlay if overlay is not None else layout.templates
    used = load_overlay(chosen) if isinstance(chosen, (str, Path)) else chosen
    spec = source.spec
    target = resolve_target(spec, layout, target)
    bodies = None
    if target != spec.target:
        bodies = spec.targets.get(target)  # type: ignore[call-overload]
        if bodies is None and (
            spec.call is not None or spec.state or spec.compute_mask
        ):
            raise KlgenError(
                f"{source.label}: the spec's bodies are for {spec.target}; "
                f"add `targets: {{{target}: {{call: ...}}}}` with bodies in "
                f"{target}'s idiom to render it for {target}"
            )
    module = spec.module_name
    layer_path = layout.layers_dir / f"{module}.py"
    test_path = layout.tests_dir / f"test_{module}.py"
    plan = Plan(root=layout.root)
    old_layer, old_test = read_text(layer_path), read_text(test_path)
    layer_regions = _regions(old_layer, layer_path)
    test_regions = _regions(old_test, test_path)
    spec_path = save_spec or source.path
    label = _source_label(source, spec_path, layer_path.parent)
    ctx = build_context(
        spec,
        target=target,
        version=__version__,
        import_path=layout.import_path(module),
        package=spec.package or layout.package,
        source=label,
        regions=layer_regions,
        bodies=bodies,
    )
    ctx.test_region = Region("tests", test_regions.get("tests", ""))
    # The layers folder is a package of the repository (not an `--out` folder): import
    # sorters count it as first-party, in a block after the third-party imports.
    ctx.import_is_first_party = bool(layout.import_root)
    layer = render_file(ctx, "layer", layer_regions, used)
    # Each header names the spec relative to its own file, so that a test kept in another
    # folder than its layer still leads back to the spec (`spec_of_generated`).
    test_ctx = replace(ctx, source=_source_label(source, spec_path, test_path.parent))
    test = render_file(test_ctx, "test", test_regions, used)
    texts = {layer_path: layer.text, test_path: test.text}
    if post_hooks:
        texts = run_post_hooks(layout.post_hooks, texts)
    plan.changes.append(
        generated_change(layer_path, texts[layer_path], old_layer, mode, force)
    )
    plan.changes.append(
        generated_change(test_path, texts[test_path], old_test, mode, force)
    )
    if save_spec is not None:
        text = source.text or dump_spec_yaml(spec)
        old = read_text(save_spec)
        change = generated_change(save_spec, text, old, "new", force)
        if change.status == CONFLICT:
            change.reason = "a different spec is there; use --force to replace it"
        plan.changes.append(change)
    if mode == "new":
        # `klgen sync` plans the schema files of all its specs at once.
        spec_file = save_spec or source.path
        # Beside a spec that this run may write next to (inside the target root).
        if (
            spec_file is not None
            and Path(spec_file).resolve().is_relative_to(layout.root.resolve())
            and (save_spec is not None or points_at_schema(spec_file))
        ):
            change = schema_change(Path(spec_file).parent)
            if change.status != IDENTICAL:
                plan.changes.append(change)
    if exports and layout.exports:
        export = Export(layout.layers_dir, layout.import_root, module, spec.name)
        changes, notes = plan_exports([export])
        plan.changes.extend(changes)
        plan.notes.extend(notes)
    return plan


def apply_post_hooks(
    layout: Layout, plans: list[Plan], *, mode: str, force: bool = False
) -> None:
    """Run `layout`'s post hooks once over the generated files (those with a digest) of
    `plans`, planned with `post_hooks=False`, and give each file its status again."""
    if layout.post_hooks is None:
        return
    places = [
        (plan, i)
        for plan in plans
        for i, change in enumerate(plan.changes)
        if recorded_digest(change.text) is not None
    ]
    planned = {plan.changes[i].path: plan.changes[i].text for plan, i in places}
    texts = run_post_hooks(layout.post_hooks, planned)
    for plan, i in places:
        old = plan.changes[i]
        plan.changes[i] = generated_change(
            old.path, texts[old.path], old.old, mode, force
        )


def _source_label(source: SpecSource, spec_path: Path | None, folder: Path) -> str:
    """What a generated file's header says it came from, as seen from `folder`."""
    if spec_path is not None:
        label = Path(
            os.path.relpath(Path(spec_path).absolute(), folder.absolute())
        ).as_posix()
        if any(not ch.isprintable() for ch in label):
            # The label goes into the header comment: a newline would end the comment and
            # turn the rest of the file name into code.
            raise KlgenError(
                f"{spec_path!r}: the spec's path contains control characters; "
                "rename the file"
            )
        return label
    if source.example:
        return f"{EXAMPLE_PREFIX}{source.example}"
    return FROM_FLAGS


def _regions(text: str | None, path: Path) -> dict[str, str]:
    if text is None:
        return {}
    try:
        return extract(text)
    except RegionError as exc:
        raise KlgenError(
            f"{path}: the user-region markers are broken ({exc}); restore them "
            "or move the file away"
        ) from None


def generate(
    spec: str | Path | LayerSpec,
    *,
    out: str | Path,
    target: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    templates: str | Path | None = None,
) -> Plan:
    """Generate a layer and its test into `out` from a spec (path, example name or model),
    through the templates overlay `templates` when given.

    Returns the plan; raises `KlgenError` on a bad spec or on conflicts (nothing written).
    """
    if isinstance(spec, LayerSpec):
        source = SpecSource(spec)
    elif str(spec) in example_names():
        source = load_example(str(spec))
    else:
        source = load_spec(Path(spec))
    plan = plan_layer(
        source, out_layout(Path(out)), target=target, force=force, overlay=templates
    )
    if plan.conflicts:
        raise KlgenError(
            "; ".join(f"{plan.display(c)}: {c.reason}" for c in plan.conflicts)
        )
    if not dry_run:
        write_all(plan)
    return plan
