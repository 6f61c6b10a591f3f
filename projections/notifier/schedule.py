"""When a failed webhook delivery is tried again, and when an endpoint gives up.

Attempt n (1-based) that fails is followed by attempt n+1 after ``RETRY_DELAYS[n-1]`` with
+-20 % jitter (so receivers that fail together do not get their retries in lock-step);
when the attempt after the last delay fails, the delivery is failed: 10 attempts spread over
about 3 days. Pure: the caller passes the clock's time and may pass a seeded random source.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

# Delays after attempts 1..N; the total (~3 days) is how long a delivery is retried.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=20),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2
# An endpoint whose deliveries have all failed for this long is disabled and its owner told.
DISABLE_AFTER = timedelta(days=5)


def next_attempt_at(
    attempts_made: int, now: datetime, rng: random.Random | None = None, scale: float = 1.0
) -> datetime | None:
    """When to try again after ``attempts_made`` failed attempts; None: give up. ``scale``
    shrinks the schedule for soak runs (``LEDGERLINE_WEBHOOK_RETRY_DELAY_SCALE``)."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    delay = RETRY_DELAYS[attempts_made - 1] * scale
    factor = 1 + JITTER * (2 * (rng or random).random() - 1)
    return now + delay * factor


def should_disable(failing_since: datetime | None, now: datetime) -> bool:
    return failing_since is not None and now - failing_since >= DISABLE_AFTER
