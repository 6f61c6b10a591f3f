"""The one way tests wait: poll a condition until it holds or a deadline passes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T], timeout: float = 20.0, interval: float = 0.05, what: str = ""
) -> T:
    """Poll ``predicate`` until it returns something truthy and return that; AssertionError
    naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()  # never set: its wait is the pause between two polls
    while True:
        outcome = predicate()
        if outcome:
            return outcome
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        pause.wait(interval)
