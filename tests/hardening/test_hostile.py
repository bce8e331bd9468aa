"""Hostile input: each case ends in a clear error or a correct result, and nothing the user
had is lost. No Keras here; the processes that are killed or raced are real ones.
"""

from __future__ import annotations

import ast
import errno
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from keraslayer_gen import api
from keraslayer_gen.errors import KlgenError
from keraslayer_gen.files.layout import out_layout
from keraslayer_gen.files.regions import extract

from .helpers import files, klgen, run_process

SPEC = "scale.klgen.yaml"


def scale_spec(factor: float = 2.0, **fields: Any) -> str:
    """A small valid spec; `fields` override or add top-level fields."""
    data: dict[str, Any] = {
        "klgen": 1,
        "name": "Scale",
        "summary": "Multiplies its inputs by a factor.",
        "args": {
            "factor": {"type": "float", "default": factor, "min": 0, "doc": "Factor."}
        },
        "call": {"body": "outputs = inputs * self.factor\n"},
        "examples": [{"input_shape": [2, 3]}],
    }
    data.update(fields)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _generated(root: Path, out: str = "out") -> dict[str, bytes]:
    return {k: v for k, v in files(root).items() if k.startswith(f"{out}/")}


_STAGED = (".klgen-tmp", ".klgen-bak")


def _leftovers(root: Path) -> list[str]:
    return [p.name for p in root.rglob("*") if p.name.endswith(_STAGED)]


def _refused(result: Any, *, located: str | None = None) -> str:
    """Exit 2, an error for people (no traceback, no internal error); its stderr."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "internal error" not in result.stderr
    if located is not None:
        assert re.search(
            rf"^{re.escape(located)}:\d+:\d+: ", result.stderr, re.M
        ), result.stderr
    return result.stderr


# -- injection ------------------------------------------------------------------------
PAYLOADS = [
    '"""',
    "'''",
    '\\"""\n__import__("os").system("touch pwned")\n"""',
    '"""\n__import__("os").system("touch pwned")\n""" and more',
    "{{ 7 * 7 }}",
    "{% if true %}jinja{% endif %}",
    "\n__import__('os').system('touch pwned')\n",
    "ends with a backslash \\",
    'ends with a quote"',
    "\\N{BULLET} \\x00 \\u2028",
    "line\r\nwith CRLF and \t tab",
]


class _Blank(ast.NodeTransformer):
    """Every string constant made the same: what is left is the code itself."""

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str):
            return ast.copy_location(ast.Constant("S"), node)
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        kept = [self.visit(v) for v in node.values if isinstance(v, ast.FormattedValue)]
        return ast.copy_location(ast.JoinedStr(values=kept), node)


def _code_shape(text: str) -> str:
    return ast.dump(_Blank().visit(ast.parse(text)))


def _spec_with_text(text: str) -> str:
    return scale_spec(
        summary=f"Summary {text}",
        description=f"{text}\n\n- {text}\n",
        references=[text],
        args={
            "mode": {
                "type": "str",
                "default": text,
                "choices": [text, "other"],
                "doc": text,
            },
            "factor": {"type": "float", "default": 2.0, "doc": text},
        },
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_through_docs_defaults_and_choices_stays_in_strings(
    payload: str, tmp_path: Path
) -> None:
    """Text from a spec only ever becomes string contents: the code is the same as for
    harmless text, the default and the choices are the exact strings, Jinja evaluated
    nothing, and no `__import__` is called."""
    hostile = api.load_spec(_write(tmp_path / "h.klgen.yaml", _spec_with_text(payload)))
    plain = api.load_spec(_write(tmp_path / "p.klgen.yaml", _spec_with_text("plain")))
    layout = out_layout(tmp_path / "out")
    mine = api.plan_layer(hostile, layout)
    theirs = api.plan_layer(plain, layout)
    for a, b in zip(mine.changes, theirs.changes, strict=True):
        compile(a.text, str(a.path), "exec")
        assert _code_shape(a.text) == _code_shape(b.text)
        names = {n.id for n in ast.walk(ast.parse(a.text)) if isinstance(n, ast.Name)}
        assert "__import__" not in names
    tree = ast.parse(mine.changes[0].text)
    docstring = ast.get_docstring(tree.body[-1], clean=False) or ""
    if "{" in payload:  # Jinja saw it as text: nothing was evaluated
        assert payload in docstring
        assert "Summary 49" not in docstring and "Summary jinja" not in docstring
    init = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))
    defaults = dict(
        zip([a.arg for a in init.args.args[1:]], init.args.defaults, strict=True)
    )
    assert ast.literal_eval(defaults["mode"]) == payload
    check = next(n for n in init.body if isinstance(n, ast.If))
    assert ast.literal_eval(check.test.comparators[0]) == (payload, "other")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


NAME_INJECTIONS = [
    ("name", "A\nimport os"),
    ("name", "Foo(keras.layers.Layer):\n    pass\nimport os\nclass Bar"),
    ("module", "os;__import__('os')"),
    ("module", "../escape"),
    ("package", 'x")\nimport os\n#'),
    ("seed_generator", "seed)\nimport os"),
    ("output_shape", "same\nimport os"),
    (
        "args",
        {"x=__import__('os')": {"type": "int", "default": 1}},
    ),
    (
        "weights",
        {"w): pass\nimport os\n#": {"shape": [1]}},
    ),
    (
        "weights",
        {"w": {"shape": [1], "initializer": "zeros'); __import__('os'); ('"}},
    ),
    ("input_spec", {"axes": {-1: "units); import os; ("}}),
]


@pytest.mark.parametrize(
    ("field", "value"), NAME_INJECTIONS, ids=lambda v: repr(v)[:30]
)
def test_injection_through_names_is_refused(
    field: str, value: Any, tmp_path: Path
) -> None:
    _write(tmp_path / SPEC, scale_spec(**{field: value}))
    result = klgen(tmp_path, ["new", "--spec", SPEC, "--out", "out"])
    _refused(result, located=SPEC)
    assert not (tmp_path / "out").exists()


def test_injection_through_the_spec_path(tmp_path: Path) -> None:
    name = 'evil\nimport os\nos.system("touch pwned")\n#.klgen.yaml'
    _write(tmp_path / name, scale_spec())
    result = klgen(tmp_path, ["new", "--spec", name, "--out", "out"])
    if result.exit_code == 2:  # refused: a fine outcome
        assert not (tmp_path / "out").exists()
        return
    assert result.exit_code == 0, result.output
    for path in (tmp_path / "out").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        kinds = {type(node).__name__ for node in tree.body}
        assert kinds <= {
            "Expr",
            "Import",
            "ImportFrom",
            "ClassDef",
            "Assign",
            "FunctionDef",
        }
        calls = [
            n
            for n in tree.body
            if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
        ]
        assert not calls, f"{path.name}: a module-level call came from the spec path"


@pytest.mark.parametrize("region", ["call", "x"])
def test_prose_that_looks_like_a_region_marker(region: str, tmp_path: Path) -> None:
    marker = "# klgen: {} user region `" + region + "`"
    description = f"- item\n{marker.format('begin')}\n{marker.format('end')}\n"
    spec = yaml.safe_load(scale_spec(description=description))
    del spec["call"]  # the body is the file's: a real `call` region
    _write(tmp_path / SPEC, yaml.safe_dump(spec, sort_keys=False))
    result = klgen(tmp_path, ["new", "--spec", SPEC, "--out", "out"])
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 0:
        text = (tmp_path / "out" / "scale.py").read_text(encoding="utf-8")
        assert set(extract(text)) == {"call"}


# -- YAML bombs and big files ----------------------------------------------------------
#: A runaway expansion fails fast instead of taking the machine down with it.
_LIMIT = 2 * 1024**3


def test_billion_laughs_is_bounded(tmp_path: Path) -> None:
    """Aliases that expand to 9**10 values: refused at the alias, in bounded memory."""
    lines = ["klgen: 1", "name: Bomb", "summary: s"]
    lines.append("a0: &a0 [" + ", ".join(['"lol"'] * 9) + "]")
    lines += [
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)
    ]
    lines.append("examples: [{input_shape: [1, 2], init: {x: *a9}}]")
    _write(tmp_path / SPEC, "\n".join(lines) + "\n")
    done = run_process(
        ["new", "--spec", SPEC, "--out", "out"], tmp_path, memory_limit=_LIMIT
    )
    assert done.returncode == 2, done.stderr
    assert re.search(
        rf"^{SPEC}:\d+:\d+: .*expands to more than 50,000 values", done.stderr, re.M
    )
    assert "Traceback" not in done.stderr
    # A few tens of MiB over klgen's own ~40 MiB; the expansion itself would need TiBs.
    assert done.maxrss_kb < 300 * 1024, done.maxrss_kb
    assert not (tmp_path / "out").exists()


def test_ten_megabyte_spec_is_refused_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / SPEC
    with path.open("w", encoding="utf-8") as handle:
        handle.write(scale_spec())
        handle.write("# padding\n" * (10 * 1024**2 // 10))
    read: list[int] = []
    real_open = Path.open

    def spying_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        handle = real_open(self, *args, **kwargs)
        if self.name == SPEC:
            read.append(1)
        return handle

    monkeypatch.setattr(Path, "open", spying_open)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read it all"))
    result = klgen(tmp_path, ["new", "--spec", SPEC, "--out", "out"])
    stderr = _refused(result, located=SPEC)
    assert "a spec may be at most 1,000,000 bytes" in stderr
    assert not read, "the spec was opened although its size already refused it"
    assert not (tmp_path / "out").exists()


def test_endless_spec_device_is_refused(tmp_path: Path) -> None:
    """`--spec /dev/zero` has no size to check first: the read itself is bounded."""
    done = run_process(
        ["new", "--spec", "/dev/zero", "--out", "out"], tmp_path, memory_limit=_LIMIT
    )
    assert done.returncode == 2, done.stderr
    assert "a spec may be at most 1,000,000 bytes" in done.stderr
    assert not (tmp_path / "out").exists()


# -- encodings and line endings --------------------------------------------------------
def _generate_bytes(root: Path, raw: bytes) -> tuple[int, dict[str, bytes], str]:
    (root / SPEC).write_bytes(raw)
    result = klgen(root, ["new", "--spec", SPEC, "--out", "out", "--force"])
    return result.exit_code, _generated(root), result.output


@pytest.mark.parametrize(
    "variant",
    ["bom", "crlf", "cr", "bom+crlf", "tab-indented body"],
)
def test_bom_line_endings_and_tabs_give_the_same_files(
    variant: str, tmp_path: Path
) -> None:
    """Encodings people's editors produce: the same layer as from a plain LF spec."""
    plain = scale_spec().encode("utf-8")
    code, expected, out = _generate_bytes(tmp_path, plain)
    assert code == 0, out
    raw = plain
    if variant == "tab-indented body":
        spec = yaml.safe_load(plain)
        spec["call"][
            "body"
        ] = "if inputs is not None:\n\toutputs = inputs * self.factor\n"
        spec["call"]["body"] += "else:\n\toutputs = inputs\n"
        raw = yaml.safe_dump(spec, sort_keys=False).encode("utf-8")
        reference = dict(spec)
        reference["call"] = {"body": spec["call"]["body"].replace("\t", "    ")}
        code, expected, out = _generate_bytes(
            tmp_path, yaml.safe_dump(reference, sort_keys=False).encode("utf-8")
        )
        assert code == 0, out
    if "crlf" in variant:
        raw = raw.replace(b"\n", b"\r\n")
    elif variant == "cr":
        raw = raw.replace(b"\n", b"\r")
    if "bom" in variant:
        raw = b"\xef\xbb\xbf" + raw
    code, got, out = _generate_bytes(tmp_path, raw)
    assert code == 0, out
    assert got == expected
    assert all(b"\r" not in data and b"\t" not in data for data in got.values())


def test_tab_indented_yaml_is_refused_at_its_line(tmp_path: Path) -> None:
    text = scale_spec().replace("  factor:", "\tfactor:", 1)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("\t"))
    _write(tmp_path / SPEC, text)
    stderr = _refused(
        klgen(tmp_path, ["new", "--spec", SPEC, "--out", "out"]), located=SPEC
    )
    assert f"{SPEC}:{line}:" in stderr
    assert not (tmp_path / "out").exists()


# -- where klgen writes ----------------------------------------------------------------
def _repository(root: Path, layers: str = "layers") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
            [project]
            name = "proj"

            [tool.klgen]
            package = "proj"
            layers_dir = "{layers}"
            tests_dir = "tests"
            """),
        encoding="utf-8",
    )
    _write(root / SPEC, scale_spec())
    return root


def test_layers_dir_outside_the_repository_is_refused(tmp_path: Path) -> None:
    repo = _repository(tmp_path / "repo", layers="../escape")
    _refused(klgen(repo, ["new", "--spec", SPEC]))
    assert not (tmp_path / "escape").exists()


def test_layers_dir_through_a_symlink_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = _repository(tmp_path / "repo")
    (repo / "layers").symlink_to(outside, target_is_directory=True)
    stderr = _refused(klgen(repo, ["new", "--spec", SPEC]))
    assert "link" in stderr or "outside" in stderr, stderr
    assert list(outside.iterdir()) == []


def test_target_file_that_is_a_symlink_is_not_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim.py"
    victim.write_text("precious = True\n", encoding="utf-8")
    repo = _repository(tmp_path / "repo")
    (repo / "layers").mkdir()
    (repo / "layers" / "scale.py").symlink_to(victim)
    result = klgen(repo, ["new", "--spec", SPEC, "--force"])
    _refused(result)
    assert victim.read_text(encoding="utf-8") == "precious = True\n"
    assert (repo / "layers" / "scale.py").is_symlink()


def test_saved_spec_outside_the_repository_is_refused(tmp_path: Path) -> None:
    repo = _repository(tmp_path / "repo")
    result = klgen(repo, ["new", "Doubler", "--save-spec", "../outside.klgen.yaml"])
    _refused(result)
    assert not (tmp_path / "outside.klgen.yaml").exists()
    assert not (repo / "layers").exists()


# -- a read-only folder, a full disk ---------------------------------------------------
def _first_run(root: Path) -> dict[str, bytes]:
    _write(root / SPEC, scale_spec(2.0))
    result = klgen(root, ["new", "--spec", SPEC, "--out", "out"])
    assert result.exit_code == 0, result.output
    # The next run changes both files: the default is in the layer, the example in its test.
    _write(root / SPEC, scale_spec(3.0, examples=[{"input_shape": [3, 4]}]))
    return _generated(root)


def _mount(*args: str) -> bool:
    done = subprocess.run(["mount", *args], capture_output=True, check=False)
    return done.returncode == 0


@pytest.fixture
def small_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A folder on its own 256 KiB tmpfs (root only; skipped elsewhere)."""
    folder = tmp_path / "fs"
    folder.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root to mount a small file system")
    if not _mount("-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)):
        pytest.skip("mount is not permitted here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_read_only_target_folder(tmp_path: Path) -> None:
    """A clear error, exit 2, the previous files intact and nothing half-written."""
    out = tmp_path / "out"
    root = tmp_path
    if os.geteuid() == 0:  # root writes through file modes: make a real read-only mount
        out.mkdir()
        if not _mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(out)):
            pytest.skip(
                "mount is not permitted here: no way to make a read-only folder"
            )
    try:
        before = _first_run(root)
        if os.geteuid() == 0:
            assert _mount("-o", "remount,ro", str(out))
        else:
            out.chmod(0o555)
        result = klgen(root, ["new", "--spec", SPEC, "--out", "out", "--force"])
        stderr = _refused(result)
        assert "nothing was written" in stderr
        assert re.search(
            r"cannot write .*(Read-only file system|Permission denied)", stderr
        )
        assert _generated(root) == before
        assert _leftovers(root) == []
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", "-l", str(out)], check=False)
        else:
            out.chmod(0o755)


def test_full_disk_for_real(small_filesystem: Path) -> None:
    root = small_filesystem
    before = _first_run(root)
    filler = root / "filler"
    with filler.open("wb", buffering=0) as handle:  # fill the file system to the brim
        try:
            while True:
                handle.write(b"\0" * 4096)
                handle.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    result = klgen(root, ["new", "--spec", SPEC, "--out", "out", "--force"])
    stderr = _refused(result)
    assert "No space left on device" in stderr and "nothing was written" in stderr
    assert _generated(root) == before
    assert _leftovers(root) == []


def test_full_disk_while_staging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _first_run(tmp_path)
    calls = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:  # the second file of the plan
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    stderr = _refused(
        klgen(tmp_path, ["new", "--spec", SPEC, "--out", "out", "--force"])
    )
    assert "No space left on device" in stderr and "nothing was written" in stderr
    assert _generated(tmp_path) == before
    assert _leftovers(tmp_path) == []


class _FullDisk:
    """From the moment it fills, the disk takes no more bytes: opening for writing still
    truncates, as a real full disk does, but every write fails."""

    def __init__(self) -> None:
        self.full = False
        self.real_open = io.open

    def open(self, file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = self.real_open(file, mode, *args, **kwargs)
        if self.full and any(m in mode for m in "wax+"):
            handle.close()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return handle


def test_full_disk_while_replacing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills between the first and the second file: the first is put back
    without writing a byte, and the error is clear."""
    before = _first_run(tmp_path)
    disk = _FullDisk()
    real_replace = os.replace

    def replace(src: Any, dst: Any) -> None:
        if str(src).endswith(".klgen-tmp") and Path(dst).name == "test_scale.py":
            disk.full = True
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(io, "open", disk.open)
    stderr = _refused(
        klgen(tmp_path, ["new", "--spec", SPEC, "--out", "out", "--force"])
    )
    assert "No space left on device" in stderr and "nothing was written" in stderr
    assert "could not put back" not in stderr
    assert _generated(tmp_path) == before
    assert _leftovers(tmp_path) == []


# -- killed mid-write, and two at once -------------------------------------------------
CHILD = """
import os, sys, time
point = sys.argv[1]
real_fsync, real_replace = os.fsync, os.replace

def fsync(fd):
    real_fsync(fd)
    if point == "staging":
        print("stop", flush=True)
        time.sleep(600)

def replace(src, dst):
    if str(src).endswith(".klgen-tmp") and os.path.basename(dst) == "test_scale.py":
        if point == "between":
            print("stop", flush=True)
            time.sleep(600)
    real_replace(src, dst)

os.fsync, os.replace = fsync, replace
from keraslayer_gen.cli import app
app(sys.argv[2:], prog_name="klgen")
"""


@pytest.mark.parametrize("point", ["staging", "between"])
def test_killed_while_writing(point: str, tmp_path: Path) -> None:
    """SIGKILL while the new texts are staged, or after the layer was replaced but
    before its test: every file is whole (its previous or its new text), the file not
    yet replaced is untouched, and the next run completes and leaves nothing behind."""
    before = _first_run(tmp_path)
    after_plan = api.plan_layer(
        api.load_spec(tmp_path / SPEC), out_layout(tmp_path / "out"), force=True
    )
    new = {f"out/{c.path.name}": c.text.encode() for c in after_plan.changes}
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            point,
            "new",
            "--spec",
            SPEC,
            "--out",
            "out",
            "--force",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    for line in child.stdout:  # klgen prints the plan first
        if line.strip() == "stop":
            break
    else:
        pytest.fail(f"the child ended before the kill point (exit {child.wait()})")
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    now = {k: v for k, v in _generated(tmp_path).items() if not k.endswith(_STAGED)}
    assert set(now) == set(before)
    for name, data in now.items():
        assert data in (before[name], new[name]), f"{name} is neither old nor new"
    assert now["out/test_scale.py"] == before["out/test_scale.py"]
    if point == "staging":
        assert now == before
    result = klgen(tmp_path, ["new", "--spec", SPEC, "--out", "out", "--force"])
    assert result.exit_code == 0, result.output
    assert _generated(tmp_path) == new
    assert _leftovers(tmp_path) == []


def test_another_klgen_holding_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    before = _first_run(tmp_path)
    monkeypatch.setenv("KLGEN_LOCK_TIMEOUT", "0.3")
    fd = os.open(tmp_path / "out", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        result = klgen(tmp_path, ["new", "--spec", SPEC, "--out", "out", "--force"])
    finally:
        os.close(fd)
    stderr = _refused(result)
    assert "another klgen is writing" in stderr and "nothing was written" in stderr
    assert _generated(tmp_path) == before
    result = klgen(tmp_path, ["new", "--spec", SPEC, "--out", "out", "--force"])
    assert result.exit_code == 0, result.output


def test_file_changed_after_planning_is_not_overwritten(tmp_path: Path) -> None:
    _first_run(tmp_path)
    plan = api.plan_layer(
        api.load_spec(tmp_path / SPEC), out_layout(tmp_path / "out"), force=True
    )
    edited = tmp_path / "out" / "scale.py"
    edited.write_text("# the user's work\n", encoding="utf-8")
    with pytest.raises(KlgenError, match="changed since klgen read it"):
        api.write(plan)
    assert edited.read_text(encoding="utf-8") == "# the user's work\n"


RACER = """
import os, sys, time
from pathlib import Path
from keraslayer_gen.files import plan as writer
me, other = sys.argv[1], sys.argv[2]
real_lock, real_replace = writer.repository_lock, os.replace

def lock(root):
    # Both have planned before either writes: wait for the other at the door.
    Path(me).touch()
    deadline = time.monotonic() + 60
    while not Path(other).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return real_lock(root)

def replace(src, dst):
    if str(src).endswith(".klgen-tmp"):
        time.sleep(0.3)  # a slow disk: the other one must wait for the lock
    real_replace(src, dst)

writer.repository_lock, os.replace = lock, replace
from keraslayer_gen.cli import app
app(sys.argv[3:], prog_name="klgen")
"""


def test_two_klgens_at_once(tmp_path: Path) -> None:
    """Two `klgen new --force` from different specs, planned at the same moment: one
    writes, the other is refused with a clear message, and the files are all the
    winner's, never a mix."""
    _first_run(tmp_path)
    for name, factor in (("a.klgen.yaml", 4.0), ("b.klgen.yaml", 5.0)):
        _write(tmp_path / name, scale_spec(factor))
    expected = {}
    for name in ("a.klgen.yaml", "b.klgen.yaml"):
        plan = api.plan_layer(
            api.load_spec(tmp_path / name), out_layout(tmp_path / "out"), force=True
        )
        expected[name] = {f"out/{c.path.name}": c.text.encode() for c in plan.changes}
    racers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                RACER,
                f"ready-{me}",
                f"ready-{other}",
                "new",
                "--spec",
                me,
                "--out",
                "out",
                "--force",
            ],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for me, other in (
            ("a.klgen.yaml", "b.klgen.yaml"),
            ("b.klgen.yaml", "a.klgen.yaml"),
        )
    ]
    outcomes = []
    for racer in racers:
        _, err = racer.communicate(timeout=120)
        outcomes.append((racer.returncode, err))
    codes = sorted(code for code, _ in outcomes)
    assert codes == [0, 2], outcomes
    loser = next(err for code, err in outcomes if code == 2)
    assert "changed since klgen read it" in loser and "Traceback" not in loser
    winner = ("a.klgen.yaml", "b.klgen.yaml")[[c for c, _ in outcomes].index(0)]
    assert _generated(tmp_path) == expected[winner]
    assert _leftovers(tmp_path) == []
    # Nothing was left locked, and klgen is happy with the result.
    assert klgen(tmp_path, ["new", "--spec", winner, "--out", "out"]).exit_code == 0


def test_dry_run_does_not_take_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading never waits for a writer: `--dry-run` answers while the lock is held."""
    import fcntl

    before = _first_run(tmp_path)
    monkeypatch.setenv("KLGEN_LOCK_TIMEOUT", "0")
    fd = os.open(tmp_path / "out", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        result = klgen(
            tmp_path, ["new", "--spec", SPEC, "--out", "out", "--force", "--dry-run"]
        )
    finally:
        os.close(fd)
    assert result.exit_code == 0, result.output
    assert "update" in result.output and "another klgen" not in result.output
    assert _generated(tmp_path) == before
