"""Rate limiting: a token bucket per caller, kept in Redis so every API process shares it.

Authenticated requests are limited per subject (the token's user id), anonymous ones (sign-up)
per client address with their own, lower rate. One Lua script per request (EVALSHA, atomic in
Redis) refills the bucket by the time elapsed since its last use, takes a token if one is there,
and returns what was left; across N API processes the limit is therefore exactly the configured
rate and burst, not N times it. A bucket expires once it would have refilled completely, so idle
callers leave nothing behind (an absent bucket is a full one).

The time is Redis's own clock (``TIME``), one clock for every API process whatever theirs say;
tests pass ``clock`` instead, to move time without sleeping.

When Redis cannot be reached, requests are let through (logged) and Redis is not asked again
for ``FAIL_OPEN_FOR_S``, so no request waits on a dead server; losing buckets loses nothing
(they refill), and a limiter that failed closed would turn a Redis outage into a full one.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis
import redis.asyncio
import structlog
from fastapi import Request

from commands.context import Principal
from infra.http.auth import CurrentPrincipal
from infra.redis.connection import RedisNames, async_client
from infra.settings import Settings

log = structlog.get_logger(__name__)

# KEYS[1]: the bucket; ARGV: rate per second, burst, now in seconds ("" = Redis's clock).
# Returns {1 if a token was taken else 0, tokens left as a string} (Lua numbers would be
# truncated to integers in the reply).
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
else
  tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
end
local granted = 0
if tokens >= 1 then
  tokens = tokens - 1
  granted = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
           'at', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {granted, string.format('%.17g', tokens)}
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
    """Token buckets in Redis; fails open (see the module docstring)."""

    FAIL_OPEN_FOR_S = 5.0

    def __init__(
        self,
        client: redis.asyncio.Redis,
        names: RedisNames,
        *,
        clock: Callable[[], float] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._script = client.register_script(_TAKE)
        self._names = names
        self._clock = clock
        self._monotonic = monotonic
        self._skip_until = 0.0

    async def take(self, key: str, limit: Limit) -> None:
        """Consume one token for ``key`` or raise ``RateLimited``."""
        if self._monotonic() < self._skip_until:
            return
        now = "" if self._clock is None else repr(self._clock())
        try:
            granted, tokens = await self._script(
                keys=[self._names.bucket(key)], args=[limit.rate_per_s, limit.burst, now]
            )
        except (redis.RedisError, OSError) as error:
            log.warning(
                "rate_limit_unavailable_letting_through",
                error=str(error),
                for_s=self.FAIL_OPEN_FOR_S,
            )
            self._skip_until = self._monotonic() + self.FAIL_OPEN_FOR_S
            return
        if not granted:
            raise RateLimited(max(1, math.ceil((1 - float(tokens)) / limit.rate_per_s)))


@asynccontextmanager
async def open_rate_limiter(settings: Settings) -> AsyncIterator[RateLimiter | None]:
    """The app's limiter on its own Redis client (None when limiting is off), closed on exit."""
    if not settings.rate_limit_enabled:
        yield None
        return
    client = async_client(settings.redis_url)
    try:
        yield RateLimiter(client, RedisNames.of(settings))
    finally:
        await client.aclose()


def limits(settings: Settings) -> tuple[Limit, Limit]:
    """(per authenticated subject, per anonymous client address)."""
    return (
        Limit(settings.rate_limit_per_s, settings.rate_limit_burst),
        Limit(settings.anonymous_rate_limit_per_s, settings.anonymous_rate_limit_burst),
    )


async def rate_limit_authenticated(request: Request, principal: CurrentPrincipal) -> None:
    """Router dependency for routes that all need a token (the query API): authentication
    first, so a missing token is a 401, then one token from the subject's bucket."""
    await apply_rate_limit(request, principal)


async def apply_rate_limit(request: Request, principal: Principal) -> None:
    """Take one token from the caller's bucket, after authentication decided who that is (so
    a request without a token still gets its 401, not a 429)."""
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is None:
        return  # limiting disabled (LEDGERLINE_RATE_LIMIT_ENABLED=false)
    subject, anonymous = limits(request.app.state.settings)
    if principal.user_id is not None:
        await limiter.take(f"user:{principal.user_id}", subject)
    else:
        client = request.client.host if request.client else "unknown"
        await limiter.take(f"ip:{client}", anonymous)
