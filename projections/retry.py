"""The one retry policy of the pipeline's long-running loops (relay, projector runner, projector
start-up): retry a step that failed because a server did not answer, waiting with capped
exponential back-off between attempts, for as long as it takes, unless the process is asked to
stop. Built on tenacity; the waits go through ``stop.wait`` so a stop request ends them at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity

T = TypeVar("T")


class Stopped(Exception):
    """``stop`` was set while waiting to retry a step."""


@dataclass(frozen=True)
class Backoff:
    """Waits of ``initial_s``, twice that, and so on, capped at ``max_s``."""

    initial_s: float = 0.1
    max_s: float = 5.0


# (error, attempt number from 1, seconds until the next attempt)
OnRetry = Callable[[BaseException, int, float], None]


def retrying(
    stop: threading.Event,
    step: Callable[[], T],
    *,
    retry_on: tuple[type[BaseException], ...],
    backoff: Backoff = Backoff(),
    on_retry: OnRetry | None = None,
) -> T:
    """Run ``step`` until it returns; an exception of ``retry_on`` is retried after the back-off
    (``on_retry`` is told first), anything else propagates. Raises ``Stopped`` if ``stop`` is
    set while waiting."""

    def wait_or_stop(seconds: float) -> None:
        if stop.wait(seconds):
            raise Stopped

    def before_sleep(state: tenacity.RetryCallState) -> None:
        if on_retry is not None and state.outcome is not None and state.next_action is not None:
            error = state.outcome.exception()
            assert error is not None
            on_retry(error, state.attempt_number, state.next_action.sleep)

    retryer = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(retry_on),
        wait=tenacity.wait_exponential(
            multiplier=backoff.initial_s, min=backoff.initial_s, max=backoff.max_s
        ),
        sleep=wait_or_stop,
        before_sleep=before_sleep,
        reraise=True,
    )
    return retryer(step)
