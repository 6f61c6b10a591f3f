"""Kafka topic administration: create the event topic (and its dead-letter topic) if missing,
look through a topic for personal data in clear, and delete a topic generation.

Kafka records are immutable, so a topic written before personal fields travelled sealed (or by
any writer that put them there in clear) cannot be repaired in place: the operator moves to a
new topic generation, which the relay fills from the start of the event store, and deletes the
old one (README, "Kafka envelope"; ``ledgerline topics``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError, UnknownTopicOrPartitionError
from kafka.structs import TopicPartition

from event_store.personal_data import PERSONAL_FIELDS, is_sealed
from projections.dead_letter import dead_letter_topic
from projections.envelope import decode_envelope

# kafka-python waits 30 s (its request timeout) for an unreachable broker before it gives up;
# a local or in-cluster broker answers in milliseconds, so an operator command or a process
# start learns of an outage sooner (processes retry the call with back-off).
BOOTSTRAP_TIMEOUT_MS = 10_000


def _admin(bootstrap_servers: str) -> KafkaAdminClient:
    return KafkaAdminClient(
        bootstrap_servers=bootstrap_servers,
        client_id="ledgerline-admin",
        bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
    )


def ensure_topics(bootstrap_servers: str, topics: dict[str, int]) -> None:
    """Create each ``{name: partitions}`` topic that does not exist yet (replication factor 1
    here; a production cluster sets its own defaults through the broker)."""
    admin = _admin(bootstrap_servers)
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(name, num_partitions=partitions, replication_factor=1)
            for name, partitions in topics.items()
            if name not in existing
        ]
        if missing:
            # Another process may create it between our check and our request.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(missing)
    finally:
        admin.close()


def list_topics(bootstrap_servers: str) -> set[str]:
    admin = _admin(bootstrap_servers)
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


def delete_topic_generation(bootstrap_servers: str, topic: str) -> list[str]:
    """Delete ``topic`` and its dead-letter topic; returns the names that existed."""
    names = [
        name for name in (topic, dead_letter_topic(topic)) if name in list_topics(bootstrap_servers)
    ]
    if names:
        admin = _admin(bootstrap_servers)
        try:
            with contextlib.suppress(UnknownTopicOrPartitionError):
                admin.delete_topics(names)
        finally:
            admin.close()
    return names


@dataclass
class TopicScan:
    """What ``scan_for_clear_personal_data`` found in one topic."""

    topic: str
    records: int = 0
    clear: int = 0  # records whose envelope holds a personal field in clear
    unreadable: int = 0  # records that are not envelopes at all


def clear_personal_fields(raw: bytes) -> list[str]:
    """Names of the personal fields ``raw`` (an envelope) carries in clear; ValueError if it is
    not an envelope."""
    envelope = decode_envelope(raw)
    data = envelope["data"]
    if not isinstance(data, dict):
        raise ValueError("envelope data is not an object")
    spec = PERSONAL_FIELDS.get(str(envelope["type"]))
    return [
        name
        for name in (spec.fields if spec else ())
        if isinstance(data.get(name), str) and not is_sealed(data[name])
    ]


def scan_for_clear_personal_data(bootstrap_servers: str, topic: str) -> TopicScan:
    """Read every record of ``topic`` and count those carrying personal fields in clear."""
    scan = TopicScan(topic)
    for value in read_whole_topic(bootstrap_servers, topic):
        scan.records += 1
        try:
            if clear_personal_fields(value):
                scan.clear += 1
        except ValueError:
            scan.unreadable += 1
    return scan


def read_whole_topic(bootstrap_servers: str, topic: str) -> Iterator[bytes]:
    """Every record value of ``topic``, from the beginning to the end it had when asked, with a
    plain consumer outside any group (nothing committed)."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        client_id="ledgerline-topic-scan",
        enable_auto_commit=False,
    )
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        left = {tp for tp, end in ends.items() if end > 0}
        while left:
            for records in consumer.poll(timeout_ms=1000, max_records=2000).values():
                for record in records:
                    if record.value is not None:
                        yield record.value
            left = {tp for tp in left if consumer.position(tp) < ends[tp]}
    finally:
        consumer.close(autocommit=False)
