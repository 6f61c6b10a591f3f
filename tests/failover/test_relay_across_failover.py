"""The relay across a fail-over, under load: writers append to their streams through the
two-host connection string, the primary is lost (every process frozen and killed, its data
directory deleted) and, after a while, the standby promoted; writes resume within seconds of the
promotion, and the relay -- never restarted -- carries on from its checkpoint on the new primary.
Afterwards every acknowledged event is in the store and on
Kafka, every stored event is on Kafka, each stream's events first appear in version order, a
repeat is only ever a republished copy of the same event, and the checkpoint moved on."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from uuid import UUID, uuid4

import pytest
from kafka import KafkaConsumer

from event_store.connection import open_pool
from event_store.errors import ConcurrencyConflict, StoreUnavailable
from event_store.records import NewEvent
from event_store.store import EventStore
from infra.failover import fail_over
from infra.servers import KafkaServer
from projections.checkpoints import CheckpointStore
from projections.producer import make_producer
from projections.relay import Relay, RelayConfig, relay_checkpoint_name
from projections.topics import ensure_topics
from tests.failover.loss import lose
from tests.failover.pair import Pair
from tests.polling import wait_for

WRITERS = 4
STREAMS_PER_WRITER = 5
OPERATOR_DELAY_S = 8.0


@dataclass
class Writer:
    """Appends the next version to its streams in turn; an append that broke is retried with
    the same version, and a conflict on that retry means the broken attempt had committed."""

    store: EventStore
    streams: list[UUID] = field(
        default_factory=lambda: [uuid4() for _ in range(STREAMS_PER_WRITER)]
    )
    acknowledged: list[tuple[UUID, int]] = field(default_factory=list)
    unavailable: int = 0

    def run(self, stop: threading.Event) -> None:
        versions = dict.fromkeys(self.streams, 0)
        pause = threading.Event()  # never set: a short back-off between retries
        while not stop.is_set():
            for stream in self.streams:
                version = versions[stream] + 1
                while True:
                    try:
                        self.store.append([_event(stream, version)])
                        self.acknowledged.append((stream, version))
                        break
                    except StoreUnavailable:
                        self.unavailable += 1
                        pause.wait(0.05)
                    except ConcurrencyConflict:
                        break  # the attempt that broke had committed: stored, not acknowledged
                versions[stream] = version


def _event(stream: UUID, version: int) -> NewEvent:
    data = {"amount": version, "currency": "EUR", "reference": None}
    return NewEvent(stream, "Account", version, "AccountCredited", data)


@pytest.fixture
def store(pair: Pair) -> Iterator[EventStore]:
    pool = open_pool(pair.url, min_size=2, max_size=WRITERS + 4, timeout=5)
    try:
        yield EventStore(pool)
    finally:
        pool.close()


def _topic_records(bootstrap_servers: str, topic: str) -> list[dict[str, object]]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=1000,
    )
    try:
        return [json.loads(message.value) for message in consumer]
    finally:
        consumer.close()


def test_relay_publishes_every_acknowledged_event_in_stream_order_across_a_failover(
    pair: Pair, store: EventStore, kafka_server: KafkaServer
) -> None:
    topic = f"failover-{uuid4().hex[:8]}"
    ensure_topics(kafka_server.bootstrap_servers, {topic: 3})
    relay = Relay(
        store,
        RelayConfig(topic=topic, batch_size=50, max_backoff_s=1.0),
        lambda: make_producer(kafka_server.bootstrap_servers, max_block_ms=2000),
    )
    stop_relay, stop_writers = threading.Event(), threading.Event()
    writers = [Writer(store) for _ in range(WRITERS)]
    threads = [threading.Thread(target=w.run, args=(stop_writers,)) for w in writers]
    relay_thread = threading.Thread(target=relay.run, args=(stop_relay,))
    for thread in [relay_thread, *threads]:
        thread.start()

    def acknowledged() -> int:
        return sum(len(w.acknowledged) for w in writers)

    try:
        wait_for(lambda: relay.published >= 200, 60, what="200 events published before the loss")
        checkpoint_before = relay.checkpoint
        lose(pair.primary, delete_data=True)
        acknowledged_at_loss = acknowledged()
        # An operator who takes a while: the pools have been failing to reconnect meanwhile.
        threading.Event().wait(OPERATOR_DELAY_S)
        fail_over(pair.primary, pair.standby)
        promoted_at = time.monotonic()
        wait_for(lambda: acknowledged() > acknowledged_at_loss, 60, what="writes again")
        resumed_s = time.monotonic() - promoted_at
        wait_for(lambda: acknowledged() >= acknowledged_at_loss + 200, 60, what="more writes")
    finally:
        stop_writers.set()
        for thread in threads:
            thread.join(30)
    try:
        with store.connection() as conn:
            head = conn.execute("select max(position) from events").fetchone()
        wait_for(lambda: relay.checkpoint.position == head[0], 60, what="the relay at the head")  # type: ignore[index]
    finally:
        stop_relay.set()
        relay_thread.join(30)

    with store.connection() as conn:
        assert conn.info.port == pair.standby.port
        stored = {
            (UUID(str(row[1])), row[2]): (str(row[0]), int(row[3]))
            for row in conn.execute("select event_id, stream_id, version, tx_id::text from events")
        }
    # Nothing acknowledged was lost (synchronous standby: RPO = 0).
    acked = {pair_ for w in writers for pair_ in w.acknowledged}
    assert acked <= stored.keys()
    assert any(w.unavailable for w in writers)  # the writers did see the outage
    # Transaction ids continued past every one the relay had read: the horizon held.
    after_loss = [tx for (_, _), (_, tx) in stored.items() if tx > checkpoint_before.tx_id]
    assert after_loss and min(after_loss) > checkpoint_before.tx_id
    records = _topic_records(kafka_server.bootstrap_servers, topic)
    first_seen: dict[str, dict[str, object]] = {}
    order: dict[str, list[int]] = {}
    for record in records:
        event_id = str(record["event_id"])
        if event_id in first_seen:
            assert record == first_seen[event_id]  # a republished copy, never a different event
            continue
        first_seen[event_id] = record
        order.setdefault(str(record["stream_id"]), []).append(int(record["version"]))  # type: ignore[call-overload]
    assert set(first_seen) == {event_id for event_id, _ in stored.values()}
    for versions in order.values():
        assert versions == list(range(1, len(versions) + 1))
    saved = CheckpointStore(store).load(relay_checkpoint_name(topic))
    assert saved.position == head[0] and saved.tx_id > checkpoint_before.tx_id  # type: ignore[index]
    assert resumed_s < 4  # the pools follow the promotion (event_store.connection)
