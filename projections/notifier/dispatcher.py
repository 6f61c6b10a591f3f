"""The webhook dispatcher: takes due deliveries from PostgreSQL and sends them on a thread pool.

Each pass claims as many due deliveries as there are idle workers (at most ``per_endpoint`` per
endpoint across every notifier instance, see ``deliveries``), signs each with the endpoint's
secrets in force, sends it (``sender``) and records the attempt with its next retry
(``schedule``). New work wakes it at once (``wake``: the intake calls it after storing
deliveries); retries that fall due and other instances' leftovers are found by polling every
``idle_poll_s``. A delivery claimed by an instance that died is due again when its lease ends,
with the same ``webhook-id``.

An endpoint whose deliveries have all failed for ``schedule.DISABLE_AFTER`` is disabled and
``on_disabled`` is told (the notifier mails its owner).

Time comes from ``clock`` so tests move it instead of sleeping through back-off.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from prometheus_client import Counter, Histogram

from event_store.errors import StoreUnavailable
from projections.notifier import schedule, signing
from projections.notifier.deliveries import ClaimedDelivery, DeliveryStore
from projections.notifier.endpoints import EndpointStore
from projections.notifier.sender import Sender

log = structlog.get_logger(__name__)

ATTEMPTS = Counter(
    "ledgerline_webhook_attempts", "Webhook delivery attempts, by outcome.", ["outcome"]
)
LATENCY = Histogram(
    "ledgerline_webhook_attempt_seconds",
    "Duration of webhook delivery attempts.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


@dataclass(frozen=True)
class DispatcherConfig:
    workers: int = 16
    per_endpoint: int = 4
    lease: timedelta = timedelta(seconds=60)  # longer than the send timeout plus recording
    idle_poll_s: float = 0.5
    secrets_cache_s: float = 5.0


class Dispatcher:
    def __init__(
        self,
        deliveries: DeliveryStore,
        endpoints: EndpointStore,
        sender: Sender,
        *,
        clock: Callable[[], datetime],
        config: DispatcherConfig = DispatcherConfig(),
        on_disabled: Callable[[uuid.UUID], None] = lambda endpoint_id: None,
        rng: random.Random | None = None,
    ) -> None:
        self._deliveries = deliveries
        self._endpoints = endpoints
        self._sender = sender
        self._clock = clock
        self._config = config
        self._on_disabled = on_disabled
        self._rng = rng or random.Random()
        self._pool = ThreadPoolExecutor(config.workers, thread_name_prefix="webhook")
        self._in_flight = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._secrets: dict[uuid.UUID, tuple[datetime, list[str]]] = {}

    def wake(self) -> None:
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        """Dispatch until ``stop`` is set, then wait for the attempts in flight."""
        try:
            while not stop.is_set():
                try:
                    claimed = self._dispatch_due()
                except StoreUnavailable as error:
                    log.warning("webhook dispatch waits for the database", error=str(error))
                    stop.wait(1.0)
                    continue
                if claimed == 0 or self._idle() == 0:
                    self._wake.wait(self._config.idle_poll_s)
                    self._wake.clear()
        finally:
            self._pool.shutdown(wait=True)

    def run_once(self) -> int:
        """Claim what is due now, send it, wait for every attempt; the number attempted.
        For tests and tools that drive time themselves."""
        futures = self._submit(self._claim(self._config.workers))
        for future in futures:
            future.result()
        return len(futures)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _idle(self) -> int:
        with self._lock:
            return self._config.workers - self._in_flight

    def _dispatch_due(self) -> int:
        idle = self._idle()
        if idle <= 0:
            return 0
        return len(self._submit(self._claim(idle)))

    def _claim(self, limit: int) -> list[ClaimedDelivery]:
        return self._deliveries.claim_due(
            self._clock(),
            limit=limit,
            per_endpoint=self._config.per_endpoint,
            lease=self._config.lease,
        )

    def _submit(self, claimed: list[ClaimedDelivery]) -> list[Future[None]]:
        with self._lock:
            self._in_flight += len(claimed)
        return [self._pool.submit(self._attempt, delivery) for delivery in claimed]

    def _attempt(self, delivery: ClaimedDelivery) -> None:
        try:
            self._send_and_record(delivery)
        except StoreUnavailable as error:
            # The lease runs out and the delivery is due again, with the same id.
            log.warning("webhook attempt not recorded", delivery=delivery.id, error=str(error))
        except Exception:
            log.exception("webhook attempt failed unexpectedly", delivery=delivery.id)
        finally:
            with self._lock:
                self._in_flight -= 1
            self._wake.set()

    def _send_and_record(self, delivery: ClaimedDelivery) -> None:
        now = self._clock()
        body = delivery.body.encode()
        headers = signing.headers(
            self._secrets_of(delivery.endpoint_id, now), delivery.id, int(now.timestamp()), body
        )
        attempt = self._sender.send(delivery.url, body, headers)
        ATTEMPTS.labels(outcome="delivered" if attempt.delivered else "failed").inc()
        LATENCY.observe(attempt.latency_ms / 1000)
        retry_at = (
            None
            if attempt.delivered
            else schedule.next_attempt_at(delivery.attempts + 1, attempt.started_at, self._rng)
        )
        failing_since = self._deliveries.record(delivery, attempt, retry_at)
        if not attempt.delivered:
            log.info(
                "webhook attempt failed",
                delivery=delivery.id,
                endpoint=str(delivery.endpoint_id),
                attempt=delivery.attempts + 1,
                error=attempt.error,
                retry_at=retry_at.isoformat() if retry_at else None,
            )
        if schedule.should_disable(
            failing_since, attempt.started_at
        ) and self._endpoints.disable_failing(delivery.endpoint_id, attempt.started_at):
            log.warning("webhook endpoint disabled", endpoint=str(delivery.endpoint_id))
            self._on_disabled(delivery.endpoint_id)

    def _secrets_of(self, endpoint_id: uuid.UUID, now: datetime) -> list[str]:
        cached = self._secrets.get(endpoint_id)
        if cached and abs((now - cached[0]).total_seconds()) < self._config.secrets_cache_s:
            return cached[1]
        secrets = self._endpoints.secrets_in_force(endpoint_id, now)
        self._secrets[endpoint_id] = (now, secrets)
        return secrets
