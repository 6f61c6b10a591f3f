"""The dead-letter topic: where a projector puts a record it cannot project, so that one poison
event never blocks its partition.

A dead letter is the original record (same key and value, original headers kept) plus headers
``error`` (exception type and message), ``source_topic``, ``source_partition``,
``source_offset`` and ``consumer_group`` (the projector that gave up on it: each projector group
dead-letters a poison record once). ``send`` returns only once the broker acknowledged every
letter, so the runner can commit the source offsets afterwards without losing one.

The record stays as it was on the source topic, so its personal fields stay sealed; the error
text has the clear values the projector had opened replaced, since an exception message may
quote them.
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
REDACTED = "[personal data]"


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"


def redact(text: str, values: Sequence[str]) -> str:
    """``text`` with every occurrence of ``values`` replaced (longest first)."""
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return text


def describe_error(error: BaseException, personal_values: Sequence[str] = ()) -> str:
    """One line naming the error, with ``personal_values`` redacted, cut to a bounded size."""
    text = redact(f"{type(error).__name__}: {error}", personal_values)
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


@dataclass(frozen=True)
class DeadLetter:
    record: ConsumerRecord
    error: BaseException
    consumer_group: str | None = None  # which projector gave up on it (each one may)
    personal_values: Sequence[str] = ()  # clear values to keep out of the error text

    @property
    def error_text(self) -> str:
        return describe_error(self.error, self.personal_values)

    def headers(self) -> list[tuple[str, bytes]]:
        ours = {"error", "source_topic", "source_partition", "source_offset", "consumer_group"}
        original = [(k, v) for k, v in (self.record.headers or []) if k not in ours]
        headers = [
            *original,
            ("error", self.error_text.encode()),
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
