"""The progress display of long operator commands (rebuild, verify): phases as lines, the
fold as a rich progress bar with events/s and ETA, and gauges for ``--metrics-port``: the share
folded, whether a rebuild is running and since when (the alert on a rebuild that runs longer than
expected reads those two)."""

from __future__ import annotations

import time

from prometheus_client import Gauge
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class _RateColumn(ProgressColumn):
    """Events per second over the last moments (rich's own speed estimate)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} events/s")


REBUILD_PROGRESS = Gauge(
    "ledgerline_rebuild_progress_ratio",
    "Share of the event store a running rebuild has folded (0 to 1), by target.",
    ["target"],
)

REBUILD_RUNNING = Gauge(
    "ledgerline_rebuild_running", "1 while a rebuild of this target runs, else 0.", ["target"]
)
REBUILD_STARTED = Gauge(
    "ledgerline_rebuild_started_timestamp_seconds",
    "When the running (or last) rebuild of this target started, in Unix seconds.",
    ["target"],
)


class ProgressObserver:
    """Phases as lines, the fold as a progress bar."""

    def __init__(self, console: Console, what: str, target: str = "") -> None:
        self._what = what
        self._target = target
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> ProgressObserver:
        self._progress.start()
        if self._what == "rebuild":
            REBUILD_STARTED.labels(target=self._target).set(time.time())
            REBUILD_RUNNING.labels(target=self._target).set(1)
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()
        if self._what == "rebuild":
            REBUILD_RUNNING.labels(target=self._target).set(0)

    def phase(self, name: str, detail: str = "") -> None:
        self._progress.console.print(f"{self._what}: {name}{': ' + detail if detail else ''}")

    def progress(self, done: int, total: int) -> None:
        if self._task is None:
            self._task = self._progress.add_task("events", total=total)
        self._progress.update(self._task, completed=done, total=total)
        if self._what == "rebuild":
            REBUILD_PROGRESS.labels(target=self._target).set(done / total if total else 1.0)
