"""The report of a verify run: results per check and backend, as data and as a text table.

`Report.to_dict()` is the `--json` document (schema in `keraslayer_gen.cli.verify`);
`Report.render()` is the table people read. The library never prints: callers do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from keraslayer_gen import __version__
from keraslayer_gen.harness.checklist import CHECK_IDS
from keraslayer_gen.harness.expectations import Expectations

PASS, FAIL, SKIP = "pass", "fail", "skip"
SCHEMA_VERSION = 1
_COLORS = {PASS: "\x1b[32m", FAIL: "\x1b[31;1m", SKIP: "\x1b[33m"}
_RESET = "\x1b[0m"


@dataclass
class CheckResult:
    """One check on one backend (`backend` is None for the static checks)."""

    check: str
    backend: str | None
    status: str  # pass | fail | skip
    seconds: float = 0.0
    message: str = ""  # fail: what is wrong and how to fix it; skip: why it did not run
    notes: list[str] = field(default_factory=list)  # what was observed, how it was run


@dataclass
class BackendRun:
    """One backend's worker process."""

    backend: str
    status: str = "ok"  # ok | failed (crash, timeout) | unavailable (not installed)
    message: str = ""
    seconds: float = 0.0  # wall time of the worker, imports included
    import_seconds: float = 0.0  # importing Keras, the backend and the layer
    keras_version: str = ""
    observed: dict[str, Any] = field(default_factory=dict)


@dataclass
class LayerReport:
    """Everything verify found out about one target."""

    target: str
    class_name: str | None = None
    module: str | None = None
    source: str | None = None  # the layer's file, when known
    spec: str | None = None  # where the expectations came from, when a spec
    expectations: Expectations | None = None
    checks: list[str] = field(default_factory=list)
    backends: list[BackendRun] = field(default_factory=list)
    results: list[CheckResult] = field(default_factory=list)
    error: str | None = None  # the target could not be loaded: exit 2

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == FAIL]

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return 2
        crashed = any(b.status == "failed" for b in self.backends)
        return 1 if self.failures or crashed else 0

    def result(self, check: str, backend: str | None) -> CheckResult | None:
        for r in self.results:
            if r.check == check and r.backend == backend:
                return r
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "class": self.class_name,
            "module": self.module,
            "source": self.source,
            "spec": self.spec,
            "error": self.error,
            "exit_code": self.exit_code,
            "checks": list(self.checks),
            "expectations": self.expectations.to_dict() if self.expectations else None,
            "observed": (
                self.expectations.observed_fields() if self.expectations else []
            ),
            "backends": [asdict(b) for b in self.backends],
            "results": [asdict(r) for r in self.results],
        }


@dataclass
class Report:
    """A verify run over one or more targets."""

    layers: list[LayerReport] = field(default_factory=list)
    interrupted: bool = False  # only what finished before an interrupt (exit 130)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return max((layer.exit_code for layer in self.layers), default=0)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "klgen": __version__,
            "ok": self.ok,
            "exit_code": self.exit_code,
            "interrupted": self.interrupted,
            "layers": [x.to_dict() for x in self.layers],
        }

    def render(self, color: bool = False) -> str:
        return (
            "\n".join(_render_layer(layer, color) for layer in self.layers).rstrip()
            + "\n"
        )


def _cell(result: CheckResult | None, color: bool) -> str:
    if result is None:
        return ""
    text = result.status
    if result.status != SKIP and result.backend is not None:
        text += f" {result.seconds:5.2f}s"
    elif result.backend is None:
        text += " (static)"
    if color:
        return f"{_COLORS[result.status]}{text}{_RESET}"
    return text


def _render_layer(layer: LayerReport, color: bool) -> str:
    title = layer.class_name or layer.target
    lines = [f"{title}  ({layer.spec or layer.source or layer.target})"]
    if layer.error is not None:
        lines.append(f"  error: {layer.error}")
        return "\n".join(lines) + "\n"
    names = [b.backend for b in layer.backends]
    width = max(len(c) for c in CHECK_IDS) + 2
    col = 16
    header = "check".ljust(width) + "".join(n.ljust(col) for n in names)
    lines.append(header.rstrip())
    for check in layer.checks:
        static = layer.result(check, None)
        if static is not None:
            row = check.ljust(width) + _cell(static, color)
        else:
            cells = [_cell(layer.result(check, n), color) for n in names]
            # ANSI codes have no width: pad by the visible text
            row = check.ljust(width) + "".join(
                c + " " * max(1, col - len(_strip(c))) for c in cells
            )
        lines.append(row.rstrip())
    for run in layer.backends:
        detail = [f"keras {run.keras_version}"] if run.keras_version else []
        detail.append(f"{run.seconds:.1f}s")
        if run.import_seconds:
            detail.append(f"imports {run.import_seconds:.1f}s")
        lines.append(f"  {run.backend}: {', '.join(detail)}")
    observed = _observed(layer)
    if observed:
        lines.append(f"  not declared, observed: {observed}")
    elif layer.expectations is not None and layer.expectations.observed_fields():
        lines.append(
            "  not declared (and not observed by the checks that ran): "
            + ", ".join(layer.expectations.observed_fields())
        )
    problems = [r for r in layer.results if r.status == FAIL]
    skips = [r for r in layer.results if r.status == SKIP and r.message]
    for r in problems:
        where = f"[{r.backend}] " if r.backend else ""
        lines.append(f"  FAIL {r.check} {where}{r.message}")
    reported = {r.message for r in problems}
    for run in layer.backends:  # a worker that died outside any check
        if (
            run.status == "failed"
            and run.message not in reported
            and layer.error is None
        ):
            problems.append(CheckResult("-", run.backend, FAIL, message=run.message))
            lines.append(f"  FAIL [{run.backend}] {run.message}")
    seen: set[tuple[str, str]] = set()
    for r in skips:
        if (r.check, r.message) not in seen:
            seen.add((r.check, r.message))
            lines.append(f"  skip {r.check}: {r.message}")
    passed = sum(1 for r in layer.results if r.status == PASS)
    lines.append(f"  {passed} passed, {len(problems)} failed, {len(skips)} skipped")
    return "\n".join(lines) + "\n"


def _observed(layer: LayerReport) -> str:
    """The observations of the first backend that made some, e.g. `trainable=2, ...`."""
    for run in layer.backends:
        if run.observed:
            return ", ".join(f"{k}={_show(v)}" for k, v in run.observed.items())
    return ""


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _strip(text: str) -> str:
    for code in (*_COLORS.values(), _RESET):
        text = text.replace(code, "")
    return text
