"""Redis key and channel names, and the clients every Ledgerline process opens on Redis.

Names start with ``<redis_prefix>:`` so that systems sharing one Redis never read each other's
buckets or signals. Timeouts are short: every use of Redis is optional (the limiter fails open,
signals have a polling fallback), so a slow Redis must cost a request little, and never hang it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio
import redis.asyncio.retry
from redis.backoff import NoBackoff
from redis.retry import Retry

from infra.settings import Settings

# A refused connection fails at once; these bound a Redis that accepts but does not answer.
CONNECT_TIMEOUT_S = 0.5
COMMAND_TIMEOUT_S = 0.5
# A subscriber pings a quiet connection this often, so a dead one is noticed (and replaced).
SUBSCRIBER_HEALTH_CHECK_S = 5


@dataclass(frozen=True)
class RedisNames:
    """Where each kind of thing lives in Redis."""

    prefix: str

    @classmethod
    def of(cls, settings: Settings) -> RedisNames:
        return cls(settings.redis_prefix)

    def bucket(self, key: str) -> str:
        """A rate-limit bucket (a hash that expires once it would be full again)."""
        return f"{self.prefix}:bucket:{key}"

    @property
    def new_events(self) -> str:
        """Channel: the write API committed events (the relay reads at once)."""
        return f"{self.prefix}:new-events"

    def read_model_versions(self, read_model: str) -> str:
        """Channel: streams a read model (``mongo``, ``search``) has just written."""
        return f"{self.prefix}:versions:{read_model}"


def _options(subscriber: bool) -> dict[str, Any]:
    """What both kinds of client share: short timeouts, and a subscriber that pings."""
    return {
        "socket_connect_timeout": CONNECT_TIMEOUT_S,
        "socket_timeout": None if subscriber else COMMAND_TIMEOUT_S,
        "health_check_interval": SUBSCRIBER_HEALTH_CHECK_S if subscriber else 0,
    }


def sync_client(url: str, *, subscriber: bool = False) -> redis.Redis:
    """A blocking client (the relay, the projectors, the write API's publisher thread)."""
    # redis-py retries three times with backoff of up to seconds by default; every caller
    # here has its own answer to a failure (fail open, poll), and must hear of it at once.
    return redis.Redis.from_url(url, retry=Retry(NoBackoff(), 0), **_options(subscriber))


def async_client(url: str, *, subscriber: bool = False) -> redis.asyncio.Redis:
    """An asyncio client (the APIs' rate limiter, the query API's version subscriber)."""
    client: redis.asyncio.Redis = redis.asyncio.Redis.from_url(
        url, retry=redis.asyncio.retry.Retry(NoBackoff(), 0), **_options(subscriber)
    )
    return client
