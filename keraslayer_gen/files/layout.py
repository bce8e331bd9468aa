"""`[tool.klgen]` configuration and the repository layout: where layers, tests and specs go."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.files.post_hooks import KEY as POST_HOOKS
from keraslayer_gen.files.post_hooks import PostHooks, parse_post_hooks
from keraslayer_gen.spec.names import did_you_mean
from keraslayer_gen.spec.registry import TARGETS

CONFIG_KEYS = (
    "package",
    "layers_dir",
    "tests_dir",
    "specs",
    "target",
    "backends",
    "templates",
    "exports",
    "post_hooks",
)
_NOT_PACKAGES = {
    "tests",
    "test",
    "docs",
    "doc",
    "examples",
    "scripts",
    "benchmarks",
    "build",
}
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
    inferred: list[str] = field(
        default_factory=list
    )  # what was not configured but guessed
    has_config: bool = False
    exports: bool = (
        True  # export generated classes from the layers package's __init__.py
    )
    post_hooks: PostHooks | None = None  # run on the planned layer and test files

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
        import tomllib  # type: ignore[import-not-found,unused-ignore]
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


def load_layout(start: Path, overrides: dict[str, Any] | None = None) -> Layout:
    """The layout of the repository around `start`: `overrides` (from flags), else
    `[tool.klgen]`, else inferred from the project."""
    root = find_root(start)
    data = read_pyproject(root)
    file_config = data.get("tool", {}).get("klgen", {})
    source = f"{root / 'pyproject.toml'}: [tool.klgen]"
    if not isinstance(file_config, dict):
        raise KlgenError(f"{source} must be a table")
    config = {**file_config, **(overrides or {})}
    for key in config:
        if key not in CONFIG_KEYS:
            raise KlgenError(
                f"{source}: unknown key `{key}`{did_you_mean(key, CONFIG_KEYS)}; "
                f"keys are {', '.join(CONFIG_KEYS)}"
            )
    inferred: list[str] = []
    project_name = data.get("project", {}).get("name")
    package_dir = _package_dir(root, project_name)
    if "layers_dir" in config:
        layers_dir = root / str(config["layers_dir"])
    else:
        layers_dir = _infer_layers_dir(root, package_dir, source)
        inferred.append(f"layers_dir = {layers_dir.relative_to(root).as_posix()!r}")
    if "tests_dir" in config:
        tests_dir = root / str(config["tests_dir"])
    else:
        tests_dir = _infer_tests_dir(root)
        inferred.append(f"tests_dir = {tests_dir.relative_to(root).as_posix()!r}")
    if "package" in config:
        package = str(config["package"])
    else:
        if project_name:
            package = _norm(project_name)
        else:
            package = package_dir.name if package_dir else DEFAULT_PACKAGE
        inferred.append(f"package = {package!r}")
    target = str(config.get("target", "keras3"))
    if target not in TARGETS:
        raise KlgenError(
            f"{source}: target = {target!r}; expected 'keras3' or 'tf-keras'"
        )
    exports = config.get("exports", True)
    if not isinstance(exports, bool):
        raise KlgenError(f"{source}: exports must be true or false")
    backends = config.get("backends", [])
    if not isinstance(backends, list) or not all(isinstance(b, str) for b in backends):
        raise KlgenError(f"{source}: backends must be a list of names")
    specs_dir = root / str(config["specs"]) if "specs" in config else None
    templates = config.get("templates")
    if templates is not None and not isinstance(templates, (str, Path)):
        raise KlgenError(f"{source}: templates must be a folder path (a string)")
    for folder in (layers_dir, tests_dir, specs_dir):
        if folder is not None:
            _inside(root, folder, source)
    post_hooks = None
    if POST_HOOKS in file_config:
        post_hooks = parse_post_hooks(
            file_config[POST_HOOKS], root, root / "pyproject.toml"
        )
    return Layout(
        root=root,
        layers_dir=layers_dir,
        tests_dir=tests_dir,
        specs_dir=specs_dir,
        package=package,
        import_root=_dotted(root, layers_dir),
        target=target,
        backends=list(backends),
        templates=root / str(templates) if templates is not None else None,
        inferred=inferred,
        has_config=bool(file_config),
        exports=exports,
        post_hooks=post_hooks,
    )


def _package_dir(root: Path, project_name: str | None) -> Path | None:
    """The project's import package: `src/<name>` or `<name>` from `[project].name`, else
    the only package under `src/`."""
    if project_name:
        for candidate in (
            root / "src" / _norm(project_name),
            root / _norm(project_name),
        ):
            if candidate.is_dir():
                return candidate
    src = root / "src"
    if src.is_dir():
        packages = [
            p
            for p in sorted(src.iterdir())
            if p.is_dir() and (p / "__init__.py").is_file()
        ]
        if len(packages) == 1:
            return packages[0]
    if not project_name:
        packages = [
            p
            for p in sorted(root.iterdir())
            if p.is_dir()
            and p.name not in _NOT_PACKAGES
            and not p.name.startswith(".")
            and (p / "__init__.py").is_file()
        ]
        if len(packages) == 1:
            return packages[0]
    return None


def _infer_layers_dir(root: Path, package_dir: Path | None, source: str) -> Path:
    if package_dir is None:
        return root / "layers"
    if (package_dir / "layers.py").is_file():
        rel = (package_dir / "layers.py").relative_to(root).as_posix()
        raise KlgenError(
            f"{rel} is a module, so klgen cannot add a `layers` package beside it; set "
            f"layers_dir in {source} (for example layers_dir = "
            f"{(package_dir / 'keras_layers').relative_to(root).as_posix()!r}), or run "
            "`klgen init --layers-dir DIR`"
        )
    return package_dir / "layers"


def _infer_tests_dir(root: Path) -> Path:
    """`tests/layers` or `tests` or `test`, whichever exists first; else `tests`."""
    for candidate in ("tests/layers", "tests", "test"):
        if (root / candidate).is_dir():
            return root / candidate
    return root / "tests"


def configured_templates(start: Path) -> Path | None:
    """`[tool.klgen].templates` of the repository around `start` (relative to its root),
    without the rest of the layout: `new --out` and `klgen templates` need only this."""
    root = find_root(start)
    try:
        config = read_pyproject(root).get("tool", {}).get("klgen", {})
    except KlgenError:  # `klgen check` reports a broken pyproject.toml
        return None
    value = config.get("templates") if isinstance(config, dict) else None
    return root / str(value) if isinstance(value, str) and value else None


def configured_post_hooks(start: Path) -> PostHooks | None:
    """`[tool.klgen].post_hooks` of the repository around `start`, checked, without the
    rest of the layout: `new --out` inside a repository runs them as `sync` does."""
    root = find_root(start)
    try:
        config = read_pyproject(root).get("tool", {}).get("klgen", {})
    except KlgenError:  # `klgen check` reports a broken pyproject.toml
        return None
    if not isinstance(config, dict) or POST_HOOKS not in config:
        return None
    return parse_post_hooks(config[POST_HOOKS], root, root / "pyproject.toml")


def out_layout(out: Path, package: str | None = None) -> Layout:
    """`--out DIR`: layer and test side by side in DIR, imported as top-level modules."""
    return Layout(
        root=out.resolve(),
        layers_dir=out,
        tests_dir=out,
        specs_dir=None,
        package=package or DEFAULT_PACKAGE,
        import_root="",
    )


def _inside(root: Path, folder: Path, source: str) -> None:
    try:
        folder.resolve().relative_to(root.resolve())
    except ValueError:
        raise KlgenError(
            f"{source}: {folder} is outside the repository {root}"
        ) from None
