"""What the relay tests share: a fresh topic, a reader of everything on it, and appends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from uuid import UUID, uuid4

import pytest
from kafka import KafkaConsumer

from event_store.records import NewEvent
from event_store.store import EventStore
from infra.servers import KafkaServer
from projections.topics import ensure_topics


class TopicReader:
    """Collects everything on a topic from the beginning."""

    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self.consumer = KafkaConsumer(
            topic,
            bootstrap_servers=bootstrap_servers,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
            consumer_timeout_ms=200,
        )
        self.messages: list[tuple[bytes, dict[str, object], dict[str, bytes]]] = []

    def drain(self) -> int:
        for message in self.consumer:
            self.messages.append(
                (message.key, json.loads(message.value), dict(message.headers or []))
            )
        return len(self.messages)

    def envelopes(self) -> list[dict[str, object]]:
        return [value for _, value, _ in self.messages]


@pytest.fixture
def topic(kafka_server: KafkaServer) -> str:
    name = f"events-{uuid4().hex[:8]}"
    ensure_topics(kafka_server.bootstrap_servers, {name: 3})
    return name


@pytest.fixture
def reader(kafka_server: KafkaServer, topic: str) -> Iterator[TopicReader]:
    reader = TopicReader(kafka_server.bootstrap_servers, topic)
    yield reader
    reader.consumer.close()


def append_credits(store: EventStore, stream: UUID, first: int, count: int) -> None:
    store.append(
        [
            NewEvent(
                stream,
                "Account",
                version,
                "AccountCredited",
                {"amount": version, "currency": "EUR", "reference": None},
                metadata={"correlation_id": f"corr-{stream}-{version}"},
            )
            for version in range(first, first + count)
        ]
    )
