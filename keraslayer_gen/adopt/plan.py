"""From a read class to a checked spec, its regenerated file, and the plan of the writes.

Nothing here imports Keras: the proof (`equivalence.py`) runs in worker processes.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from keraslayer_gen.adopt.ports import keras3_problems, to_keras3
from keraslayer_gen.adopt.reader import Adoption, Refusal, adopt_source, layer_names
from keraslayer_gen.errors import KlgenError, SpecError
from keraslayer_gen.files.header import GENERATED_LINE, stamp
from keraslayer_gen.files.layout import Layout, find_root, load_layout
from keraslayer_gen.files.plan import CONFLICT, UPDATE, FileChange, Plan
from keraslayer_gen.files.regions import splice
from keraslayer_gen.spec.model import LayerSpec

ADOPTED = "adopted"
ADOPTED_REGIONS = "adopted with regions"
REFUSED = "refused"
#: Spec paths whose failure the generated file can carry as user regions instead.
_REGION_OF = {
    "call.body": "call",
    "call.training": "training",
    "call.inference": "inference",
}


@dataclass
class LayerResult:
    """One class through `adopt`: its reading, its spec, its plan, and what became of it."""

    adoption: Adoption
    path: Path  # the layer's file
    spec: LayerSpec | None = None
    spec_text: str | None = None
    spec_path: Path | None = None
    plan: Plan | None = None
    regions: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # refusals after reading
    proof: list[Any] | None = None  # equivalence.Check results, when run

    @property
    def status(self) -> str:
        if self.adoption.refused or self.problems or self.plan is None:
            return REFUSED
        return ADOPTED_REGIONS if self.regions else ADOPTED

    @property
    def reasons(self) -> list[str]:
        return [str(r) for r in self.adoption.refusals] + self.problems

    @property
    def layer_text(self) -> str | None:
        if self.plan is None:
            return None
        for change in self.plan.changes:
            if change.path.resolve() == self.path.resolve():
                return change.text
        return None


def find_layers(path: Path) -> list[tuple[Path, str | None]]:
    """`FILE.py:Class`, a file or a folder -> (file, class or None for all) pairs."""
    text = str(path)
    if ":" in text and not Path(text).exists():
        file, _, cls = text.rpartition(":")
        return [(Path(file), cls)]
    if path.is_dir():
        from keraslayer_gen.files.inventory import SKIP_DIRS

        return [
            (p, None)
            for p in sorted(path.rglob("*.py"))
            if not any(
                part in SKIP_DIRS or part.startswith(".")
                for part in p.relative_to(path).parts[:-1]
            )
            and not p.name.startswith("test_")
        ]
    return [(path, None)]


def adopt_file(
    path: Path,
    class_name: str | None = None,
    *,
    target: str | None = None,
    force: bool = False,
) -> list[LayerResult]:
    """Read every layer of `path` (or `class_name`) and plan its adoption."""
    from keraslayer_gen.lint.module import LintError

    if not path.is_file():
        raise KlgenError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
        adoptions = adopt_source(text, str(path), class_name)
    except (OSError, UnicodeDecodeError) as exc:
        raise KlgenError(f"{path}: cannot read: {exc}") from None
    except LintError:
        raise
    if class_name is not None and not adoptions:
        from keraslayer_gen.spec.names import did_you_mean

        names = layer_names(text, str(path))
        raise KlgenError(
            f"{path}: no Keras layer class `{class_name}`"
            f"{did_you_mean(class_name, names)}"
            + (f"; layers: {', '.join(names)}" if names else "")
        )
    results = [LayerResult(a, path) for a in adoptions]
    others = _other_code(text, {a.class_name for a in adoptions}, str(path))
    comments = _outside_comments(text, str(path))
    if comments:
        for result in results:
            result.adoption.notes.append(
                "the comments outside the class (line "
                + ", ".join(str(n) for n in comments)
                + ") are not in the generated file"
            )
    for result in results:
        if len(adoptions) > 1 and not result.adoption.refused:
            result.problems.append(
                f"{path}:{result.adoption.line}: {result.adoption.class_name}: the file "
                f"holds {len(adoptions)} layer classes; a spec generates one module: "
                "move each layer to its own file first"
            )
        for line, what in others:
            result.problems.append(
                f"{path}:{line}: {result.adoption.class_name}: the file also holds "
                f"{what}, which replacing the file would lose; move it to another "
                "module first"
            )
        if not result.adoption.refused and not result.problems:
            _plan(result, text, target=target, force=force)
    return results


def _outside_comments(text: str, filename: str) -> list[int]:
    """The lines of comments outside the file's classes (a generated file has none)."""
    tree = ast.parse(text, filename=filename)
    inside: set[int] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef):
            inside.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
    lines = text.splitlines()
    if lines and GENERATED_LINE.match(lines[0] + "\n"):
        return []
    return [
        i
        for i, line in enumerate(lines, 1)
        if line.lstrip().startswith("#")
        and i not in inside
        and not line.startswith(("#!", "# -*-"))
    ]


def _other_code(text: str, classes: set[str], filename: str) -> list[tuple[int, str]]:
    """Top-level code of the file besides imports, the docstring and the layer classes."""
    tree = ast.parse(text, filename=filename)
    out = []
    for i, stmt in enumerate(tree.body):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            continue
        if (
            i == 0
            and isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Constant)
        ):
            continue
        if isinstance(stmt, ast.ClassDef) and stmt.name in classes:
            continue
        if isinstance(stmt, ast.Assign) and ast.unparse(stmt).startswith("__all__"):
            continue
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append((stmt.lineno, f"`{stmt.name}`"))
        else:
            out.append((stmt.lineno, f"`{ast.unparse(stmt).splitlines()[0][:50]}`"))
    return out


def layout_for(path: Path) -> Layout:
    """The repository's layout (as `sync` and `check` see it), with the layers folder
    where the adopted file is when that is another folder."""
    from keraslayer_gen.files.layout import _dotted

    layout = load_layout(path.parent)
    folder = path.parent
    if folder.resolve() == layout.layers_dir.resolve():
        return layout
    root = find_root(folder)
    try:
        import_root = _dotted(root, folder)
    except ValueError:
        import_root = ""
    return replace(layout, layers_dir=folder, import_root=import_root, exports=False)


def _plan(
    result: LayerResult, old_text: str, *, target: str | None, force: bool
) -> None:
    from keraslayer_gen.spec.catalogue import SpecSource
    from keraslayer_gen.spec.load import load_spec_data
    from keraslayer_gen.workflows.new import plan_layer

    adoption = result.adoption
    layout = layout_for(result.path)
    data = dict(adoption.data)
    module = data.get("module") or _snake(adoption.class_name)
    spec_path = layout.spec_dir() / f"{module}.klgen.yaml"
    if layout.specs_dir is None:
        spec_path = result.path.parent / f"{module}.klgen.yaml"
    data["examples"] = _examples(data, spec_path, layout, module)
    previous = _previous(spec_path, data["name"])
    if previous is not None and previous.targets and "targets" not in data:
        # Bodies for another target are not in this file: the spec keeps them.
        own = data.get("target", "keras3")
        kept = {
            t: b.model_dump(mode="json", exclude_unset=True)
            for t, b in previous.targets.items()
            if t != own
        }
        if kept:
            data["targets"] = kept
            adoption.notes.append(
                f"the `targets` bodies of {', '.join(kept)} are kept from the spec "
                "already there (this file shows only its own target)"
            )
    if data.get("package") == layout.package:
        del data["package"]  # the repository's own package: the layout supplies it
    if target == "keras3" and data.get("target") == "tf-keras":
        problems = keras3_problems(data)
        if problems:
            lines = old_text.splitlines()
            for problem, name in problems:
                # located at the first use of that name in the class
                line = next(
                    (
                        i
                        for i, text in enumerate(lines, 1)
                        if i >= adoption.line and name in text
                    ),
                    adoption.line,
                )
                result.problems.append(
                    f"{result.path}:{line}: {adoption.class_name}: --target keras3: "
                    f"{problem}"
                )
            return
        data = to_keras3(data)
        adoption.notes.append("rendered for Keras 3: the bodies use only Keras 3 API")
    elif target == "tf-keras" and data.get("target", "keras3") == "keras3":
        result.problems.append(
            f"{result.path}: {adoption.class_name}: --target tf-keras: the layer is "
            "written for Keras 3; adopt it for keras3"
        )
        return
    display = os.path.relpath(spec_path.absolute(), Path.cwd())
    if display.startswith(".."):
        display = str(spec_path)
    regions: dict[str, str] = {}
    try:
        spec = load_spec_data(data, display)
    except SpecError as exc:
        failed = {d.path.split("[")[0] for d in exc.diagnostics}
        movable = {p for p in failed if p in _REGION_OF}
        if movable and movable == failed and data.get("output_shape") == "same":
            call = dict(data.pop("call"))
            regions = {_REGION_OF[f"call.{k}"]: v.rstrip("\n") for k, v in call.items()}
            try:
                spec = load_spec_data(data, display)
            except SpecError as again:
                _spec_problems(result, again)
                return
            adoption.notes.append(
                "the call bodies are kept in user regions (as spec bodies they fail: "
                + "; ".join(d.message for d in exc.diagnostics)
                + ")"
            )
        else:
            _spec_problems(result, exc)
            return
    text = _spec_yaml(spec)
    save: Path | None = spec_path
    same = _same_spec(spec_path, spec, layout)
    if same is not None:
        text, save = same, None  # adopting again: the user's spec file stays as it is
        adoption.notes.append(f"{display} already says this; it is kept as it is")
    source = SpecSource(spec, path=spec_path, text=text)
    plan = plan_layer(
        source,
        layout,
        target=spec.target,
        mode="new",
        force=force,
        save_spec=save,
        exports=layout.exports,
    )
    changes = []
    for change in plan.changes:
        if change.path.resolve() == result.path.resolve():
            new = splice(change.text, regions) if regions else change.text
            new = stamp(new) if regions else new
            if change.status == CONFLICT or new != change.text:
                change = FileChange(
                    change.path,
                    new,
                    change.old,
                    UPDATE if new != change.old else change.status,
                    "replaced by the layer its spec generates",
                )
                if new == change.old:
                    change = replace(change, status="identical", reason="")
        changes.append(change)
    plan.changes = changes
    result.spec, result.spec_text, result.spec_path = spec, text, spec_path
    result.plan, result.regions = plan, regions


def _spec_yaml(spec: LayerSpec) -> str:
    """`spec_yaml.dump_spec_yaml`, with the bounds of int arguments written as ints (the
    model holds every bound as a float)."""
    import yaml  # type: ignore[import-untyped]

    from keraslayer_gen.spec.dump import HEADER, _Dumper, spec_data

    data = spec_data(spec)
    for arg in (data.get("args") or {}).values():
        if arg["type"].split("|")[0].strip() == "int":
            for key in ("min", "max"):
                if isinstance(arg.get(key), float) and arg[key].is_integer():
                    arg[key] = int(arg[key])
    body = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=88,
        default_flow_style=False,
    )
    return HEADER + body


def _previous(path: Path, name: str) -> LayerSpec | None:
    """The spec already beside the file, when it is one of the same class."""
    from keraslayer_gen.spec.load import load_spec_file

    if not path.is_file():
        return None
    try:
        old = load_spec_file(path)
    except KlgenError:
        return None
    return old if old.name == name else None


def _same_spec(path: Path, spec: LayerSpec, layout: Layout | None = None) -> str | None:
    """The text of the spec file at `path` when it describes the same layer as `spec`."""
    from keraslayer_gen.spec.load import load_spec_file

    if not path.is_file():
        return None
    try:
        old = load_spec_file(path)
    except KlgenError:
        return None
    if _normal(old.model_dump(mode="json")) != _normal(spec.model_dump(mode="json")):
        # What the file cannot show (the docs of weights and sub-layers, a default
        # spelt out, an expression's line breaks) may differ: the spec already there
        # says the same when it generates the same layer.
        if layout is None or _rendered(old, path, layout) != _rendered(
            spec, path, layout
        ):
            return None
    return path.read_text(encoding="utf-8")


def _rendered(spec: LayerSpec, path: Path, layout: Layout) -> str | None:
    """The layer file `spec` generates (before the layout's post hooks)."""
    from keraslayer_gen.spec.catalogue import SpecSource
    from keraslayer_gen.workflows.new import plan_layer

    try:
        plan = plan_layer(
            SpecSource(spec, path=path),
            layout,
            target=spec.target,
            exports=False,
            post_hooks=False,
        )
    except KlgenError:
        return None
    return next(
        (c.text for c in plan.changes if c.path.name == f"{spec.module_name}.py"),
        None,
    )


def _normal(data: dict[str, Any]) -> dict[str, Any]:
    """Spec data with the docstring texts' line breaks inside paragraphs ignored: they are
    re-wrapped when rendered."""
    out = dict(data)
    for key in ("description", "summary"):
        if isinstance(out.get(key), str):
            out[key] = [" ".join(p.split()) for p in out[key].split("\n\n")]
    if out.get("module") == _snake(out["name"]):
        out["module"] = None
    return _code_normal(out)


def _code_normal(value: Any) -> Any:
    """Code strings as their syntax tree and comments: black's line breaks aside."""
    if isinstance(value, dict):
        return {k: _code_normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_code_normal(v) for v in value]
    if isinstance(value, str) and "\n" in value:
        try:
            tree = ast.dump(ast.parse(value))
        except SyntaxError:
            return value
        comments = [
            ln.strip() for ln in value.splitlines() if ln.strip().startswith("#")
        ]
        return (tree, comments)
    return value


def _spec_problems(result: LayerResult, exc: SpecError) -> None:
    for d in exc.diagnostics:
        result.problems.append(
            f"{result.path}: {result.adoption.class_name}: the spec read from it does "
            f"not load: {d}"
        )


def _snake(name: str) -> str:
    from keraslayer_gen.spec.names import snake_case

    return snake_case(name)


# --------------------------------------------------------------------------- examples


def _examples(
    data: dict[str, Any], spec_path: Path, layout: Layout, module: str
) -> list[dict[str, Any]]:
    """The examples: a spec beside the file (adopting again), else the generated test's
    `EXAMPLES`, else one inferred from the input spec, the masking and the arguments."""
    from keraslayer_gen.spec.load import load_spec_file

    if spec_path.is_file():
        try:
            old = load_spec_file(spec_path)
        except KlgenError:
            old = None
        if old is not None and old.name == data["name"]:
            return [e.model_dump(mode="json", exclude_unset=True) for e in old.examples]
    test = layout.tests_dir / f"test_{module}.py"
    found = _test_examples(test)
    if found:
        return found
    return [_inferred_example(data)]


def _test_examples(path: Path) -> list[dict[str, Any]] | None:
    if not path.is_file():
        return None
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and stmt.targets[0].id == "EXAMPLES"
            and isinstance(stmt.value, ast.List)
        ):
            out = []
            for elt in stmt.value.elts:
                if isinstance(elt, ast.Call) and elt.args:
                    elt = elt.args[0]
                try:
                    value = ast.literal_eval(elt)
                except ValueError:
                    return None
                if not isinstance(value, dict) or (
                    "input_shape" not in value and "inputs" not in value
                ):
                    return None
                out.append(value)
            return out or None
    return None


def _inferred_example(data: dict[str, Any]) -> dict[str, Any]:
    masking = data.get("masking", "none")
    example: dict[str, Any]
    if data.get("inputs"):
        example = {"inputs": {}}
        for i, (name, decl) in enumerate(data["inputs"].items()):
            rank = decl.get("ndim") or max(decl.get("min_ndim") or 0, 3)
            if decl.get("max_ndim"):
                rank = min(rank, decl["max_ndim"])
            # the steps of each input differ, so that a mix-up of two inputs shows
            shape = [4, 6 + i, 8, 5, 3, 3][:rank]
            tensor: dict[str, Any] = {"shape": shape}
            if decl.get("dtype"):
                tensor["dtype"] = decl["dtype"]
                if not decl["dtype"].startswith(("float", "bfloat")):
                    tensor.update({"min": 0, "max": 9})
            if decl.get("mask"):
                tensor["mask"] = True
            example["inputs"][name] = tensor if len(tensor) > 1 else shape
        _example_init(example, data)
        return example
    spec = data.get("input_spec") or {}
    rank = spec.get("ndim") or max(
        spec.get("min_ndim") or 0, 3 if masking != "none" else 2
    )
    if spec.get("max_ndim"):
        rank = min(rank, spec["max_ndim"])
    shape = [4, 6, 8, 5, 3, 3][:rank]
    example = {"input_shape": shape}
    _example_init(example, data)
    if masking != "none" and rank >= 3:
        example["mask"] = True
    return example


def _example_init(example: dict[str, Any], data: dict[str, Any]) -> None:
    """The example's values of the required arguments and call arguments."""
    init = {}
    for name, arg in (data.get("args") or {}).items():
        if "default" in arg:
            continue
        init[name] = _value(arg)
    if init:
        example["init"] = init
    call_args = {}
    for name, arg in (data.get("call_args") or {}).items():
        if "default" not in arg:
            call_args[name] = _value(arg)
    if call_args:
        example["call_args"] = call_args


def _value(arg: dict[str, Any]) -> Any:
    base = arg["type"].split("|")[0].strip()
    if arg.get("choices"):
        return arg["choices"][0]
    lo, hi = arg.get("min"), arg.get("max")
    if "range" in arg:
        from keraslayer_gen.spec.values import parse_range

        parsed = parse_range(arg["range"])
        if parsed:
            lo = parsed[0] if parsed[0] is not None else lo
            hi = parsed[2] if parsed[2] is not None else hi
    if base == "int":
        number = 4
        if lo is not None and number < lo:
            number = int(lo) + 1
        if hi is not None and number > hi:
            number = int(hi)
        return number
    if base == "float":
        real = 0.5
        if lo is not None and real <= lo:
            real = float(lo) + 0.5
        if hi is not None and real >= hi:
            real = (float(hi) + (lo or 0.0)) / 2
        return real
    return {
        "bool": True,
        "str": "a",
        "shape": [None],
        "ints": [1],
        "initializer": "glorot_uniform",
        "regularizer": "l2",
        "constraint": "non_neg",
        "activation": "relu",
    }.get(base)


__all__ = [
    "ADOPTED",
    "ADOPTED_REGIONS",
    "REFUSED",
    "LayerResult",
    "Refusal",
    "adopt_file",
    "find_layers",
]
