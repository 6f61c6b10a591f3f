"""The relay against real PostgreSQL and Kafka: every event published once per run, in stream
order, checkpoint after acknowledgement, and nothing lost while Kafka is down."""

from __future__ import annotations

import threading
from uuid import uuid4

from event_store.store import EventStore
from infra.servers import KafkaServer
from projections.checkpoints import CheckpointStore
from projections.producer import make_producer
from projections.relay import Relay, RelayConfig, relay_checkpoint_name
from tests.polling import wait_for
from tests.relay.conftest import TopicReader, append_credits


def start_relay(
    store: EventStore, kafka_server: KafkaServer, topic: str, database_url: str, **config: object
) -> tuple[Relay, threading.Event, threading.Thread]:
    relay = Relay(
        store,
        RelayConfig(topic=topic, **config),  # type: ignore[arg-type]
        lambda: make_producer(kafka_server.bootstrap_servers, max_block_ms=2000),
    )
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,))
    thread.start()
    return relay, stop, thread


def test_relay_publishes_envelopes_keyed_by_stream_with_headers_and_checkpoint(
    event_store: EventStore,
    kafka_server: KafkaServer,
    topic: str,
    reader: TopicReader,
    database_url: str,
) -> None:
    streams = [uuid4() for _ in range(5)]
    for stream in streams:
        append_credits(event_store, stream, 1, 4)
    _relay, stop, thread = start_relay(event_store, kafka_server, topic, database_url)
    try:
        wait_for(lambda: reader.drain() >= 20, 30, what="20 events on the topic")
    finally:
        stop.set()
        thread.join(10)
    key, envelope, headers = reader.messages[0]
    assert key == envelope["stream_id"].encode()  # type: ignore[union-attr]
    assert set(envelope) == {
        "event_id",
        "stream_id",
        "stream_type",
        "version",
        "type",
        "schema_version",
        "position",
        "recorded_at",
        "data",
        "metadata",
    }
    assert str(envelope["recorded_at"]).endswith("Z")
    assert headers["event_type"] == b"AccountCredited"
    assert headers["correlation_id"] == str(envelope["metadata"]["correlation_id"]).encode()  # type: ignore[index]
    per_stream: dict[str, list[int]] = {}
    for item in reader.envelopes():
        per_stream.setdefault(str(item["stream_id"]), []).append(int(item["version"]))  # type: ignore[call-overload]
    assert per_stream == {str(s): [1, 2, 3, 4] for s in streams}
    assert CheckpointStore(event_store).load(relay_checkpoint_name(topic)).position == max(
        int(e["position"])
        for e in reader.envelopes()  # type: ignore[call-overload]
    )


def test_idle_relay_keeps_publishing_events_that_arrive_later(
    event_store: EventStore,
    kafka_server: KafkaServer,
    topic: str,
    reader: TopicReader,
    database_url: str,
) -> None:
    relay, stop, thread = start_relay(event_store, kafka_server, topic, database_url)
    try:
        for expected in range(1, 4):
            append_credits(event_store, uuid4(), 1, 1)
            wait_for(lambda n=expected: relay.published == n, 20, what=f"event {expected}")
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert reader.drain() == 3


def test_nothing_is_lost_while_kafka_is_down(
    event_store: EventStore,
    kafka_server: KafkaServer,
    topic: str,
    reader: TopicReader,
    database_url: str,
) -> None:
    streams = [uuid4() for _ in range(4)]
    relay, stop, thread = start_relay(event_store, kafka_server, topic, database_url)
    try:
        for stream in streams:
            append_credits(event_store, stream, 1, 2)
        wait_for(lambda: relay.published == 8, 30, what="events before the outage")
        kafka_server.stop()
        for version in range(3, 13):  # writes keep succeeding while the broker is down
            for stream in streams:
                append_credits(event_store, stream, version, 1)
        kafka_server.start()
        wait_for(lambda: reader.drain() >= 48, 90, what="every event after the broker restart")
    finally:
        stop.set()
        thread.join(30)
    per_stream: dict[str, list[int]] = {}
    for item in reader.envelopes():
        versions = per_stream.setdefault(str(item["stream_id"]), [])
        if int(item["version"]) not in versions:  # type: ignore[call-overload]
            versions.append(int(item["version"]))  # type: ignore[call-overload]
    assert per_stream == {str(s): list(range(1, 13)) for s in streams}
