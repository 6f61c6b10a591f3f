"""Rate limiting: a token bucket per caller, kept in PostgreSQL so every API process shares it.

Authenticated requests are limited per subject (the token's user id), anonymous ones (sign-up)
per client address with their own, lower rate. One statement refills the bucket by the time
elapsed since its last use, takes a token if one is there, and returns what was available; the
row lock makes concurrent requests of one caller queue on that row only. Across N API processes
the limit is therefore exactly the configured rate and burst, not N times it.

The table is UNLOGGED: buckets are cheap to lose (a crash just refills them), and skipping the
WAL keeps the limiter off the commit path the event store's appends need.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import psycopg
import structlog
from fastapi import Request
from psycopg_pool import ConnectionPool, PoolTimeout
from starlette.concurrency import run_in_threadpool

from commands.context import Principal
from event_store.errors import StoreUnavailable
from event_store.schema import create_under_lock
from infra.http.auth import CurrentPrincipal
from infra.settings import Settings

log = structlog.get_logger(__name__)

_DDL_LOCK = 0x4C4C524C  # pg_advisory_xact_lock id: "LLRL"
_DDL = """
CREATE UNLOGGED TABLE IF NOT EXISTS rate_limit_buckets (
    key         text PRIMARY KEY,
    tokens      double precision NOT NULL,
    granted     boolean NOT NULL,  -- whether the last request took a token
    updated_at  timestamptz NOT NULL
)
"""

# available = min(burst, tokens + elapsed * rate); a request takes one token only if
# available >= 1, and the row records whether it did (RETURNING sees only the new row).
_AVAILABLE = (
    "LEAST(%(burst)s, b.tokens + EXTRACT(EPOCH FROM clock_timestamp() - b.updated_at) * %(rate)s)"
)
_TAKE = f"""
INSERT INTO rate_limit_buckets AS b (key, tokens, granted, updated_at)
VALUES (%(key)s, %(burst)s - 1, true, clock_timestamp())
ON CONFLICT (key) DO UPDATE SET
    tokens = {_AVAILABLE} - CASE WHEN {_AVAILABLE} >= 1 THEN 1 ELSE 0 END,
    granted = {_AVAILABLE} >= 1,
    updated_at = clock_timestamp()
RETURNING tokens, granted
"""


class RateLimited(Exception):
    """Rendered as 429 with ``Retry-After``."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"Too many requests; retry in {retry_after_s} s.")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Limit:
    rate_per_s: float
    burst: int


class RateLimiter:
    """``fail_open``: when PostgreSQL cannot be reached, let requests through (logged) instead
    of failing them, and stop asking for ``FAIL_OPEN_FOR_S`` so that no request waits on a dead
    database; the query API uses it so its reads do not depend on the event store."""

    FAIL_OPEN_FOR_S = 5.0

    def __init__(
        self, pool: ConnectionPool, *, fail_open: bool = False, timeout_s: float = 10.0
    ) -> None:
        self._pool = pool
        self._fail_open = fail_open
        self._timeout_s = timeout_s
        self._skip_until = 0.0

    def ensure_table(self) -> None:
        with self._pool.connection() as conn:
            create_under_lock(conn, _DDL_LOCK, _DDL)

    def take(self, key: str, limit: Limit) -> None:
        """Consume one token for ``key`` or raise ``RateLimited``."""
        if self._fail_open and time.monotonic() < self._skip_until:
            return
        try:
            try:
                row = self._take(key, limit)
            except psycopg.errors.UndefinedTable:
                self.ensure_table()  # first use on a database `db migrate` has not seen
                row = self._take(key, limit)
        except (psycopg.OperationalError, PoolTimeout) as error:
            if not self._fail_open:
                raise StoreUnavailable(str(error)) from error
            log.warning("rate_limit_unavailable_letting_through", error=str(error))
            self._skip_until = time.monotonic() + self.FAIL_OPEN_FOR_S
            return
        tokens, granted = row
        if not granted:
            raise RateLimited(max(1, math.ceil((1 - tokens) / limit.rate_per_s)))

    def _take(self, key: str, limit: Limit) -> tuple[float, bool]:
        with self._pool.connection(timeout=self._timeout_s) as conn:
            row = conn.execute(
                _TAKE, {"key": key, "burst": float(limit.burst), "rate": limit.rate_per_s}
            ).fetchone()
        assert row is not None
        return float(row[0]), bool(row[1])


def limits(settings: Settings) -> tuple[Limit, Limit]:
    """(per authenticated subject, per anonymous client address)."""
    return (
        Limit(settings.rate_limit_per_s, settings.rate_limit_burst),
        Limit(settings.anonymous_rate_limit_per_s, settings.anonymous_rate_limit_burst),
    )


async def rate_limit_authenticated(request: Request, principal: CurrentPrincipal) -> None:
    """Router dependency for routes that all need a token (the query API): authentication
    first, so a missing token is a 401, then one token from the subject's bucket."""
    if getattr(request.app.state, "rate_limiter", None) is not None:  # no thread hop if off
        await run_in_threadpool(apply_rate_limit, request, principal)


def apply_rate_limit(request: Request, principal: Principal) -> None:
    """Take one token from the caller's bucket, after authentication decided who that is (so
    a request without a token still gets its 401, not a 429). Blocking: run it in a thread."""
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is None:
        return  # limiting disabled (LEDGERLINE_RATE_LIMIT_ENABLED=false)
    subject, anonymous = limits(request.app.state.settings)
    if principal.user_id is not None:
        limiter.take(f"user:{principal.user_id}", subject)
    else:
        client = request.client.host if request.client else "unknown"
        limiter.take(f"ip:{client}", anonymous)
