"""The Kafka producer settings of everything that publishes: the relay and the projectors'
dead-letter queue (acks from every in-sync replica, idempotent, bounded blocking)."""

from __future__ import annotations

from typing import Any

from kafka import KafkaProducer


def make_producer(bootstrap_servers: str, **overrides: Any) -> KafkaProducer:
    config: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 2,
        "max_block_ms": 10_000,
        "request_timeout_ms": 10_000,
        "delivery_timeout_ms": 30_000,
        # kafka-python backs off up to 30 s between reconnects; a broker back from a restart
        # should be noticed in seconds.
        "reconnect_backoff_max_ms": 2_000,
        "client_id": "ledgerline-relay",
    } | overrides
    return KafkaProducer(**config)
