"""The Redis token bucket against a real Redis: shared exactly by several limiters (as several
API processes hold), refilled by elapsed time (injected, never slept), and failing open for a
bounded time while Redis is down."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import redis

from infra.http.rate_limit import Limit, RateLimited, RateLimiter
from infra.redis.connection import RedisNames, async_client
from infra.servers import RedisServer, free_port
from tests.server_fixtures import running, temporary_root

LIMIT = Limit(rate_per_s=2.0, burst=3)


class ManualClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def outcomes(limiter: RateLimiter, key: str, count: int) -> list[str]:
    """ "ok" or "429 <retry after>" for each of ``count`` requests."""
    answers = []
    for _ in range(count):
        try:
            await limiter.take(key, LIMIT)
            answers.append("ok")
        except RateLimited as refused:
            answers.append(f"429 {refused.retry_after_s}")
    return answers


def with_limiters(
    url: str,
    count: int,
    use: Callable[[list[RateLimiter], RedisNames], Awaitable[None]],
    **options: Callable[[], float],
) -> None:
    """Run ``use`` with ``count`` limiters on clients of their own (as API processes have),
    sharing one prefix of this test's own."""

    async def run() -> None:
        names = RedisNames(f"test-{uuid.uuid4().hex[:12]}")
        clients = [async_client(url) for _ in range(count)]
        try:
            limiters = [RateLimiter(client, names, **options) for client in clients]  # type: ignore[arg-type]
            await use(limiters, names)
        finally:
            for client in clients:
                await client.aclose()

    asyncio.run(run())


def test_limiters_of_two_processes_share_one_bucket_exactly(redis_server: RedisServer) -> None:
    clock = ManualClock()
    seen: list[str] = []

    async def use(limiters: list[RateLimiter], names: RedisNames) -> None:
        first, second = limiters
        for limiter in (first, second, first, second, first):
            seen.extend(await outcomes(limiter, "user:ada", 1))
        seen.extend(await outcomes(second, "user:bob", 1))  # another key, another bucket

    with_limiters(redis_server.url, 2, use, clock=clock)
    assert seen == ["ok", "ok", "ok", "429 1", "429 1", "ok"]


def test_a_bucket_refills_at_its_rate_up_to_its_burst(redis_server: RedisServer) -> None:
    clock = ManualClock()
    seen: list[list[str]] = []

    async def use(limiters: list[RateLimiter], names: RedisNames) -> None:
        (limiter,) = limiters
        seen.append(await outcomes(limiter, "ip:10.0.0.1", 4))
        clock.now += 1.0  # two tokens at 2/s
        seen.append(await outcomes(limiter, "ip:10.0.0.1", 3))
        clock.now += 60.0  # full again, never more than the burst
        seen.append(await outcomes(limiter, "ip:10.0.0.1", 4))

    with_limiters(redis_server.url, 1, use, clock=clock)
    assert seen == [["ok", "ok", "ok", "429 1"], ["ok", "ok", "429 1"], ["ok", "ok", "ok", "429 1"]]


def test_an_idle_bucket_expires_from_redis(redis_server: RedisServer) -> None:
    buckets: list[str] = []

    async def use(limiters: list[RateLimiter], names: RedisNames) -> None:
        (limiter,) = limiters
        await limiter.take("user:idle", LIMIT)
        buckets.append(names.bucket("user:idle"))

    with_limiters(redis_server.url, 1, use)
    client = redis.Redis.from_url(redis_server.url)
    try:
        ttl_ms = client.pttl(buckets[0])
    finally:
        client.close()
    # One token short of the burst at 2/s refills in 500 ms (plus a second of slack).
    assert 0 < ttl_ms <= 1500


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis this test may stop and start (the session's is shared)."""
    with temporary_root() as root, running(RedisServer(Path(root), free_port())) as server:
        yield server


def test_requests_pass_while_redis_is_down_and_limits_return_with_it(
    own_redis: RedisServer,
) -> None:
    clock = ManualClock()
    monotonic = ManualClock(0.0)
    seen: list[list[str]] = []

    async def use(limiters: list[RateLimiter], names: RedisNames) -> None:
        (limiter,) = limiters
        seen.append(await outcomes(limiter, "user:ada", 4))
        own_redis.stop()
        seen.append(await outcomes(limiter, "user:ada", 10))  # let through, logged
        own_redis.start()  # empty: nothing in Redis is the only copy of anything
        monotonic.now += RateLimiter.FAIL_OPEN_FOR_S / 2
        seen.append(await outcomes(limiter, "user:ada", 4))  # still trusting the outage
        monotonic.now += RateLimiter.FAIL_OPEN_FOR_S
        seen.append(await outcomes(limiter, "user:ada", 4))  # asks Redis again

    with_limiters(own_redis.url, 1, use, clock=clock, monotonic=monotonic)
    assert seen == [
        ["ok", "ok", "ok", "429 1"],
        ["ok"] * 10,
        ["ok"] * 4,
        ["ok", "ok", "ok", "429 1"],
    ]
