"""The check of a templates overlay: every catalogue example and repository spec rendered
through it must parse, be a black and ruff fixed point, pass the lint, and (on request)
verify, so that a broken template is stopped before anyone generates a layer with it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.files.header import read_header, recorded_digest
from keraslayer_gen.files.layout import Layout, out_layout
from keraslayer_gen.generate.formatting import format_code
from keraslayer_gen.generate.overlay import Overlay
from keraslayer_gen.generate.render import TARGET_DIRS, template_name
from keraslayer_gen.generate.template_errors import TemplateError, locate, source_of
from keraslayer_gen.lint.driver import lint_source
from keraslayer_gen.spec.catalogue import (
    SpecSource,
    example_names,
    load_example,
    load_spec,
)
from keraslayer_gen.workflows.new import plan_layer

RUFF_OPTIONS = ("--isolated", "--no-cache", "--extend-select", "B,UP,W")
_RUFF_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$")


@dataclass(frozen=True)
class TemplateProblem:
    """One failure: where in the templates (`TEMPLATE:LINE` when known), what, and for
    which spec and target."""

    where: str
    message: str
    case: str  # `example:dense, keras3`

    def __str__(self) -> str:
        return f"{self.where}: {self.message} [{self.case}]"


@dataclass
class TemplateReport:
    """What `klgen templates check` found, and how much it rendered and verified."""

    problems: list[TemplateProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cases: int = 0  # spec x target renderings
    files: int = 0
    verified: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """One line per problem; the same problem in several cases is one line."""
        cases: dict[tuple[str, str], list[str]] = {}
        for problem in self.problems:
            cases.setdefault((problem.where, problem.message), []).append(problem.case)
        return [
            f"{where}: {message} [{'; '.join(found)}]"
            for (where, message), found in cases.items()
        ]


@dataclass(frozen=True)
class _Output:
    case: str
    target: str
    kind: str  # layer | test
    path: Path
    text: str


def check_templates(
    overlay: Overlay | None,
    layout: Layout | None,
    *,
    examples: list[str] | None = None,
    verify_backend: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> TemplateReport:
    """Render the catalogue (only `examples`, when given) and, without `examples`, the
    specs of `layout`'s repository through `overlay` for each target a spec supports, and
    check every output; with `verify_backend`, run `klgen verify`'s contract on it."""
    report = TemplateReport()
    if overlay is not None:
        _unreachable(overlay, report)
    sources = _sources(layout, examples, report)
    with tempfile.TemporaryDirectory(prefix="klgen-templates-") as tmp:
        outputs: list[_Output] = []
        for index, (label, source) in enumerate(sources):
            for target in _targets(source):
                report.cases += 1
                folder = Path(tmp) / f"{index:02d}-{source.spec.module_name}" / target
                outputs += _render(
                    source, label, target, folder, overlay, layout, report
                )
        report.files = len(outputs)
        for output in outputs:
            _static(output, overlay, report)
        _ruff(outputs, Path(tmp), overlay, report)
        if verify_backend is not None:
            _verify(outputs, verify_backend, overlay, report, progress)
    return report


def _unreachable(overlay: Overlay, report: TemplateReport) -> None:
    from keraslayer_gen.generate.overlay import builtin_names, unreachable
    from keraslayer_gen.spec.names import did_you_mean

    report.problems += [
        TemplateProblem(
            overlay.display(name),
            "no template uses it: it is not the name of a built-in template"
            f"{did_you_mean(name, builtin_names())} and no template of the overlay "
            "imports, includes or extends it",
            "the overlay",
        )
        for name in unreachable(overlay)
    ]


def _sources(
    layout: Layout | None, examples: list[str] | None, report: TemplateReport
) -> list[tuple[str, SpecSource]]:
    names = examples if examples else example_names()
    found = [(f"example:{name}", load_example(name)) for name in names]
    if examples or layout is None:
        return found
    from keraslayer_gen.files.inventory import scan

    for path in scan(layout).specs:
        label = path.resolve().relative_to(layout.root.resolve()).as_posix()
        try:
            found.append((label, load_spec(path)))
        except KlgenError:
            report.notes.append(
                f"{label}: not a valid spec, skipped (`klgen check` says why)"
            )
    return found


def _targets(source: SpecSource) -> list[str]:
    """The targets a spec renders for: its own, and those it has bodies for."""
    spec = source.spec
    return [t for t in TARGET_DIRS if t == spec.target or t in spec.targets]


def _render(
    source: SpecSource,
    label: str,
    target: str,
    folder: Path,
    overlay: Overlay | None,
    layout: Layout | None,
    report: TemplateReport,
) -> list[_Output]:
    case = f"{label}, {target}"
    package = layout.package if layout is not None else None
    try:
        plan = plan_layer(
            source,
            out_layout(folder, package),
            target=target,
            overlay=overlay,
            exports=False,
        )
    except TemplateError as exc:
        report.problems.append(TemplateProblem(exc.where, exc.detail, case))
        return []
    except KlgenError as exc:
        where = source_of(template_name(target, "layer"), overlay)
        report.problems.append(TemplateProblem(where, exc.message, case))
        return []
    folder.mkdir(parents=True, exist_ok=True)
    outputs = []
    for change, kind in zip(plan.changes, ("layer", "test"), strict=False):
        change.path.write_text(change.text, encoding="utf-8", newline="\n")
        outputs.append(_Output(case, target, kind, change.path, change.text))
    return outputs


def _problem(
    output: _Output, line: int, message: str, overlay: Overlay | None, col: int = 0
) -> TemplateProblem:
    """A problem at `line` of a generated file, placed on the template line that wrote
    it when only one template line reads like it."""
    lines = output.text.splitlines()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    template = template_name(output.target, output.kind)
    where = locate(text, overlay) or source_of(template, overlay)
    shown = output.path.name + "".join(f":{n}" for n in (line, col) if n > 0)
    return TemplateProblem(where, f"{shown}: {message}", output.case)


def _static(output: _Output, overlay: Overlay | None, report: TemplateReport) -> None:
    name = output.path.name
    missing = None
    if read_header(output.text) is None:
        missing = (
            "`# Generated by klgen ... from ....` line in its first 2000 characters"
        )
    elif recorded_digest(output.text) is None:
        missing = "`# klgen-digest:` line"
    if missing is not None:
        message = (
            f"{name}: no {missing}, so klgen sync and check cannot manage the file; "
            "call klgen's header macro (`klgen/macros/header.jinja`)"
        )
        where = source_of("macros/header.jinja", overlay)
        report.problems.append(TemplateProblem(where, message, output.case))
    if format_code(output.text, what=name) != output.text:
        report.problems.append(_problem(output, 0, "not a black fixed point", overlay))
    try:
        issues = lint_source(output.text, name)
    except KlgenError as exc:
        report.problems.append(_problem(output, 0, exc.message, overlay))
        return
    for issue in issues:
        message = f"{issue.check}: {issue.message}"
        report.problems.append(_problem(output, issue.line, message, overlay))


def ruff_command() -> list[str] | None:
    """`ruff check` with the options the golden tests use; None when ruff is missing."""
    beside = Path(sys.executable).parent / "ruff"
    ruff = str(beside) if beside.exists() else shutil.which("ruff")
    if ruff is None:
        return None
    return [ruff, "check", *RUFF_OPTIONS, "--output-format", "concise"]


def _ruff(
    outputs: list[_Output],
    folder: Path,
    overlay: Overlay | None,
    report: TemplateReport,
) -> None:
    command = ruff_command()
    if command is None:
        report.notes.append(
            "ruff is not installed, so the outputs were not linted with "
            "it (pip install ruff)"
        )
        return
    if not outputs:
        return
    result = subprocess.run(
        [*command, str(folder)], capture_output=True, text=True, check=False
    )
    if result.returncode not in (0, 1):
        raise KlgenError(
            f"ruff failed: {result.stderr.strip() or result.stdout.strip()}"
        )
    by_path = {o.path.resolve(): o for o in outputs}
    for found in result.stdout.splitlines():
        match = _RUFF_LINE.match(found)
        output = by_path.get(Path(match.group("path")).resolve()) if match else None
        if match is None or output is None:
            continue
        line, col = int(match.group("line")), int(match.group("col"))
        message = f"ruff {match.group('message')}"
        report.problems.append(_problem(output, line, message, overlay, col))


def _verify(
    outputs: list[_Output],
    backend: str,
    overlay: Overlay | None,
    report: TemplateReport,
    progress: Callable[[str], None] | None,
) -> None:
    from keraslayer_gen import harness

    layers = [o for o in outputs if o.kind == "layer"]
    runnable = [o for o in layers if o.target == "keras3" or backend == "tensorflow"]
    if len(runnable) < len(layers):
        report.notes.append(
            f"{len(layers) - len(runnable)} tf-keras layer(s) not verified: they run on "
            "TensorFlow only (--backend tensorflow verifies them)"
        )
    for output in runnable:
        target = harness.resolve_target(str(output.path))
        expectations = harness.expectations_for_target(target)
        run = harness.verify(
            [(target, expectations)],
            backends=[backend],
            checks=harness.select_checks(None, None, False),
            progress=progress,
        )
        report.verified += 1
        where = source_of(template_name(output.target, "layer"), overlay)
        for layer in run.layers:
            messages = [layer.error] if layer.error is not None else []
            messages += [
                f"verify on {b.backend}: the worker failed: {b.message}"
                for b in layer.backends
                if b.status == "failed"
            ]
            messages += [
                f"{output.path.name}: verify {r.check} on {r.backend or 'static'}: "
                f"{r.message}"
                for r in layer.failures
            ]
            for message in messages:
                report.problems.append(TemplateProblem(where, message, output.case))
