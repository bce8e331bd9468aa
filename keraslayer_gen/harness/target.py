"""What `klgen verify TARGET` names: a spec, a layer file, `file.py:Class` or `module:Class`.

Resolution never imports the layer (its module imports Keras): files are located on disk,
`package.module` names are looked up along `sys.path` without importing the package.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.generate.tf_keras_idioms import spec_for_target
from keraslayer_gen.spec.model import LayerSpec

SPEC_SUFFIXES = (".klgen.yaml", ".klgen.yml")


@dataclass(frozen=True)
class LayerTarget:
    """An importable layer class, and its spec when it has one."""

    text: str  # as the user wrote it
    class_name: str
    module: str  # dotted import name
    sys_path: tuple[str, ...] = ()  # entries the worker prepends to sys.path
    source: Path | None = None  # the module's file, when known
    spec: LayerSpec | None = field(default=None, compare=False)
    spec_label: str | None = None  # the spec's path or `example:NAME`
    target: str = "keras3"  # "tf-keras" when the module imports tf_keras (Keras 2)


def resolve_target(text: str, cwd: Path | None = None) -> LayerTarget:
    """Resolve one TARGET; raises `KlgenError` (exit 2) when it names nothing loadable."""
    cwd = cwd or Path.cwd()
    head, sep, tail = text.rpartition(":")
    if sep and head and (head.endswith(".py") or (cwd / head).is_file()):
        return _from_file(text, cwd / head, tail)
    path = cwd / text
    if text.endswith(SPEC_SUFFIXES) or (
        text.endswith((".yaml", ".yml")) and path.is_file()
    ):
        return _from_spec(text, path)
    if text.endswith(".py"):
        return _from_file(text, path, None)
    if sep and head and tail.isidentifier():
        return _from_module(text, head, tail, cwd)
    raise KlgenError(
        f"{text}: not a target; give a spec (`x.klgen.yaml`), a layer file "
        "(`x.py` or `x.py:ClassName`) or `package.module:ClassName`"
    )


def _from_spec(text: str, path: Path) -> LayerTarget:
    from keraslayer_gen.files.layout import load_layout
    from keraslayer_gen.spec.catalogue import load_spec

    if not path.is_file():
        raise KlgenError(f"{text}: no such spec file")
    source = load_spec(path)
    module = source.spec.module_name
    candidates = [path.parent / f"{module}.py"]
    try:
        candidates.append(load_layout(path.parent).layers_dir / f"{module}.py")
    except KlgenError:
        pass
    for candidate in candidates:
        if candidate.is_file():
            target = _from_file(text, candidate, source.spec.name)
            return _with_spec(target, source.spec, str(path))
    looked = ", ".join(str(c) for c in dict.fromkeys(candidates))
    raise KlgenError(
        f"{text}: the layer this spec describes is not there (looked for "
        f"{looked}); generate it with `klgen new --spec {text}`"
    )


def _from_file(text: str, path: Path, class_name: str | None) -> LayerTarget:
    from keraslayer_gen.files.inventory import spec_of_generated

    if not path.is_file():
        raise KlgenError(f"{text}: no such file {path}")
    code = path.read_text(encoding="utf-8", errors="replace")
    spec_source = spec_of_generated(path)
    if class_name is None and spec_source is not None:
        class_name = spec_source.spec.name
    if class_name is None:
        class_name = _only_layer_class(text, code)
    elif class_name not in _classes(code) and not _defined_elsewhere(code, class_name):
        from keraslayer_gen.spec.names import did_you_mean

        known = sorted(_classes(code))
        raise KlgenError(
            f"{text}: {path.name} defines no class `{class_name}`"
            f"{did_you_mean(class_name, known)}"
        )
    module, root = module_of(path)
    target = LayerTarget(
        text=text,
        class_name=class_name,
        module=module,
        sys_path=(str(root),),
        source=path.resolve(),
        target=keras_target_of(code),
    )
    if spec_source is not None and spec_source.spec.name == class_name:
        label = (
            str(spec_source.path)
            if spec_source.path
            else f"example:{spec_source.example}"
        )
        return _with_spec(target, spec_source.spec, label)
    return target


def _from_module(text: str, module: str, class_name: str, cwd: Path) -> LayerTarget:
    source = find_module_file(module, [str(cwd), *sys.path])
    if source is not None:
        target = _from_file(text, source, class_name)
        if target.module == module:
            return target
        # found under another import root: keep the name the user gave
        return replace(target, module=module, sys_path=(str(cwd),))
    return LayerTarget(
        text=text, class_name=class_name, module=module, sys_path=(str(cwd),)
    )


def _with_spec(target: LayerTarget, spec: LayerSpec, label: str) -> LayerTarget:
    """The target with its spec as the target's rendering has it (tf-keras takes several
    tensor arguments as one list: `spec_for_target`)."""
    return replace(target, spec=spec_for_target(spec, target.target), spec_label=label)


def keras_target_of(code: str) -> str:
    """`tf-keras` for a module written against Keras 2 (`tf_keras`), else `keras3`."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return "keras3"
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return "tf-keras" if "tf_keras" in names and "keras" not in names else "keras3"


def module_of(path: Path) -> tuple[str, Path]:
    """`src/pkg/layers/x.py` (with `__init__.py` files) -> `("pkg.layers.x", src/)`."""
    path = path.resolve()
    parts = [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts), folder


def find_module_file(module: str, roots: list[str]) -> Path | None:
    """The file of `a.b.c` under one of `roots`, found on disk without importing `a`."""
    rel = Path(*module.split("."))
    for root in roots:
        base = Path(root or ".") / rel
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def _classes(code: str) -> dict[str, ast.ClassDef]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return {}
    return {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}


def _defined_elsewhere(code: str, name: str) -> bool:
    """An imported or assigned name (`from x import Foo`) may still be the class."""
    return name in code


def _is_layer(node: ast.ClassDef) -> bool:
    for base in node.bases:
        text = ast.unparse(base)
        if text == "Layer" or text.endswith(".Layer"):
            return True
    return False


def _only_layer_class(text: str, code: str) -> str:
    try:
        ast.parse(code)
    except SyntaxError as exc:
        raise KlgenError(
            f"{text}:{exc.lineno}: not valid Python ({exc.msg}); fix it, or "
            f"name the class as `{text}:ClassName`"
        ) from None
    layers = [name for name, node in _classes(code).items() if _is_layer(node)]
    if len(layers) == 1:
        return layers[0]
    if not layers:
        raise KlgenError(
            f"{text}: no Layer subclass found; name the class as `{text}:ClassName`"
        )
    raise KlgenError(
        f"{text}: several layers ({', '.join(layers)}); name one as "
        f"`{text}:{layers[0]}`"
    )
