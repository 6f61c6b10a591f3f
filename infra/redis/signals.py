"""Wake-up signals over Redis pub/sub, for code that must never wait on Redis.

- ``SignalPublisher``: ``publish`` only queues the message and returns; a background thread
  sends everything queued meanwhile in one pipelined round trip. Identical messages queued
  together are sent once (the write API's "new events" after many commits is one PUBLISH).
  While Redis is unreachable, messages are dropped (logged once per outage) and a connection is
  tried again after ``retry_after_s``: a signal is a hint, whoever waits for it also polls.
- ``SignalListener``: a thread subscribed to channels, calling ``on_message`` for each
  message; it reconnects after an outage.
- ``Wakeup``: the flag a polling loop waits on, set by a listener; it counts how each wait
  ended (a signal, or the poll interval running out), which is how tests and metrics tell the
  two paths apart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import redis
import structlog
from prometheus_client import Counter

log = structlog.get_logger(__name__)

SIGNALS = Counter(
    "ledgerline_redis_signals",
    "Wake-up signals published to Redis, by outcome (sent, or dropped while Redis was down).",
    ["outcome"],
)
# Queued messages beyond this are dropped: a signal storm must not grow memory while Redis
# is slow (the listeners poll anyway).
MAX_PENDING = 10_000

ClientFactory = Callable[[], redis.Redis]


class SignalPublisher:
    """Fire-and-forget PUBLISH from a daemon thread; ``close`` stops it."""

    def __init__(self, client: ClientFactory, *, retry_after_s: float = 1.0) -> None:
        self._client_factory = client
        self._retry_after_s = retry_after_s
        self._pending: dict[tuple[str, bytes], None] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = False
        self._down_until = 0.0
        self.sent = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="signal-publisher", daemon=True)
        self._thread.start()

    def publish(self, channel: str, message: bytes = b"") -> None:
        """Queue ``message`` for ``channel``; never blocks, never raises."""
        with self._lock:
            if len(self._pending) < MAX_PENDING:
                self._pending[(channel, message)] = None
        self._wake.set()

    def close(self) -> None:
        self._closing = True
        self._wake.set()
        self._thread.join(5)

    def _run(self) -> None:
        client: redis.Redis | None = None
        try:
            while not self._closing:
                self._wake.wait()
                self._wake.clear()
                with self._lock:
                    batch = list(self._pending)
                    self._pending.clear()
                if not batch or self._closing:
                    continue
                if time.monotonic() < self._down_until:
                    self._count("dropped", len(batch))
                    continue
                if client is None:
                    client = self._client_factory()
                client = self._send(client, batch)
        finally:
            if client is not None:
                client.close()

    def _send(self, client: redis.Redis, batch: list[tuple[str, bytes]]) -> redis.Redis | None:
        try:
            pipeline = client.pipeline(transaction=False)
            for channel, message in batch:
                pipeline.publish(channel, message)
            pipeline.execute()
        except redis.RedisError as error:
            self._count("dropped", len(batch))
            if self._down_until == 0.0:  # once per outage, not once per dropped signal
                log.warning("redis_signals_unavailable", error=str(error))
            self._down_until = time.monotonic() + self._retry_after_s
            client.close()
            return None
        if self._down_until:
            log.info("redis_signals_available_again")
            self._down_until = 0.0
        self._count("sent", len(batch))
        return client

    def _count(self, outcome: str, messages: int) -> None:
        if outcome == "sent":
            self.sent += messages
        else:
            self.dropped += messages
        SIGNALS.labels(outcome=outcome).inc(messages)


class SignalListener:
    """Calls ``on_message(channel, data)`` for every message on ``channels``, from a daemon
    thread, until ``close``; ``subscribed`` is set while a subscription is live."""

    def __init__(
        self,
        client: ClientFactory,
        channels: Sequence[str],
        on_message: Callable[[str, bytes], None],
        *,
        retry_after_s: float = 1.0,
    ) -> None:
        self._client_factory = client
        self._channels = list(channels)
        self._on_message = on_message
        self._retry_after_s = retry_after_s
        self._stop = threading.Event()
        self.subscribed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="signal-listener", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        outage = False
        while not self._stop.is_set():
            client = self._client_factory()
            pubsub = client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
            try:
                pubsub.subscribe(*self._channels)
                self.subscribed.set()
                if outage:
                    log.info("redis_subscription_restored", channels=self._channels)
                    outage = False
                while not self._stop.is_set():
                    # The timeout only bounds how long a close waits for this thread.
                    message = pubsub.get_message(timeout=0.5)
                    if message is not None and message["type"] == "message":
                        self._on_message(message["channel"].decode(), message["data"])
            except (redis.RedisError, OSError) as error:
                self.subscribed.clear()
                if not outage:
                    log.warning(
                        "redis_subscription_lost", channels=self._channels, error=str(error)
                    )
                    outage = True
                self._stop.wait(self._retry_after_s)
            finally:
                pubsub.close()
                client.close()
        self.subscribed.clear()


class Wakeup:
    """A flag that signals set and a polling loop waits on, with the poll interval as bound."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.by_signal = 0
        self.by_poll = 0

    def signal(self, *_: object) -> None:
        """Wake the waiter (usable directly as a ``SignalListener`` callback)."""
        self._event.set()

    def wait(self, timeout_s: float) -> bool:
        """Wait for a signal for at most ``timeout_s``; True if one came."""
        woken = self._event.wait(timeout_s)
        # Cleared before the caller looks for work, so a signal sent while it works is kept.
        self._event.clear()
        if woken:
            self.by_signal += 1
        else:
            self.by_poll += 1
        return woken
