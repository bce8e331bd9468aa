"""The sync plan: every spec'd layer of a repository regenerated where its files are, with the
user regions carried over, and the exports of the layers packages; `klgen check` compares
the same plan with the disk, so that check and sync cannot disagree."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.files.header import recorded_digest
from keraslayer_gen.files.inventory import GeneratedFile, Inventory, scan
from keraslayer_gen.files.layout import Layout
from keraslayer_gen.files.plan import CONFLICT, FileChange, Plan, read_text, write_all
from keraslayer_gen.files.post_hooks import layout_advice, layout_only
from keraslayer_gen.files.schema_file import schema_changes
from keraslayer_gen.spec.catalogue import load_example, load_spec
from keraslayer_gen.workflows.exports import Export, plan_exports
from keraslayer_gen.workflows.new import apply_post_hooks, plan_layer


@dataclass
class LayerSync:
    """One spec (or bundled example) and the plan of its files; `error` when it could not
    be loaded or planned (a bad spec, broken region markers, ...)."""

    label: str  # the spec path relative to the repository root, or `example:NAME`
    plan: Plan | None = None
    error: list[str] = field(default_factory=list)
    stray: list[GeneratedFile] = field(
        default_factory=list
    )  # files of an older module name

    @property
    def conflicted(self) -> bool:
        return self.plan is not None and bool(self.plan.conflicts)


@dataclass
class SyncPlan:
    root: Path
    inventory: Inventory
    layers: list[LayerSync] = field(default_factory=list)
    exports: list[FileChange] = field(default_factory=list)
    #: The JSON Schema beside the specs whose modeline points at it.
    schemas: list[FileChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def changes(self) -> list[FileChange]:
        """Every file of the sync, with its status, in a stable order."""
        out = [c for layer in self.layers if layer.plan for c in layer.plan.changes]
        return out + self.exports + self.schemas

    def writable(self) -> Plan:
        """What `klgen sync` writes: the layers without conflicts or errors (a conflicted
        layer is left alone, both of its files), and the exports."""
        plan = Plan(root=self.root, notes=list(self.notes))
        for layer in self.layers:
            if layer.plan is not None and not layer.conflicted and not layer.error:
                plan.changes.extend(layer.plan.changes)
        plan.changes.extend(self.exports)
        plan.changes.extend(c for c in self.schemas if c.status != CONFLICT)
        return plan


def plan_sync(
    layout: Layout, paths: list[Path] | None = None, *, force: bool = False
) -> SyncPlan:
    """Plan the regeneration of every spec'd layer under `paths` (default: the repository)."""
    inventory = scan(layout, paths)
    sync = SyncPlan(layout.root, inventory)
    exports: list[Export] = []
    for key in sorted(inventory.selected):
        for layer, export in _plan_key(layout, inventory, key, force):
            sync.layers.append(layer)
            if export is not None:
                exports.append(export)
    plans = [layer.plan for layer in sync.layers if layer.plan is not None]
    apply_post_hooks(layout, plans, mode="sync", force=force)
    _name_layout_rewrites(plans, hooked=layout.post_hooks is not None)
    changes, notes = plan_exports(exports)
    sync.exports = changes
    sync.schemas = schema_changes(
        [
            Path(key)
            for key in sorted(inventory.selected)
            if Path(key).is_file()
            and Path(key).resolve().is_relative_to(layout.root.resolve())
        ]
    )
    sync.notes.extend(notes)
    for generated in inventory.flag_files:
        sync.notes.append(
            f"{_rel(generated.path, layout.root)}: generated from command-line flags without "
            "a saved spec, so it cannot be regenerated; recreate it with `klgen new ... "
            "--save-spec PATH` to put it under sync"
        )
    return sync


def _name_layout_rewrites(plans: list[Plan], *, hooked: bool) -> None:
    """A conflict that a formatter or import sorter made (issue 13's loop) says so."""
    for plan in plans:
        for change in plan.changes:
            old = change.old or ""
            if (
                change.status == CONFLICT
                and recorded_digest(old) is not None
                and layout_only(old, change.text)
            ):
                change.reason = (
                    "was edited outside its user regions, but only in its layout: "
                    f"{layout_advice(hooked)}; or use --force"
                )


def write_sync(sync: SyncPlan) -> Plan:
    """Write the sync's writable plan (all of it or nothing) and return it."""
    plan = sync.writable()
    write_all(plan)
    return plan


def _plan_key(
    layout: Layout, inventory: Inventory, key: str, force: bool
) -> list[tuple[LayerSync, Export | None]]:
    label = key if key.startswith("example:") else _rel(Path(key), layout.root)
    try:
        if key.startswith("example:"):
            source = load_example(key.removeprefix("example:"))
        else:
            if not Path(key).is_file():
                names = ", ".join(
                    _rel(g.path, layout.root) for g in inventory.files_of(key)
                )
                raise KlgenError(
                    f"{names}: the header names the spec {label}, which does not exist; "
                    "restore the spec, or delete the generated files"
                )
            source = load_spec(_from_cwd(Path(key)))
    except KlgenError as exc:
        return [(LayerSync(label, error=exc.lines()), None)]
    module = source.spec.module_name
    files = inventory.files_of(key)
    layers = [g.path for g in files if g.path.name == f"{module}.py"]
    tests = [g.path for g in files if g.path.name == f"test_{module}.py"]
    stray = [g for g in files if g.path not in layers and g.path not in tests]
    results: list[tuple[LayerSync, Export | None]] = []
    candidates: list[Path | None] = [*layers] or [None]
    for layer_path in candidates:
        target = _target_layout(layout, layer_path, tests, source.spec.name, module)
        entry = LayerSync(label, stray=stray)
        keras_target = None
        if layer_path is not None and "target" not in source.spec.model_fields_set:
            keras_target = _file_target(layer_path)
        try:
            entry.plan = plan_layer(
                source,
                target,
                target=keras_target,
                mode="sync",
                force=force,
                exports=False,
                post_hooks=False,  # run once for every layer, below
            )
        except KlgenError as exc:
            entry.error = exc.lines()
        export = None
        if target.exports and target.import_root:
            export = Export(
                target.layers_dir, target.import_root, module, source.spec.name
            )
        results.append((entry, export))
    return results


def _target_layout(
    layout: Layout, layer_path: Path | None, tests: list[Path], name: str, module: str
) -> Layout:
    """The layout that regenerates a layer where its files are: the repository's for its
    layers folder; for a layer elsewhere (an `--out` folder, a subpackage), the folder,
    import path and package that the existing files show."""
    if layer_path is None:
        return layout
    folder = layer_path.parent
    test = _pick_test(tests, folder, layout.tests_dir)
    if folder.resolve() == layout.layers_dir.resolve():
        return replace(layout, tests_dir=test.parent) if test is not None else layout
    import_root = _import_root(test, name, module)
    if import_root is None:
        import_root = _dotted_package(layout.root, folder)
    return replace(
        layout,
        layers_dir=folder,
        tests_dir=test.parent if test is not None else folder,
        specs_dir=None,
        import_root=import_root,
        package=_registered_package(read_text(layer_path) or "") or layout.package,
    )


def _file_target(path: Path) -> str | None:
    """The target an existing layer was generated for (`klgen new --target` with a spec
    that does not name one): a tf.keras file is `tf-keras`; None when unknown."""
    from keraslayer_gen.lint.module import LintError, parse_module

    try:
        module = parse_module(read_text(path) or "", str(path))
    except LintError:
        return None
    return "tf-keras" if module.tf_keras else "keras3"


def _pick_test(tests: list[Path], folder: Path, tests_dir: Path) -> Path | None:
    for preferred in (folder, tests_dir):
        for test in tests:
            if test.parent.resolve() == preferred.resolve():
                return test
    return tests[0] if tests else None


def _import_root(test: Path | None, name: str, module: str) -> str | None:
    """The package the generated test imports the layer from: `pkg.layers` for
    `from pkg.layers.scale import Scale`; "" for `from scale import Scale`."""
    text = read_text(test) if test is not None else None
    match = re.search(
        rf"^from (\S+) import {re.escape(name)}$", text or "", re.MULTILINE
    )
    if match is None:
        return None
    dotted = match.group(1)
    if dotted == module:
        return ""
    return dotted.removesuffix(f".{module}") if dotted.endswith(f".{module}") else None


def _dotted_package(root: Path, folder: Path) -> str:
    """`pkg.layers` for a folder that is a package (has `__init__.py`), else ""."""
    if not (folder / "__init__.py").is_file():
        return ""
    try:
        parts = folder.resolve().relative_to(root.resolve()).parts
    except ValueError:
        return ""
    return ".".join(parts[1:] if parts and parts[0] == "src" else parts)


def _registered_package(text: str) -> str | None:
    match = re.search(
        r"register_keras_serializable\(\s*package=([^)]+?)\s*,?\s*\)", text
    )
    if match is None:
        return None
    try:
        value = ast.literal_eval(match.group(1))
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def _from_cwd(path: Path) -> Path:
    """`path` relative to the current folder when inside it: what messages should show."""
    try:
        return path.relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
