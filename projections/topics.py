"""Kafka topic administration: create the event topic (and its dead-letter topic) if missing."""

from __future__ import annotations

import contextlib

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError


def ensure_topics(bootstrap_servers: str, topics: dict[str, int]) -> None:
    """Create each ``{name: partitions}`` topic that does not exist yet (replication factor 1
    here; a production cluster sets its own defaults through the broker)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="ledgerline-admin")
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
