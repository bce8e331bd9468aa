"""`[tool.klgen]` configuration and the repository layout: where layers, tests and specs go."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import KlgenError
from .naming import did_you_mean

CONFIG_KEYS = ("package", "layers_dir", "tests_dir", "specs", "target", "backends", "templates")
DEFAULT_PACKAGE = "Custom"  # Keras's own default for register_keras_serializable


@dataclass
class Layout:
    """Where one repository keeps its layers, their tests and their specs."""

    root: Path
    layers_dir: Path
    tests_dir: Path
    specs_dir: Path | None
    package: str
    import_root: str  # dotted module path of layers_dir, "" for a plain folder
    target: str = "keras3"
    backends: list[str] = field(default_factory=list)
    templates: Path | None = None
    inferred: list[str] = field(default_factory=list)  # what was not configured but guessed
    has_config: bool = False

    def import_path(self, module: str) -> str:
        return f"{self.import_root}.{module}" if self.import_root else module

    def spec_dir(self) -> Path:
        return self.specs_dir or self.layers_dir


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` with a `pyproject.toml` or `.git`."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").is_file() or (folder / ".git").exists():
            return folder
    return start


def read_pyproject(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomlkit

        return tomlkit.parse(path.read_text(encoding="utf-8")).unwrap()
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise KlgenError(f"{path}: not valid TOML: {exc}") from None


def _norm(name: str) -> str:
    return re.sub(r"[-.]+", "_", name).lower()


def _dotted(root: Path, folder: Path) -> str:
    """`src/pkg/layers` -> `pkg.layers` (the src/ prefix is not part of the import path)."""
    rel = folder.resolve().relative_to(root.resolve()).parts
    if rel and rel[0] == "src":
        rel = rel[1:]
    return ".".join(rel)


def load_layout(start: Path) -> Layout:
    """The layout of the repository around `start`: configured, else inferred."""
    root = find_root(start)
    data = read_pyproject(root)
    config = data.get("tool", {}).get("klgen", {})
    source = f"{root / 'pyproject.toml'}: [tool.klgen]"
    if not isinstance(config, dict):
        raise KlgenError(f"{source} must be a table")
    for key in config:
        if key not in CONFIG_KEYS:
            raise KlgenError(f"{source}: unknown key `{key}`{did_you_mean(key, CONFIG_KEYS)}; "
                             f"keys are {', '.join(CONFIG_KEYS)}")
    inferred: list[str] = []
    project_name = data.get("project", {}).get("name")
    package_dir = None
    if project_name:
        for candidate in (root / "src" / _norm(project_name), root / _norm(project_name)):
            if candidate.is_dir():
                package_dir = candidate
                break
    if "layers_dir" in config:
        layers_dir = root / str(config["layers_dir"])
    else:
        layers_dir = (package_dir / "layers") if package_dir else root / "layers"
        inferred.append(f"layers_dir = {layers_dir.relative_to(root).as_posix()!r}")
    if "tests_dir" in config:
        tests_dir = root / str(config["tests_dir"])
    else:
        tests_dir = root / "tests"
        if (tests_dir / "layers").is_dir():
            tests_dir = tests_dir / "layers"
        inferred.append(f"tests_dir = {tests_dir.relative_to(root).as_posix()!r}")
    if "package" in config:
        package = str(config["package"])
    else:
        package = _norm(project_name) if project_name else DEFAULT_PACKAGE
        inferred.append(f"package = {package!r}")
    target = str(config.get("target", "keras3"))
    if target not in ("keras3", "tf-keras"):
        raise KlgenError(f"{source}: target = {target!r}; expected 'keras3' or 'tf-keras'")
    backends = config.get("backends", [])
    if not isinstance(backends, list) or not all(isinstance(b, str) for b in backends):
        raise KlgenError(f"{source}: backends must be a list of names")
    _inside(root, layers_dir, source)
    _inside(root, tests_dir, source)
    return Layout(
        root=root, layers_dir=layers_dir, tests_dir=tests_dir,
        specs_dir=root / str(config["specs"]) if "specs" in config else None,
        package=package, import_root=_dotted(root, layers_dir), target=target,
        backends=list(backends),
        templates=root / str(config["templates"]) if "templates" in config else None,
        inferred=inferred, has_config=bool(config),
    )


def out_layout(out: Path, package: str | None = None) -> Layout:
    """`--out DIR`: layer and test side by side in DIR, imported as top-level modules."""
    return Layout(root=out.resolve(), layers_dir=out, tests_dir=out, specs_dir=None,
                  package=package or DEFAULT_PACKAGE, import_root="")


def _inside(root: Path, folder: Path, source: str) -> None:
    try:
        folder.resolve().relative_to(root.resolve())
    except ValueError:
        raise KlgenError(f"{source}: {folder} is outside the repository {root}") from None
