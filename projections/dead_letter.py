"""The dead-letter topic: where a projector puts a record it cannot project, so that one poison
event never blocks its partition.

A dead letter is the original record (same key and value, original headers kept) plus headers
``error`` (exception type and message), ``source_topic``, ``source_partition``,
``source_offset`` and ``consumer_group`` (the projector that gave up on it: each projector group
dead-letters a poison record once). ``send`` returns only once the broker acknowledged every
letter, so the runner can commit the source offsets afterwards without losing one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kafka import KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError

from projections.producer import make_producer

MAX_ERROR_CHARS = 2000


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"


def describe_error(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


@dataclass(frozen=True)
class DeadLetter:
    record: ConsumerRecord
    error: BaseException
    consumer_group: str | None = None  # which projector gave up on it (each one may)

    def headers(self) -> list[tuple[str, bytes]]:
        ours = {"error", "source_topic", "source_partition", "source_offset", "consumer_group"}
        original = [(k, v) for k, v in (self.record.headers or []) if k not in ours]
        headers = [
            *original,
            ("error", describe_error(self.error).encode()),
            ("source_topic", self.record.topic.encode()),
            ("source_partition", str(self.record.partition).encode()),
            ("source_offset", str(self.record.offset).encode()),
        ]
        if self.consumer_group:
            headers.append(("consumer_group", self.consumer_group.encode()))
        return headers


def make_dead_letter_producer(bootstrap_servers: str, **overrides: Any) -> KafkaProducer:
    """The relay's producer settings (acks=all, idempotent), under its own client id."""
    return make_producer(bootstrap_servers, client_id="ledgerline-projector-dlq", **overrides)


class DeadLetterQueue:
    """Publishes dead letters; the producer is created on first use (poison is rare)."""

    def __init__(self, producer_factory: Callable[[], KafkaProducer], topic: str) -> None:
        self.topic = topic
        self._producer_factory = producer_factory
        self._producer: KafkaProducer | None = None

    def send(self, letters: Sequence[DeadLetter]) -> None:
        """Publish ``letters`` and wait for the broker; raises KafkaError if it did not ack."""
        if not letters:
            return
        if self._producer is None:
            self._producer = self._producer_factory()
        try:
            futures = [
                self._producer.send(
                    self.topic,
                    key=letter.record.key,
                    value=letter.record.value,
                    headers=letter.headers(),
                )
                for letter in letters
            ]
            self._producer.flush()
            for future in futures:
                future.get(timeout=0)
        except KafkaError:
            # A fresh producer on retry: the old one may hold a broken connection.
            self.close()
            raise

    def close(self) -> None:
        if self._producer is not None:
            with contextlib.suppress(KafkaError):
                self._producer.close(timeout=2)
            self._producer = None
