"""Property-based tests: random valid specs give clean, stable code; random breakage of a
valid spec is refused with a located message, never a traceback, and nothing written.

No Keras here: the properties are about what klgen writes, not what the layer does (the
harness owns that). Each property runs twice over:

- in the slow tier (`@pytest.mark.slow`), at full strength: 1,040 random examples per run
  (200 + 20 batches of 8 + 60 + 760), minutes of CPU;
- in the fast suite, as `..._quick`: a few examples (5 + 1 batch + 2 + 20), derandomized
  so that the fast suite tests the same examples on every run (3-5 s).

And six random specs go through `klgen verify` with the harness tests.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from keraslayer_gen import __version__, api
from keraslayer_gen.errors import SpecError
from keraslayer_gen.files.header import digest, recorded_digest
from keraslayer_gen.files.layout import out_layout
from keraslayer_gen.files.plan import IDENTICAL, write_all
from keraslayer_gen.generate.formatting import format_code
from keraslayer_gen.spec.load import load_spec_text
from keraslayer_gen.spec.model import (
    Arg,
    CallBodies,
    Example,
    InputSpec,
    LayerSpec,
    Weight,
)

from .helpers import KLGEN, klgen
from .strategies import runtime_specs, spec_yaml, specs

SPEC = "s.klgen.yaml"
#: ruff's defaults plus whitespace, imports, bugbear, pyupgrade, naming, comprehensions.
#: Line length is black's business (a long word in a docstring cannot be wrapped).
RUFF = ["--isolated", "--select", "E,F,W,I,B,UP,N,C4", "--ignore", "E501"]
RUFF += ["--target-version", "py310"]


@pytest.fixture(autouse=True, scope="module")
def _no_fsync() -> Any:
    """Durability is test_hostile.py's business: here a flush to disk per file written
    would be a third of the time."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "fsync", lambda fd: None)
        yield


def _settings(n: int, *, quick: bool = False) -> Any:
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=quick,
    )


def _tiers(prop: Any, full: int, quick: int, **strategies: Any) -> tuple[Any, Any]:
    """`prop` as two tests: `full` random examples in the slow tier, and `quick`
    derandomized examples in the fast suite."""
    slow = pytest.mark.slow(_settings(full)(given(**strategies)(prop)))
    fast = _settings(quick, quick=True)(given(**strategies)(prop))
    return slow, fast


def _load(text: str) -> LayerSpec:
    try:
        return load_spec_text(text, SPEC)
    except SpecError as exc:  # the strategy promised a valid spec
        pytest.fail(f"klgen refused a valid spec:\n{exc}\n--- spec ---\n{text}")


def _plan(spec: LayerSpec, text: str, out: Path, mode: str = "new") -> Any:
    return api.plan_layer(
        api.SpecSource(spec, path=out / SPEC, text=text), out_layout(out), mode=mode
    )


def _check_layer_ast(tree: ast.Module, spec: LayerSpec) -> None:
    """The class klgen promises: its name, `__init__` parameters in the spec's order then
    `**kwargs`, `super().__init__` before any attribute, each attribute set once, and a
    `get_config` with every argument."""
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    assert [c.name for c in classes] == [spec.name]
    methods = {f.name: f for f in classes[0].body if isinstance(f, ast.FunctionDef)}
    init = methods["__init__"]
    params = [a.arg for a in init.args.args]
    assert params == ["self", *spec.args]
    assert init.args.kwarg is not None and init.args.kwarg.arg == "kwargs"
    assigned: list[str] = []
    super_seen = False
    for node in init.body:
        if isinstance(node, ast.Expr) and "super().__init__" in ast.unparse(node):
            super_seen = True
        for target in getattr(node, "targets", []):
            if isinstance(target, ast.Attribute):
                assert super_seen, f"self.{target.attr} set before super().__init__"
                assigned.append(target.attr)
    assert len(assigned) == len(set(assigned)), f"attributes set twice: {assigned}"
    config = methods["get_config"]
    keys = [
        k.value
        for node in ast.walk(config)
        if isinstance(node, ast.Dict)
        for k in node.keys
        if isinstance(k, ast.Constant)
    ]
    assert keys == list(spec.args)
    assert list(methods)[:1] == ["__init__"]


def valid_specs_give_clean_stable_code(data: dict[str, Any]) -> None:
    """Compiles; a black fixed point; header and digest right; re-rendering is
    byte-identical, in memory and through the files written (user regions included)."""
    text = spec_yaml(data)
    spec = _load(text)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        plan = _plan(spec, text, out)
        layer, test = plan.changes[0], plan.changes[1]
        assert layer.path.name == f"{spec.module_name}.py"
        for change in (layer, test):
            code = change.text
            tree = compile(code, str(change.path), "exec", ast.PyCF_ONLY_AST)
            compile(tree, str(change.path), "exec")
            assert format_code(code) == code, "not a black fixed point"
            assert code.startswith(f"# Generated by klgen {__version__} from {SPEC}.")
            assert recorded_digest(code) == digest(code)
            assert (
                "\r" not in code and code.endswith("\n") and not code.endswith("\n\n")
            )
        _check_layer_ast(ast.parse(layer.text), spec)
        again = _plan(spec, text, out)
        assert [c.text for c in again.changes] == [c.text for c in plan.changes]
        write_all(plan)
        synced = _plan(spec, text, out, mode="sync")
        assert [c.status for c in synced.changes] == [IDENTICAL] * len(synced.changes)


(
    test_valid_specs_give_clean_stable_code,
    test_valid_specs_give_clean_stable_code_quick,
) = _tiers(valid_specs_give_clean_stable_code, 200, 5, data=specs())


def generated_code_is_ruff_clean(batch: list[dict[str, Any]]) -> None:
    """ruff, run once over a batch of generated layers and tests, finds nothing."""
    with tempfile.TemporaryDirectory() as folder:
        for i, data in enumerate(batch):
            text = spec_yaml(data)
            out = Path(folder) / f"spec{i}"
            plan = _plan(_load(text), text, out)
            write_all(plan)
        done = subprocess.run(
            [str(Path(sys.executable).parent / "ruff"), "check", *RUFF, folder],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


test_generated_code_is_ruff_clean, test_generated_code_is_ruff_clean_quick = _tiers(
    generated_code_is_ruff_clean,
    20,
    1,
    batch=st.lists(specs(), min_size=8, max_size=8),
)


# -- repositories: `klgen new`, then `klgen check` -------------------------------------
PYPROJECT = """\
[project]
name = "proj"
version = "0.0.0"

[tool.klgen]
package = "proj"
layers_dir = "layers"
tests_dir = "tests"
"""


def generated_repository_passes_check(data: dict[str, Any], edit: int) -> None:
    """`klgen new --spec` in a repository, then `klgen check` passes; after an edit
    outside the user regions it fails and names the file."""
    text = spec_yaml(data)
    spec = _load(text)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
        (root / "layers").mkdir()
        spec_path = root / "layers" / f"{spec.module_name}.klgen.yaml"
        spec_path.write_text(text, encoding="utf-8")
        made = klgen(root, ["new", "--spec", str(spec_path.relative_to(root))])
        assert made.exit_code == 0, made.output
        checked = klgen(root, ["check"])
        assert checked.exit_code == 0, checked.output
        layer = root / "layers" / f"{spec.module_name}.py"
        lines = layer.read_text(encoding="utf-8").splitlines(keepends=True)
        code_lines = [i for i, line in enumerate(lines) if line.startswith("    def ")]
        at = code_lines[edit % len(code_lines)]
        lines.insert(at, "    # a hand edit outside the user regions\n")
        layer.write_text("".join(lines), encoding="utf-8")
        checked = klgen(root, ["check"])
        assert checked.exit_code == 1, checked.output
        assert f"layers/{spec.module_name}.py: edited outside its user regions" in (
            checked.output
        )


(
    test_generated_repository_passes_check,
    test_generated_repository_passes_check_quick,
) = _tiers(
    generated_repository_passes_check, 60, 2, data=specs(), edit=st.integers(0, 10**6)
)


# -- invalid mutations of valid specs --------------------------------------------------
#: The fields of each kind of mapping, by the path of the mapping in a spec.
MODELS: dict[str, Any] = {
    "": LayerSpec,
    "args.*": Arg,
    "weights.*": Weight,
    "call": CallBodies,
    "input_spec": InputSpec,
    "examples.*": Example,
}
#: A value of the wrong type for each field that has one (`Any` fields have none).
WRONG: dict[str, list[str]] = {
    "str": ["[1, 2]", "{a: 1}"],
    "bool": ['"yes"', "3", "[true]"],
    "int": ['"one"', "1.5", "[1]"],
    "list": ["{a: 1}", "7"],
    "dict": ["[1, 2]", "7", '"text"'],
    "literal": ["maybe", "7", "[none]"],
    "number": ['"abc"', "[0]"],
}
FIELD_KINDS = {
    "klgen": "literal",
    "name": "str",
    "module": "str",
    "summary": "str",
    "description": "str",
    "references": "list",
    "package": "str",
    "target": "literal",
    "allow_shadowing": "bool",
    "args": "dict",
    "weights": "dict",
    "seed_generator": "str",
    "masking": "literal",
    "training": "bool",
    "build": "str",
    "state": "dict",
    "call": "dict",
    "compute_mask": "str",
    "output_shape": "str",
    "float32_internal": "bool",
    "input_spec": "dict",
    "examples": "list",
    "args.*.type": "str",
    "args.*.min": "number",
    "args.*.max": "number",
    "args.*.range": "str",
    "args.*.choices": "list",
    "args.*.doc": "str",
    "weights.*.shape": "list",
    "weights.*.initializer": "str",
    "weights.*.regularizer": "str",
    "weights.*.constraint": "str",
    "weights.*.trainable": "bool",
    "weights.*.dtype": "str",
    "weights.*.aggregation": "literal",
    "weights.*.autocast": "bool",
    "weights.*.when": "str",
    "weights.*.doc": "str",
    "call.body": "str",
    "call.training": "str",
    "call.inference": "str",
    "input_spec.ndim": "int",
    "input_spec.min_ndim": "int",
    "input_spec.max_ndim": "int",
    "input_spec.axes": "dict",
    "examples.*.input_shape": "list",
    "examples.*.init": "dict",
    "examples.*.mask": "bool",
    "examples.*.dtype": "str",
}


def _pattern(path: tuple[Any, ...]) -> str:
    """`("args", "rate", "type")` -> `args.*.type`: the field, whatever the names."""
    out = []
    for i, part in enumerate(path):
        wild = i % 2 == 1 and path[0] in ("args", "weights", "examples")
        out.append("*" if wild else str(part))
    return ".".join(out)


def _nodes(text: str) -> dict[tuple[Any, ...], tuple[int, int, int]]:
    """Path -> (key line, value first line, value last line), 1-based, of every value."""
    out: dict[tuple[Any, ...], tuple[int, int, int]] = {}

    def walk(node: yaml.Node, path: tuple[Any, ...], key_line: int) -> None:
        end = node.end_mark.line + (0 if node.end_mark.column else -1)
        out[path] = (
            key_line,
            node.start_mark.line + 1,
            max(end, node.start_mark.line) + 1,
        )
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = yaml.safe_load(k.value) if k.tag.endswith(":int") else k.value
                walk(v, (*path, key), k.start_mark.line + 1)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i), item.start_mark.line + 1)

    walk(yaml.compose(text), (), 1)
    return out


def _field_paths(nodes: dict[tuple[Any, ...], Any]) -> list[tuple[Any, ...]]:
    return sorted((p for p in nodes if p and _pattern(p) in FIELD_KINDS), key=str)


def _replace_value(text: str, path: tuple[Any, ...], new: str) -> str:
    """`text` with the value at `path` replaced by the flow-style YAML `new`."""
    node = yaml.compose(text)
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next(
                v
                for k, v in node.value
                if (yaml.safe_load(k.value) if k.tag.endswith(":int") else k.value)
                == part
            )
        else:
            node = node.value[part]
    start, end = node.start_mark.index, node.end_mark.index
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) or node.style in (
        "|",
        ">",
    ):
        # A block value starts on a line of its own: put the new value on the key's line.
        start = text.rfind(":", 0, start) + 1
        line_start = text.rfind("\n", 0, end) + 1
        if not text[line_start:end].strip():  # the next key's indentation stays
            end = line_start
        tail = text[end:]
        return (
            text[:start]
            + " "
            + new
            + ("\n" if not tail.startswith("\n") else "")
            + tail
        )
    return text[:start] + new + text[end:]


def _misspell(word: str, how: int) -> str:
    if how == 0 and len(word) > 2:
        return word[:1] + word[2:]  # a dropped letter
    if how == 1 and len(word) > 2:
        return word[:1] + word[2] + word[1] + word[3:]  # two letters swapped
    if how == 2:
        return word + word[-1]  # a doubled letter
    return word.upper()


MUTATIONS = [
    "delete_required",
    "misspell_key",
    "wrong_type",
    "bad_body",
    "bad_name",
    "bad_yaml",
]
BAD_CODE = ["x = = 1", "outputs = (", "if inputs\n    pass", "return = 3", "def (:"]
BAD_CLASS_NAMES = ["lower_case", "Class-Name", "None", "2Fast", "Dropout", "", "Über"]
BAD_ARG_NAMES = [
    "Bad-Name",
    "class",
    "2fast",
    "name",
    "dtype",
    "kwargs",
    "inputs",
    "sum",
]


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, str, set[int] | None]:
    """(mutated YAML, what was done, the spec lines the error may be reported at)."""
    data = draw(specs())
    kind = draw(st.sampled_from(MUTATIONS))
    text = spec_yaml(data)
    nodes = _nodes(text)
    if kind == "delete_required":
        # (not `examples`: a spec without them gets the example flags use)
        key = draw(st.sampled_from(["klgen", "name", "summary"]))
        del data[key]
        return spec_yaml(data), f"deleted `{key}`", None
    if kind == "misspell_key":
        path = draw(st.sampled_from(_field_paths(nodes)))
        parent = _pattern(path[:-1]) if path[:-1] else ""
        fields = set(MODELS[parent].model_fields)
        wrong = _misspell(str(path[-1]), draw(st.integers(0, 3)))
        assume(wrong not in fields)
        key_line = nodes[path][0]
        lines = text.splitlines(keepends=True)
        line = lines[key_line - 1]
        lines[key_line - 1] = line.replace(f"{path[-1]}:", f"{wrong}:", 1)
        return "".join(lines), f"misspelled `{path[-1]}` as `{wrong}`", {key_line}
    if kind == "wrong_type":
        path = draw(st.sampled_from(_field_paths(nodes)))
        new = draw(st.sampled_from(WRONG[FIELD_KINDS[_pattern(path)]]))
        mutated = _replace_value(text, path, new)
        key_line = nodes[path][0]
        return mutated, f"`{_pattern(path)}` = {new}", {key_line, key_line + 1}
    if kind == "bad_body":
        code_paths = [
            p
            for p in (
                ("build",),
                ("compute_mask",),
                ("call", "body"),
                ("call", "training"),
                ("call", "inference"),
            )
            if p in nodes
        ]
        assume(code_paths)
        path = draw(st.sampled_from(code_paths))
        bad = draw(st.sampled_from(BAD_CODE))
        target: Any = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = target[path[-1]] + bad + "\n"
        mutated = spec_yaml(data)
        _, first, last = _nodes(mutated)[path]
        bad_lines = set(range(last - bad.count("\n") - 1, last + 1))
        return mutated, f"bad code in `{'.'.join(path)}`: {bad!r}", bad_lines
    if kind == "bad_name":
        if draw(st.booleans()) or not data["args"]:
            data["name"] = draw(st.sampled_from(BAD_CLASS_NAMES))
            data.pop("allow_shadowing", None)
            mutated = spec_yaml(data)
            return mutated, f"name {data['name']!r}", {_nodes(mutated)[("name",)][0]}
        old = draw(st.sampled_from(sorted(data["args"])))
        new = draw(st.sampled_from(BAD_ARG_NAMES))
        assume(new not in data["args"])
        data["args"] = {(new if k == old else k): v for k, v in data["args"].items()}
        mutated = spec_yaml(data)
        return mutated, f"arg name {new!r}", {_nodes(mutated)[("args", new)][0]}
    lines = text.splitlines(keepends=True)
    at = draw(st.integers(1, len(lines) - 1))
    breakage = draw(st.sampled_from(["tab", "unclosed", "dedent"]))
    if breakage == "tab":
        lines.insert(at, "\tname: Tabbed\n")
    elif breakage == "unclosed":
        lines.insert(at, "references: [unclosed\n")
    else:
        lines.insert(at, "   - stray: [1\n")
    mutated = "".join(lines)
    try:  # inside a `|` block of prose, an indented line is only more prose
        yaml.safe_load(mutated)
    except yaml.YAMLError:
        return mutated, f"YAML {breakage} at line {at + 1}", None
    assume(False)
    raise AssertionError("unreachable")


LOCATED = re.compile(rf"^{re.escape(SPEC)}:(\d+):(\d+): ")


def invalid_mutations_are_refused_with_a_location(
    case: tuple[str, str, set[int] | None],
) -> None:
    text, what, lines = case
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / SPEC).write_text(text, encoding="utf-8")
        result = klgen(root, ["new", "--spec", SPEC, "--out", "out"])
        files = {p.relative_to(root).as_posix() for p in root.rglob("*")}
    report = f"{what}\n--- stderr ---\n{result.stderr}--- spec ---\n{text}"
    assert result.exit_code == 2, report
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "internal error" not in result.stderr
    assert files == {SPEC}, f"klgen wrote {files - {SPEC}} for a refused spec"
    located = [LOCATED.match(line) for line in result.stderr.splitlines()]
    places = [(int(m.group(1)), int(m.group(2))) for m in located if m]
    assert places, f"no FILE:LINE:COL: location\n{report}"
    count = len(text.splitlines())
    assert all(1 <= line <= count + 1 and col >= 1 for line, col in places), report
    if lines is not None:
        assert any(
            line in lines for line, _ in places
        ), f"not at lines {lines}\n{report}"


(
    test_invalid_mutations_are_refused_with_a_location,
    test_invalid_mutations_are_refused_with_a_location_quick,
) = _tiers(invalid_mutations_are_refused_with_a_location, 760, 20, case=mutations())


# -- a sampled subset through the runtime contract -------------------------------------
@pytest.mark.harness
@pytest.mark.slow
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=runtime_specs())
def test_sampled_generated_layers_pass_klgen_verify(data: dict[str, Any]) -> None:
    """Random specs of layers that must honour the runtime contract: `klgen verify`
    passes on one backend (the fastest installed), every check."""
    import importlib.util

    backend = next(
        (b for b in ("jax", "tensorflow", "torch") if importlib.util.find_spec(b)), None
    )
    if backend is None:
        pytest.skip("no Keras backend is installed")
    text = spec_yaml(data)
    spec = _load(text)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        path = root / f"{spec.module_name}.klgen.yaml"
        path.write_text(text, encoding="utf-8")
        made = klgen(root, ["new", "--spec", path.name, "--out", "."])
        assert made.exit_code == 0, made.output
        done = subprocess.run(
            [KLGEN, "verify", path.name, "--backend", backend],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
            timeout=900,  # a hang guard; the harness times out each check itself
        )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n--- spec ---\n{text}"
