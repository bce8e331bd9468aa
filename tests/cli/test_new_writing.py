"""`klgen new --out`: statuses, dry runs, diffs, conflicts, --force, --stdout, and the
paths klgen refuses to write (through a link, outside --out, a read-only folder)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from keraslayer_gen import api
from keraslayer_gen.files.layout import out_layout
from tests.spec.runner import Outcome, run_klgen

EXAMPLE = "dense" if "dense" in api.example_names() else api.example_names()[0]
MODULE = api.load_example(EXAMPLE).spec.module_name
LAYER, TEST = f"{MODULE}.py", f"test_{MODULE}.py"


def _new(folder: Path, *extra: str) -> Outcome:
    return run_klgen(folder, ["new", "--example", EXAMPLE, "--out", "out", *extra])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _expected_layer() -> str:
    """The layer as the library plans it, for a fresh folder."""
    plan = api.plan_layer(
        api.load_example(EXAMPLE), out_layout(Path("/nonexistent-out"))
    )
    return plan.changes[0].text


def test_create_then_identical(tmp_path: Path) -> None:
    first = _new(tmp_path)
    assert first.exit_code == 0, first.stderr
    assert first.stdout == f"create    {LAYER}\ncreate    {TEST}\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted([LAYER, TEST])
    layer = (tmp_path / "out" / LAYER).read_text(encoding="utf-8")
    assert layer == _expected_layer()
    compile(layer, LAYER, "exec")
    before = _snapshot(tmp_path)
    second = _new(tmp_path)
    assert second.exit_code == 0, second.stderr
    assert second.stdout == f"identical {LAYER}\nidentical {TEST}\n"
    assert _snapshot(tmp_path) == before


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    outcome = _new(tmp_path, "--dry-run")
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout == f"create    {LAYER}\ncreate    {TEST}\n"
    assert outcome.stderr == "dry run: nothing was written\n"
    assert outcome.files_after == set()


def test_diff_shows_what_would_change(tmp_path: Path) -> None:
    assert _new(tmp_path).exit_code == 0
    layer = tmp_path / "out" / LAYER
    layer.write_text("x = 1\n", encoding="utf-8")
    outcome = _new(tmp_path, "--dry-run", "--diff", "--force")
    assert outcome.exit_code == 0, outcome.stderr
    lines = outcome.stdout.splitlines()
    assert lines[0] == f"update    {LAYER}"
    assert lines[1:4] == [f"--- a/{LAYER}", f"+++ b/{LAYER}", lines[3]]
    assert lines[3].startswith("@@ -1 +1,")
    assert "-x = 1" in lines
    assert f"+{_expected_layer().splitlines()[0]}" in lines
    assert lines[-1] == f"identical {TEST}"
    assert layer.read_text(encoding="utf-8") == "x = 1\n"  # a dry run


def test_conflict_with_a_foreign_file(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / LAYER).write_text("# mine\n", encoding="utf-8")
    before = _snapshot(tmp_path)
    outcome = _new(tmp_path)
    assert outcome.exit_code == 2
    # the plan; a conflict blocks the whole run, so the test is not created either:
    assert outcome.stdout == (
        f"skipped   {TEST}  (would create; not written because of the conflict)\n"
    )
    assert outcome.stderr.splitlines() == [
        f"conflict  {LAYER}  (exists and was not written by klgen; move it away or use "
        "--force to replace it)",
        "1 conflict(s); nothing was written",
    ]
    assert _snapshot(tmp_path) == before  # all files or none
    assert not (tmp_path / "out" / TEST).exists()


def test_conflict_with_a_klgen_file_from_another_spec_names_sync(
    tmp_path: Path,
) -> None:
    spec = api.example_text(EXAMPLE)
    (tmp_path / "a.klgen.yaml").write_text(spec, encoding="utf-8")
    assert (
        run_klgen(tmp_path, ["new", "--spec", "a.klgen.yaml", "--out", "."]).exit_code
        == 0
    )
    summary = api.load_example(EXAMPLE).spec.summary
    changed = spec.replace(f"summary: {summary}", "summary: A different summary.")
    assert changed != spec
    (tmp_path / "a.klgen.yaml").write_text(changed, encoding="utf-8")
    before = _snapshot(tmp_path)
    outcome = run_klgen(tmp_path, ["new", "--spec", "a.klgen.yaml", "--out", "."])
    assert outcome.exit_code == 2
    assert (
        outcome.stdout == f"identical {TEST}\n"
    )  # the summary is not in the test file
    assert outcome.stderr.splitlines() == [
        f"conflict  {LAYER}  (exists and differs from what this spec generates; run "
        "`klgen sync` to regenerate it or use --force)",
        "1 conflict(s); nothing was written",
    ]
    assert _snapshot(tmp_path) == before


def test_force_replaces_a_different_file(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / LAYER).write_text("# mine\n", encoding="utf-8")
    outcome = _new(tmp_path, "--force")
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout == f"update    {LAYER}\ncreate    {TEST}\n"
    assert (tmp_path / "out" / LAYER).read_text(encoding="utf-8") == _expected_layer()
    assert not [
        p for p in (tmp_path / "out").iterdir() if p.name.endswith(".klgen-tmp")
    ]


def test_stdout_prints_the_layer_and_writes_nothing(tmp_path: Path) -> None:
    outcome = _new(tmp_path, "--stdout")
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout == _expected_layer()
    assert outcome.files_after == set()


def test_a_symlinked_folder_inside_out_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "specs").symlink_to(elsewhere, target_is_directory=True)
    outcome = _new(tmp_path, "--save-spec", "out/specs/layer.klgen.yaml")
    assert outcome.exit_code == 2
    assert outcome.error_lines == [
        f"out/specs/layer.klgen.yaml: {tmp_path / 'out' / 'specs'} is a symbolic link; "
        "klgen does not write through links"
    ]
    assert list(elsewhere.iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["specs"]


def test_a_symlinked_file_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / LAYER).symlink_to(elsewhere / "target.py")
    outcome = _new(tmp_path)
    assert outcome.exit_code == 2
    assert outcome.error_lines == [
        f"out/{LAYER}: {tmp_path / 'out' / LAYER} is a symbolic link; klgen does not "
        "write through links"
    ]
    assert list(elsewhere.iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        LAYER
    ]  # no temp files


def test_a_path_outside_out_is_refused(tmp_path: Path) -> None:
    outcome = _new(tmp_path, "--save-spec", "layer.klgen.yaml")
    assert outcome.exit_code == 2
    assert outcome.error_lines == [
        f"layer.klgen.yaml: outside the repository root {tmp_path / 'out'}; klgen writes "
        "only inside it"
    ]
    assert outcome.files_after == set()


def _without_write_permission() -> list[str] | None:
    """A command prefix under which file permissions bind: nothing as a normal user; as
    root, `setpriv` dropping the capabilities that bypass them; None if impossible."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        return None
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]


@pytest.mark.skipif(
    sys.platform == "win32" or _without_write_permission() is None,
    reason="needs POSIX permissions that bind (setpriv, as root)",
)
@pytest.mark.parametrize("which", ["out", "spec-folder"])
def test_a_read_only_folder_is_a_clear_error_and_nothing_is_half_written(
    tmp_path: Path, which: str
) -> None:
    """Two layouts: the whole --out read-only; or --out writable and the folder of the
    third file (the saved spec) read-only, so two files stage before the failure."""
    out = tmp_path / "out"
    locked = out if which == "out" else out / "specs"
    locked.mkdir(parents=True)
    locked.chmod(0o555)
    try:
        argv = [
            *_without_write_permission(),
            sys.executable,
            "-m",
            "keraslayer_gen.cli",
        ]
        argv += ["new", "--example", EXAMPLE, "--out", str(out)]
        if which == "spec-folder":
            argv += ["--save-spec", str(locked / "layer.klgen.yaml")]
        env = {**os.environ, "KLGEN_NO_CACHE": "1"}
        result = subprocess.run(
            argv, capture_output=True, text=True, cwd=tmp_path, env=env
        )
        target = locked / (LAYER if which == "out" else "layer.klgen.yaml")
        assert result.returncode == 2, result.stderr
        assert result.stderr == (
            f"cannot write {target}: Permission denied; nothing was written\n"
        )
        assert "Traceback" not in result.stderr
        leftovers = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
        assert leftovers == ([] if which == "out" else ["specs"])
    finally:
        locked.chmod(0o755)
