"""The webhook dispatcher: takes due deliveries from PostgreSQL and sends them on a thread pool.

The dispatcher thread claims due deliveries in batches (at most ``prefetch`` per endpoint across
every notifier instance, see ``deliveries``) and hands them to the workers, at most
``per_endpoint`` requests in flight per endpoint, so one slow receiver holds a few workers and
never the others' deliveries. A worker signs a delivery with the endpoint's secrets in force and
sends it (``sender``); the dispatcher thread records finished attempts with their next retry
(``schedule``) in batches, one transaction each. New work wakes
it at once (``wake``: the intake calls it after storing deliveries); retries that fall due and
other instances' leftovers are found by polling every ``idle_poll_s``. A delivery claimed by an
instance that died is due again when its lease ends, with the same ``webhook-id``.

An endpoint whose deliveries have all failed for ``schedule.DISABLE_AFTER`` is disabled and
``on_disabled`` is told (the notifier mails its owner). The dispatcher also keeps the count of
disabled endpoints (``ledgerline_webhook_endpoints_disabled``, for the alert) up to date.

Time comes from ``clock`` so tests move it instead of sleeping through back-off.

Tracing: an attempt of a delivery planned in a sampled trace is a span ``webhook deliver`` of
that trace (the delivery row keeps the traceparent), with the endpoint id, the attempt number
and the HTTP status; never the URL, whose path and query may hold the receiver's secret.
The request itself is not instrumented: a receiver is outside Ledgerline, and our trace
context is not sent to it.
"""

from __future__ import annotations

import contextlib
import queue
import random
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Counter as MetricCounter
from prometheus_client import Gauge, Histogram

from event_store.errors import StoreUnavailable
from infra.tracing.batches import event_span
from infra.tracing.propagation import sampled_parent
from projections.notifier import schedule, signing
from projections.notifier.deliveries import Attempt, ClaimedDelivery, DeliveryStore, Outcome
from projections.notifier.endpoints import EndpointStore
from projections.notifier.sender import Sender

log = structlog.get_logger(__name__)

ATTEMPTS = MetricCounter(
    "ledgerline_webhook_attempts", "Webhook delivery attempts, by outcome.", ["outcome"]
)
LATENCY = Histogram(
    "ledgerline_webhook_attempt_seconds",
    "Duration of webhook delivery attempts.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ENDPOINTS_DISABLED = Gauge(
    "ledgerline_webhook_endpoints_disabled",
    "Disabled webhook endpoints, by reason: failing (every delivery failed for 5 days) or owner.",
    ["reason"],
)
# How often the disabled endpoints are counted (an owner re-enabling one through the write API
# shows within this), besides right after this dispatcher disabled one.
DISABLED_COUNT_EVERY_S = 30.0


@dataclass(frozen=True)
class DispatcherConfig:
    workers: int = 16
    per_endpoint: int = 4  # requests in flight to one endpoint, per notifier instance
    lease: timedelta = timedelta(seconds=60)  # longer than the send timeout plus recording
    timeout_s: float = 10.0
    idle_poll_s: float = 0.5
    secrets_cache_s: float = 5.0
    retry_delay_scale: float = 1.0

    @property
    def prefetch(self) -> int:
        """Deliveries of one endpoint claimed at a time (sent ``per_endpoint`` at a time): as
        many as can be sent within half a lease even when every request times out, so a
        claimed delivery is never due again while it still waits its turn here."""
        rounds = max(1, int(self.lease.total_seconds() / self.timeout_s / 2))
        return self.per_endpoint * rounds

    @property
    def capacity(self) -> int:
        """Deliveries claimed and not yet recorded, at most."""
        return self.workers * 4


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
        # Shared with the workers, under the lock: claimed deliveries waiting per endpoint, and
        # the workers sending to each endpoint.
        self._lock = threading.Lock()
        self._waiting: dict[uuid.UUID, deque[ClaimedDelivery]] = {}
        self._sending: dict[uuid.UUID, int] = {}
        # Owned by the thread that runs the dispatcher: everything claimed but not recorded.
        self._held = 0
        self._held_of: Counter[uuid.UUID] = Counter()
        self._capped: set[uuid.UUID] = set()  # endpoints that may have more due than we hold
        self._claim_wanted = True
        self._finished: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        self._handed: queue.SimpleQueue[list[ClaimedDelivery]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._secrets: dict[uuid.UUID, tuple[datetime, list[str]]] = {}

    def wake(self) -> None:
        self._wake.set()

    def accept(self, claimed: list[ClaimedDelivery]) -> None:
        """Deliveries claimed for this dispatcher by someone else (the intake, as it stores
        them); thread-safe."""
        self._handed.put(claimed)
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        """Dispatch until ``stop`` is set, then record the attempts in flight.

        The claim query runs when there may be something to claim: after an idle poll
        interval, after a claim that filled all the room it had, and when an endpoint whose
        claim was capped by ``prefetch`` has sent half of what it held."""
        counted_at = float("-inf")
        try:
            while not stop.is_set():
                try:
                    # New work is sent before anything touches the database.
                    self._take_handed()
                    self._send_waiting()
                    self._record_finished()
                    if self._claim_wanted:
                        self._claim_more()
                    if time.monotonic() - counted_at >= DISABLED_COUNT_EVERY_S:
                        self.count_disabled()
                        counted_at = time.monotonic()
                except StoreUnavailable as error:
                    log.warning("webhook dispatch waits for the database", error=str(error))
                    stop.wait(1.0)
                    continue
                self._send_waiting()
                if not self._wake.wait(self._config.idle_poll_s):
                    self._claim_wanted = True
                self._wake.clear()
        finally:
            self._pool.shutdown(wait=True)
            # Unrecorded attempts are due again when their lease ends, with the same id.
            with contextlib.suppress(StoreUnavailable):
                self._record_finished()

    def run_once(self) -> int:
        """Claim what is due now, send it, record every attempt; the number attempted.
        For tests and tools that drive time themselves."""
        claimed = self._take_handed() + self._claim_more()
        while self._held:
            self._send_waiting()
            self._finished_one()
            self._record_finished()
        return claimed

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def count_disabled(self) -> None:
        """Refresh ``ledgerline_webhook_endpoints_disabled`` from the endpoints table."""
        for reason, count in self._endpoints.count_disabled().items():
            ENDPOINTS_DISABLED.labels(reason=reason).set(count)

    def _take_handed(self) -> int:
        handed = 0
        while not self._handed.empty():
            handed += self._hold(self._handed.get_nowait())
        return handed

    def _claim_more(self) -> int:
        room = self._config.capacity - self._held
        if room < self._config.capacity // 2:
            return 0  # enough on hand; claim in bigger, cheaper steps
        claimed = self._deliveries.claim_due(
            self._clock(),
            limit=room,
            per_endpoint=self._config.prefetch,
            lease=self._config.lease,
        )
        self._hold(claimed)
        self._claim_wanted = len(claimed) == room
        for delivery in claimed:
            if self._held_of[delivery.endpoint_id] >= self._config.prefetch:
                self._capped.add(delivery.endpoint_id)
        return len(claimed)

    def _hold(self, claimed: list[ClaimedDelivery]) -> int:
        with self._lock:
            for delivery in claimed:
                self._waiting.setdefault(delivery.endpoint_id, deque()).append(delivery)
        for delivery in claimed:
            self._held_of[delivery.endpoint_id] += 1
        self._held += len(claimed)
        return len(claimed)

    def _send_waiting(self) -> None:
        """Start a worker for each endpoint with deliveries waiting, while workers are free and
        the endpoint has fewer than ``per_endpoint`` requests in flight."""
        with self._lock:
            in_flight = sum(self._sending.values())
            for endpoint_id, waiting in self._waiting.items():
                sending, added = self._sending.get(endpoint_id, 0), 0
                while (
                    in_flight < self._config.workers
                    and sending < self._config.per_endpoint
                    and added < len(waiting)
                ):
                    sending, added, in_flight = sending + 1, added + 1, in_flight + 1
                    self._pool.submit(self._work, endpoint_id)
                self._sending[endpoint_id] = sending

    def _work(self, endpoint_id: uuid.UUID) -> None:
        """On a worker: send the endpoint's waiting deliveries one after another until none is
        left, so a fast receiver is not slowed down by the dispatcher thread's bookkeeping."""
        while True:
            with self._lock:
                waiting = self._waiting.get(endpoint_id)
                if not waiting:
                    self._sending[endpoint_id] -= 1
                    if not self._sending[endpoint_id]:
                        del self._sending[endpoint_id]
                    self._waiting.pop(endpoint_id, None)
                    return
                delivery = waiting.popleft()
            self._finished.put(self._attempt(delivery))
            self._wake.set()

    def _finished_one(self) -> None:
        """Wait until some attempt has finished (run_once)."""
        while self._finished.empty():
            self._wake.wait(0.05)
            self._wake.clear()

    def _attempt(self, delivery: ClaimedDelivery) -> Outcome:
        """Sign and send; the outcome goes to the dispatcher thread, which records finished
        attempts in batches (one transaction each)."""
        with event_span(
            "webhook deliver",
            sampled_parent(delivery.traceparent),
            kind=SpanKind.CLIENT,
            attributes={
                "ledgerline.webhook.endpoint_id": str(delivery.endpoint_id),
                "ledgerline.webhook.attempt": delivery.attempts + 1,
            },
        ) as span:
            outcome = self._attempt_now(delivery)
            if span is not None:
                attempt = outcome.attempt
                if attempt.status_code is not None:
                    span.set_attribute("http.response.status_code", attempt.status_code)
                span.set_attribute("ledgerline.webhook.outcome", outcome.status)
                if not attempt.delivered:
                    # "HTTP 500", "timed out", "refused", "connection failed": no address.
                    reason = (attempt.error or "failed").split(":", 1)[0]
                    span.set_status(Status(StatusCode.ERROR, reason))
            return outcome

    def _attempt_now(self, delivery: ClaimedDelivery) -> Outcome:
        try:
            now = self._clock()
            body = delivery.body.encode()
            secrets = self._secrets_of(delivery.endpoint_id, now)
            headers = signing.headers(secrets, delivery.id, int(now.timestamp()), body)
            attempt = self._sender.send(delivery.url, body, headers)
        except Exception:
            log.exception("webhook attempt failed unexpectedly", delivery=delivery.id)
            attempt = Attempt(self._clock(), None, 0, "internal error")
        retry_at = (
            None
            if attempt.delivered
            else schedule.next_attempt_at(
                delivery.attempts + 1,
                attempt.started_at,
                self._rng,
                self._config.retry_delay_scale,
            )
        )
        return Outcome(delivery, attempt, retry_at)

    def _record_finished(self) -> None:
        outcomes: list[Outcome] = []
        while True:
            try:
                outcomes.append(self._finished.get_nowait())
            except queue.Empty:
                break
        if not outcomes:
            return
        try:
            failing = self._deliveries.record(outcomes)
        finally:
            # Recorded, or (database down) left to their leases: either way no longer ours.
            self._held -= len(outcomes)
            for outcome in outcomes:
                endpoint_id = outcome.delivery.endpoint_id
                self._held_of[endpoint_id] -= 1
                if self._held_of[endpoint_id] <= 0:
                    del self._held_of[endpoint_id]
                if endpoint_id in self._capped and (
                    self._held_of.get(endpoint_id, 0) <= self._config.prefetch // 2
                ):
                    self._capped.discard(endpoint_id)
                    self._claim_wanted = True
        for outcome in outcomes:
            ATTEMPTS.labels(outcome="delivered" if outcome.attempt.delivered else "failed").inc()
            LATENCY.observe(outcome.attempt.latency_ms / 1000)
            if not outcome.attempt.delivered:
                log.info(
                    "webhook attempt failed",
                    delivery=outcome.delivery.id,
                    endpoint=str(outcome.delivery.endpoint_id),
                    attempt=outcome.delivery.attempts + 1,
                    error=outcome.attempt.error,
                    retry_at=outcome.retry_at.isoformat() if outcome.retry_at else None,
                )
        now = self._clock()
        for endpoint_id, since in failing.items():
            if schedule.should_disable(since, now) and self._endpoints.disable_failing(
                endpoint_id, now
            ):
                log.warning("webhook endpoint disabled", endpoint=str(endpoint_id))
                self._on_disabled(endpoint_id)
                with contextlib.suppress(StoreUnavailable):  # the next periodic count will do
                    self.count_disabled()

    def _secrets_of(self, endpoint_id: uuid.UUID, now: datetime) -> list[str]:
        cached = self._secrets.get(endpoint_id)
        if cached and abs((now - cached[0]).total_seconds()) < self._config.secrets_cache_s:
            return cached[1]
        secrets = self._endpoints.secrets_in_force(endpoint_id, now)
        self._secrets[endpoint_id] = (now, secrets)
        return secrets
