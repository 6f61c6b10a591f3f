"""The query API's subscription to the MongoDB projector's version signals, and the
``min_version`` waiters it wakes.

One subscription per process (a task of the app's lifespan) on the channel where the projector
announces, after each batch it wrote, "stream S is now at version V" (``infra.redis.versions``).
A waiter registers for its stream and minimum version *before* it reads the document, so a
signal sent between its read and its wait still wakes it; a signal is only a hint: the waiter
re-reads the document and trusts what it finds there.

While Redis is unreachable the task reconnects every second and waiters fall back to
re-checking their document every ``Settings.min_version_recheck_s`` (``read_api.freshness``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager, suppress
from weakref import WeakKeyDictionary

import redis
import redis.asyncio
import structlog
from prometheus_client import CollectorRegistry, Counter

from infra.redis.connection import RedisNames, async_client
from infra.redis.versions import decode_versions
from infra.settings import Settings

log = structlog.get_logger(__name__)

RECONNECT_AFTER_S = 1.0
# The read model whose writes min_version waits for.
READ_MODEL = "mongo"


# One counter per app registry: an app's lifespan may run more than once (test clients), and a
# registry refuses a second metric of the same name.
_RECHECK_COUNTERS: WeakKeyDictionary[CollectorRegistry, Counter] = WeakKeyDictionary()


def _recheck_counter(registry: CollectorRegistry) -> Counter:
    counter = _RECHECK_COUNTERS.get(registry)
    if counter is None:
        counter = Counter(
            "ledgerline_min_version_rechecks",
            "Re-reads of a document a min_version request waits for, by what caused them "
            "(a version signal, or the fallback interval running out).",
            ["cause"],
            registry=registry,
        )
        _RECHECK_COUNTERS[registry] = counter
    return counter


class VersionSignals:
    """Waiters by stream id, woken by version announcements; counts how waits end in
    ``registry`` (the app's metrics)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._waiters: dict[str, dict[asyncio.Event, int]] = {}
        self._rechecks = _recheck_counter(registry)
        self.subscribed = asyncio.Event()
        self.waits_begun = 0
        self.woken_by_signal = 0
        self.rechecked_by_timer = 0

    def waiting_for(self, stream_id: str) -> int:
        """How many requests wait for ``stream_id`` right now."""
        return len(self._waiters.get(stream_id, {}))

    @contextmanager
    def waiting(self, stream_id: str, min_version: int) -> Iterator[asyncio.Event]:
        """An event set once ``stream_id`` is announced at ``min_version`` or later."""
        woken = asyncio.Event()
        self._waiters.setdefault(stream_id, {})[woken] = min_version
        try:
            yield woken
        finally:
            waiters = self._waiters.get(stream_id)
            if waiters is not None:
                waiters.pop(woken, None)
                if not waiters:
                    del self._waiters[stream_id]

    async def wait(self, woken: asyncio.Event, timeout_s: float) -> None:
        """Until ``woken`` is set or ``timeout_s`` passes; clears it for the next wait."""
        self.waits_begun += 1
        try:
            async with asyncio.timeout(timeout_s):
                await woken.wait()
        except TimeoutError:
            self.rechecked_by_timer += 1
            self._rechecks.labels(cause="fallback").inc()
            return
        woken.clear()
        self.woken_by_signal += 1
        self._rechecks.labels(cause="signal").inc()

    def deliver(self, versions: Mapping[str, int]) -> None:
        for stream_id, version in versions.items():
            for woken, min_version in self._waiters.get(stream_id, {}).items():
                if version >= min_version:
                    woken.set()

    async def listen(self, client: redis.asyncio.Redis, channel: str) -> None:
        """Deliver every message on ``channel`` until cancelled, reconnecting after outages."""
        outage = False
        while True:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(channel)
                self.subscribed.set()
                if outage:
                    log.info("version_signals_restored")
                    outage = False
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        self.deliver(decode_versions(message["data"]))
            except (redis.RedisError, OSError) as error:
                self.subscribed.clear()
                if not outage:
                    log.warning("version_signals_lost_checking_periodically", error=str(error))
                    outage = True
                await asyncio.sleep(RECONNECT_AFTER_S)
            finally:
                await pubsub.aclose()  # type: ignore[no-untyped-call]


@asynccontextmanager
async def listening_for_versions(
    settings: Settings, registry: CollectorRegistry
) -> AsyncIterator[VersionSignals]:
    """Version signals fed by a background subscription, for the life of the app."""
    signals = VersionSignals(registry)
    client = async_client(settings.redis_url, subscriber=True)
    channel = RedisNames.of(settings).read_model_versions(READ_MODEL)
    task = asyncio.create_task(signals.listen(client, channel), name="version-signals")
    task.add_done_callback(_report_crash)
    try:
        yield signals
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await client.aclose()


def _report_crash(task: asyncio.Task[None]) -> None:
    """A subscription that died of a bug says so at once (waits then re-check periodically)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("version_signals_crashed", error=repr(task.exception()))
