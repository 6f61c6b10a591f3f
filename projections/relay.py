"""The relay: tails the event store in commit order and publishes every event to Kafka.

Events are published as stored: personal fields stay sealed (``projections.envelope``).

Order of operations per batch: read after the checkpoint, send every event (key = stream id, so
a stream's events stay in one partition, in order), wait until the broker acknowledged all of
them (acks=all, idempotent producer), and only then store the new checkpoint. A crash between
acknowledgement and checkpoint republishes the batch: delivery is at-least-once and consumers
deduplicate by stream version and event id.

An idle relay waits for the write API's "new events" signal (Redis pub/sub, sent after each
commit: ``wakeup``) and reads at once when it comes; it also reads every ``idle_wait_s``
(100 ms) without one, for writers that send no signal (tools, the notifier's appends) and for
signals lost while Redis is down. When Kafka is unreachable the batch is retried with capped
exponential backoff; nothing moves the checkpoint until the broker has the events, so nothing
is lost, and writers are unaffected because they never talk to Kafka.

Tracing: an event whose metadata holds a sampled ``traceparent`` (its command was traced) gets a
"relay publish" span, a child of the command's span, from its send until the broker's ack; the
Kafka header ``traceparent`` then names that span, so the consumers' spans are its children. An
unsampled event's traceparent is passed on unchanged as the header (``infra.tracing``).

Replicas: with a ``LeaderElection`` the relay waits for the leader lock, publishes while its
term lasts, and goes back to waiting when the term ends (``projections.leadership`` explains the
lock, the fencing of checkpoint writes and why per-stream order holds). Without one it claims a
term at start and a fenced write (another relay or an operator moved the checkpoint) ends it
with ``Fenced``, loudly.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from kafka import KafkaProducer
from kafka.errors import KafkaError
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Gauge

from event_store.commit_order import backlog_after, checkpoint_of, read_committed
from event_store.errors import StoreUnavailable
from event_store.records import Checkpoint, RecordedEvent
from event_store.store import EventStore
from infra.redis.signals import Wakeup
from infra.tracing.batches import Attributes, traced_batch
from infra.tracing.propagation import HEADER, sampled_parent, traceparent_of
from projections.checkpoints import CheckpointStore, Fenced
from projections.envelope import encode_envelope, to_envelope
from projections.leadership import IS_LEADER, LOST, TAKEOVERS, LeaderElection, Term
from projections.retry import Backoff, Stopped, retrying

log = structlog.get_logger(__name__)


PUBLISHED = Counter("ledgerline_relay_events_published", "Events the broker acknowledged.")
LAG_EVENTS = Gauge("ledgerline_relay_lag_events", "Events in the store not yet published.")
LAG_SECONDS = Gauge(
    "ledgerline_relay_lag_seconds", "Age of the oldest event not yet published (0 when idle)."
)
WAKEUPS = Counter(
    "ledgerline_relay_wakeups",
    "Idle waits of the relay, by how they ended (a new-events signal, or the poll interval).",
    ["cause"],
)
BACKLOG_EVERY_S = 5.0


def relay_checkpoint_name(topic: str) -> str:
    """The relay's checkpoint row for ``topic``. One per topic, so a relay pointed at a new topic
    generation (``ledgerline topics new-generation``) fills it from the start of the store."""
    return f"relay:{topic}"


@dataclass(frozen=True)
class RelayConfig:
    topic: str
    batch_size: int = 2000
    # Not LISTEN/NOTIFY: a NOTIFY on every append serialises writers' commits on a global lock
    # in PostgreSQL and cost a quarter of 8-writer append throughput; the write API's signal
    # travels through Redis after the commit instead. This poll is the fallback: ten cheap
    # index range scans a second bound the delay of an unsignalled event (or of every event
    # while Redis is down) to 100 ms, at a tenth of the idle CPU of the former 10 ms poll.
    idle_wait_s: float = 0.1
    max_backoff_s: float = 5.0


def publish(producer: KafkaProducer, topic: str, events: list[RecordedEvent]) -> None:
    """Send a batch and block until the broker acknowledged every event."""
    traceparents = [event.metadata.get("traceparent") for event in events]
    traced: list[int] = []
    parents: list[tuple[Context, Attributes]] = []
    for index, traceparent in enumerate(traceparents):
        parent = sampled_parent(traceparent)
        if parent is not None:
            traced.append(index)
            parents.append((parent, {"ledgerline.event_type": events[index].type}))
    attributes: Attributes = {
        "messaging.system": "kafka",
        "messaging.operation.type": "send",
        "messaging.destination.name": topic,
        "messaging.batch.message_count": len(events),
    }
    with traced_batch(
        "relay publish", parents, kind=SpanKind.PRODUCER, attributes=attributes
    ) as spans:
        for index, span in zip(traced, spans, strict=True):
            traceparents[index] = traceparent_of(span)
        futures = []
        for event, traceparent in zip(events, traceparents, strict=True):
            envelope = to_envelope(event)
            headers = [("event_type", event.type.encode())]
            correlation_id = event.metadata.get("correlation_id")
            if correlation_id:
                headers.append(("correlation_id", str(correlation_id).encode()))
            if traceparent:
                headers.append((HEADER, str(traceparent).encode()))
            futures.append(
                producer.send(
                    topic,
                    key=str(event.stream_id).encode(),
                    value=encode_envelope(envelope),
                    headers=headers,
                )
            )
        producer.flush()
        for future in futures:
            future.get(timeout=0)  # raises the delivery error, if any


class Deposed(Exception):
    """This relay's term ended (lock connection lost or heartbeat late): stop publishing."""


class Relay:
    """Moves events from the store to Kafka; ``run`` loops until ``stop`` is set."""

    def __init__(
        self,
        store: EventStore,
        config: RelayConfig,
        producer_factory: Callable[[], KafkaProducer],
        wakeup: Wakeup | None = None,
        election: LeaderElection | None = None,
    ) -> None:
        """``wakeup``: set by new-events signals; None polls only. ``election``: publish only
        while leader; None publishes at once (one relay, tests, benchmarks)."""
        self._store = store
        self.wakeup = wakeup or Wakeup()
        self._checkpoints = CheckpointStore(store)
        self._config = config
        self._checkpoint_name = relay_checkpoint_name(config.topic)
        self._producer_factory = producer_factory
        self._producer: KafkaProducer | None = None
        self.checkpoint = Checkpoint()
        self.published = 0
        self._backlog_measured_at = 0.0
        self._election = election
        self._term: Term | None = None
        self._term_id: int | None = None  # the checkpoint row's leader_epoch this relay claimed
        self.leading = False  # publishing under a term (the ledgerline_relay_leader gauge)
        self.terms = 0  # terms this relay has led

    def claim(self) -> None:
        """Start a term: fence out earlier writers and continue from the stored checkpoint."""
        self._term_id, self.checkpoint = self._checkpoints.claim(self._checkpoint_name)

    def run_once(self) -> int:
        """Publish one batch; returns how many events it published. ``Deposed`` or ``Fenced``
        when this relay's term is over."""
        if self._term_id is None:
            self.claim()
        if self._term is not None and not self._term.active():
            raise Deposed("the leader lock was lost or its heartbeat is late")
        events = read_committed(self._store, self.checkpoint, self._config.batch_size)
        if not events:
            return 0
        if self._producer is None:
            self._producer = self._producer_factory()
        LAG_SECONDS.set(max(0.0, time.time() - events[0].recorded_at.timestamp()))
        publish(self._producer, self._config.topic, events)
        checkpoint = checkpoint_of(events[-1])
        assert self._term_id is not None
        self._checkpoints.save_fenced(self._checkpoint_name, self._term_id, checkpoint)
        self.checkpoint = checkpoint
        self.published += len(events)
        PUBLISHED.inc(len(events))
        if logging.getLogger(__name__).isEnabledFor(logging.DEBUG):  # skip the loop otherwise
            for event in events:
                log.debug(
                    "event_published",
                    correlation_id=event.metadata.get("correlation_id"),
                    event_type=event.type,
                    stream_id=str(event.stream_id),
                    version=event.version,
                )
        if len(events) < self._config.batch_size:
            LAG_EVENTS.set(0)  # caught up with everything below the horizon
            LAG_SECONDS.set(0)
        else:
            self._measure_backlog()
        return len(events)

    def _measure_backlog(self) -> None:
        """Count what is left to publish, at most every few seconds (it is a range count)."""
        now = time.monotonic()
        if now - self._backlog_measured_at < BACKLOG_EVERY_S:
            return
        self._backlog_measured_at = now
        with self._store.connection() as conn:
            LAG_EVENTS.set(backlog_after(conn, self.checkpoint)[0])

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop``: with an election, wait for the lock and publish while leader,
        again and again; without, publish from the start."""
        log.info("relay_started", topic=self._config.topic, elected=self._election is not None)
        try:
            if self._election is None:
                self._publish_while_leader(stop)
                return
            while not stop.is_set():
                self._warm_producer()
                term = self._election.acquire(stop)
                if term is None:
                    break
                self._term = term
                try:
                    self._publish_while_leader(stop)
                except (Deposed, Fenced) as error:
                    LOST.inc()
                    log.warning("relay_deposed", reason=str(error), checkpoint=self.checkpoint)
                finally:
                    self.leading = False
                    IS_LEADER.set(0)
                    self._term, self._term_id = None, None
                    self._close_producer()  # nothing of a past term may still be sending
                    term.end()
        finally:
            self._close_producer()
            log.info("relay_stopped", published=self.published)

    def _publish_while_leader(self, stop: threading.Event) -> None:
        """Claim a term, then publish while there is work and poll shortly otherwise, until
        ``stop`` (returns) or the term ends (``Deposed`` / ``Fenced``)."""
        backoff = Backoff(0.1, self._config.max_backoff_s)

        def on_retry(error: BaseException, attempt: int, wait_s: float) -> None:
            log.warning(
                "relay_retrying",
                error=repr(error),
                attempt=attempt,
                backoff_s=wait_s,
                checkpoint=self.checkpoint,
            )
            self._close_producer()  # a fresh one next time: this one may hold a dead connection

        try:
            retrying(stop, self.claim, retry_on=(StoreUnavailable,), backoff=backoff)
            self.leading = True
            self.terms += 1
            if self._term is not None:
                TAKEOVERS.inc()
                IS_LEADER.set(1)
            log.info("relay_leading", term=self._term_id, checkpoint=self.checkpoint)
            while not stop.is_set():
                published = retrying(
                    stop,
                    self.run_once,
                    retry_on=(KafkaError, StoreUnavailable),
                    backoff=backoff,
                    on_retry=on_retry,
                )
                if published == 0:
                    woken = self.wakeup.wait(self._config.idle_wait_s)
                    WAKEUPS.labels(cause="signal" if woken else "poll").inc()
        except Stopped:
            pass

    def _warm_producer(self) -> None:
        """Connect a producer, with the topic's metadata, while waiting for the lock: a new
        leader's first publish then costs no connection or metadata round trips (kill -9 to
        the successor's first publish: median 1.2 s, max 2.9 s cold; 0.5 s, max 0.9 s warm, on
        a loaded 2-core machine). A broker that does not answer is the first batch's problem,
        retried as usual."""
        if self._producer is not None:
            return
        try:
            self._producer = self._producer_factory()
            self._producer.partitions_for(self._config.topic)
        except KafkaError as error:
            log.warning("relay_producer_not_ready", error=repr(error))
            self._close_producer()

    def _close_producer(self) -> None:
        if self._producer is not None:
            with contextlib.suppress(KafkaError):
                self._producer.close(timeout=1)
            self._producer = None
