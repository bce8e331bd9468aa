"""Progress of a `klgen verify` run on stderr, fed by the runner's events.

On a terminal, `LiveProgress` keeps one line per backend up to date (the layer, the check
running, the elapsed time; through rich). Elsewhere (CI logs, pre-commit, `> file`),
`PlainProgress` prints one plain line per finished check and per finished backend, flushed
at once, so a log shows how far a run got. Events arrive from the workers' threads.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, TextIO


@dataclass
class _Line:
    backend: str
    state: str = "waiting for a free CPU"
    layer: str = ""
    check: str = ""
    since: float = field(default_factory=time.perf_counter)
    started: float | None = None
    layers_done: int = 0
    layers_total: int = 0
    failed: int = 0
    finished: bool = False


class _Progress:
    def __init__(self, backends: list[str], layers: dict[tuple[str, int], str]) -> None:
        self.lock = threading.Lock()
        self.lines = {b: _Line(b) for b in backends}
        self.names = layers  # (backend, job index) -> layer name
        for (backend, _), _name in layers.items():
            if backend in self.lines:
                self.lines[backend].layers_total += 1
        self.started = time.perf_counter()

    def __call__(self, event: dict[str, Any]) -> None:
        with self.lock:
            line = self.lines.get(event["backend"])
            if line is None:
                return
            self.update(line, event)

    def update(self, line: _Line, event: dict[str, Any]) -> None:
        kind, now = event["kind"], time.perf_counter()
        if kind == "worker":
            if line.started is None:
                line.started = now
            line.state, line.check, line.since = "importing Keras", "", now
        elif kind == "ready":
            line.state = "ready"
        elif kind == "layer":
            line.layer, line.state, line.check, line.since = (
                event["layer"],
                "importing",
                "",
                now,
            )
        elif kind == "check-begin":
            line.check, line.state, line.since = event["check"], "running", now
        elif kind == "check-end":
            line.state = "between"
        elif kind == "layer-done":
            line.layers_done += 1
            line.failed += event.get("status") != "ok"
            if line.layers_done >= line.layers_total:
                line.finished, line.state = True, "done"

    def close(self) -> None:
        pass


class PlainProgress(_Progress):
    """One line per finished check and per finished backend."""

    def __init__(
        self, backends: list[str], layers: dict[tuple[str, int], str], stream: TextIO
    ) -> None:
        super().__init__(backends, layers)
        self.stream = stream

    def _print(self, text: str) -> None:
        try:
            self.stream.write(text + "\n")
            self.stream.flush()
        except (BrokenPipeError, ValueError):
            pass

    def update(self, line: _Line, event: dict[str, Any]) -> None:
        kind = event["kind"]
        super().update(line, event)
        layer = self.names.get((line.backend, event.get("job", -1)), line.layer)
        if kind == "ready":
            self._print(
                f"{line.backend}: Keras {event.get('keras', '')} imported in "
                f"{event.get('seconds', 0.0):.1f}s"
            )
        elif kind == "check-end":
            self._print(
                f"{line.backend}: {layer} {event['check']} {event['status']} "
                f"{event.get('seconds', 0.0):.2f}s"
            )
        elif kind == "layer-done" and event.get("status") == "failed":
            self._print(f"{line.backend}: {layer} stopped (see the report)")
        if kind == "layer-done" and line.finished:
            elapsed = time.perf_counter() - (line.started or self.started)
            self._print(
                f"{line.backend}: done, {line.layers_done} layer(s) in {elapsed:.1f}s"
                + (f", {line.failed} with failures" if line.failed else "")
            )


class LiveProgress(_Progress):
    """One live line per backend on a terminal (rich), cleared when the run ends."""

    def __init__(
        self,
        backends: list[str],
        layers: dict[tuple[str, int], str],
        stream: TextIO,
        color: bool,
    ) -> None:
        super().__init__(backends, layers)
        from rich.console import Console
        from rich.live import Live

        self.console = Console(
            file=stream,
            no_color=not color,
            highlight=False,
            color_system="auto" if color else None,
        )
        self.live = Live(
            get_renderable=self.render,
            console=self.console,
            refresh_per_second=4,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.live.start()

    def render(self) -> Any:
        from rich.text import Text

        now = time.perf_counter()
        width = max(len(b) for b in self.lines) if self.lines else 0
        text = Text()
        with self.lock:
            for number, line in enumerate(self.lines.values()):
                if number:
                    text.append("\n")
                text.append(line.backend.ljust(width) + "  ", style="bold")
                count = f"[{line.layers_done}/{line.layers_total}] "
                if line.finished:
                    text.append(count + "done", style="red" if line.failed else "green")
                    continue
                if line.started is None:
                    text.append(count + line.state, style="dim")
                    continue
                what = line.state if line.state != "running" else line.check
                where = f"{line.layer} · " if line.layer else ""
                text.append(
                    f"{count}{where}{what} · {now - line.since:4.1f}s",
                    style="yellow" if line.state == "running" else "",
                )
                text.append(f"  ({now - line.started:.0f}s)", style="dim")
        return text

    def close(self) -> None:
        try:
            self.live.stop()
        except Exception:  # noqa: BLE001 - a closed terminal must not hide the report
            pass
