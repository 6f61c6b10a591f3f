"""Graceful stop for long-running processes: SIGINT and SIGTERM set a threading.Event, and
with a grace period the process exits anyway once that much time has passed since the signal."""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

import structlog

log = structlog.get_logger(__name__)

# Exit status of a process that did not finish stopping within its grace period.
GRACE_EXCEEDED_EXIT = 70


def stop_event_on_signals(grace_s: float | None = None) -> threading.Event:
    """An event set by the first SIGINT or SIGTERM; workers poll it, finish their batch, commit
    and leave their consumer group. With ``grace_s`` (``Settings.shutdown_grace_s``), a
    process still running that long after the signal exits with ``GRACE_EXCEEDED_EXIT``: a
    stop that hangs (a batch retrying against a server that is down) must not outlast the
    orchestrator's patience and end in a SIGKILL nobody logged."""
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            return
        stop.set()
        log.info("stop_requested", signal=signal.Signals(signum).name, grace_s=grace_s)
        if grace_s is not None:
            watchdog = threading.Timer(grace_s, _exit_after_grace, args=(grace_s,))
            watchdog.daemon = True
            watchdog.start()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    return stop


def _exit_after_grace(grace_s: float) -> None:
    log.error("shutdown_grace_exceeded", grace_s=grace_s)
    os._exit(GRACE_EXCEEDED_EXIT)  # threads still blocked in a driver call: no clean exit left
