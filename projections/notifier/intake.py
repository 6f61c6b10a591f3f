"""The notifier's Kafka side: a consumer-group member that turns each batch of events into
stored deliveries and owed mails, and only then commits the batch's offsets.

Everything a batch owes is written in one PostgreSQL transaction before the commit, with ids
derived from (endpoint or recipient, event), so a notifier killed between the two re-reads the
batch and writes nothing new. PostgreSQL or Kafka not answering is waited out with capped
back-off, the batch kept; nothing is committed past an event whose work is not stored.
Records that are not events (the projectors dead-letter those) are skipped with a warning.

Tracing: a record whose ``traceparent`` header is sampled gets a span ``notifier intake`` (a
child of the relay's publish span) covering its batch, with ``notifier plan`` and ``notifier
store`` steps; the deliveries and mails it owes keep that span's traceparent, so their attempts
continue the same trace (``infra.tracing.batches``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

import structlog
from kafka import KafkaConsumer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition
from opentelemetry.trace import Span
from prometheus_client import Counter
from psycopg.errors import ForeignKeyViolation

from event_store.errors import StoreUnavailable
from infra.tracing.batches import Attributes, batch_step, traced_batch
from infra.tracing.propagation import traceparent_of
from projections.consumer import correlation_id_of, decode_record, trace_parents
from projections.notifier.deliveries import ClaimedDelivery, add_deliveries
from projections.notifier.endpoints import Connect
from projections.notifier.mail_outbox import add_mails, forget_recipients
from projections.notifier.planner import Planner
from projections.retry import Backoff, Stopped, retrying

log = structlog.get_logger(__name__)
Batch = dict[TopicPartition, list[ConsumerRecord]]

PLANNED = Counter(
    "ledgerline_notifier_planned", "Webhook deliveries and mails stored, by kind.", ["kind"]
)
SKIPPED = Counter("ledgerline_notifier_skipped_records", "Records that were not events.")


class Intake:
    def __init__(
        self,
        consumer: KafkaConsumer,
        topic: str,
        planner: Planner,
        connect: Connect,
        *,
        clock: Callable[[], datetime],
        hand_over: Callable[[list[ClaimedDelivery]], None] | None = None,
        lease: timedelta = timedelta(seconds=60),
        on_mail: Callable[[], None] = lambda: None,
        max_records: int = 500,
    ) -> None:
        self._consumer = consumer
        self._topic = topic
        self._planner = planner
        self._connect = connect
        self._clock = clock
        self._hand_over = hand_over
        self._lease = lease
        self._on_mail = on_mail
        self._max_records = max_records
        self._backoff = Backoff(0.1, 5.0)
        self.events_seen = 0

    def run(self, stop: threading.Event) -> None:
        try:
            # Joining the group before this client has the topic's metadata (a topic created
            # moments ago) gets no partitions until the next metadata refresh, minutes later.
            try:
                retrying(stop, self._topic_known, retry_on=(KafkaError,), backoff=self._backoff)
            except Stopped:
                return
            self._consumer.subscribe([self._topic])
            while not stop.is_set():
                try:
                    batch = retrying(
                        stop, self._poll, retry_on=(KafkaError,), backoff=self._backoff
                    )
                    if batch:
                        retrying(
                            stop,
                            partial(self._store, batch),
                            # An endpoint deleted while its deliveries were being stored: the
                            # batch is planned again without it.
                            retry_on=(StoreUnavailable, ForeignKeyViolation),
                            backoff=self._backoff,
                            on_retry=_waiting("postgresql"),
                        )
                        self._commit(batch)
                except Stopped:
                    return
        finally:
            self._consumer.close(autocommit=False)

    def _topic_known(self) -> None:
        if not self._consumer.partitions_for_topic(self._topic):
            raise KafkaError(f"no metadata for topic {self._topic} yet")

    def _poll(self) -> Batch:
        batch: Batch = self._consumer.poll(timeout_ms=500, max_records=self._max_records)
        return batch

    def _store(self, batch: Batch) -> None:
        records = [record for partition_records in batch.values() for record in partition_records]
        traced = trace_parents(records)
        attributes: Attributes = {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": self._topic,
            "messaging.batch.message_count": len(records),
        }
        parents = [(parent, own) for _, parent, own in traced]
        with traced_batch("notifier intake", parents, attributes=attributes) as spans:
            self._store_records(records, dict(zip((i for i, _, _ in traced), spans, strict=True)))

    def _store_records(self, records: list[ConsumerRecord], spans: dict[int, Span]) -> None:
        """Plan and store ``records``' work; ``spans``: the intake span of each sampled one."""
        envelopes = []
        traceparents: dict[str, str] = {}
        for index, record in enumerate(records):
            try:
                envelope = decode_record(record)
            except ValueError:
                SKIPPED.inc()
                log.warning(
                    "notifier skipped a record that is not an event",
                    partition=record.partition,
                    offset=record.offset,
                )
                continue
            envelopes.append(envelope)
            if index in spans and (traceparent := traceparent_of(spans[index])):
                traceparents[str(envelope["event_id"])] = traceparent
            log.debug(
                "notifier_event",
                event_id=envelope["event_id"],
                type=envelope["type"],
                correlation_id=correlation_id_of(record, envelope),
            )
        with batch_step("notifier plan", {"ledgerline.events": len(envelopes)}):
            plan = self._planner.plan(envelopes, traceparents)
        now = self._clock()
        claimed_until = now + self._lease if self._hand_over else None
        stored: Attributes = {
            "ledgerline.webhook_deliveries": len(plan.deliveries),
            "ledgerline.mails": len(plan.mails),
        }
        with (
            batch_step("notifier store", stored),
            self._connect() as conn,
            conn.transaction(),
        ):
            new = add_deliveries(conn, plan.deliveries, now, claimed_until=claimed_until)
            add_mails(conn, plan.mails, now)
            forget_recipients(conn, plan.forgotten_users)
        self.events_seen += len(envelopes)
        PLANNED.labels(kind="webhook").inc(len(plan.deliveries))
        PLANNED.labels(kind="mail").inc(len(plan.mails))
        # New deliveries go straight to this notifier's dispatcher (claimed in the same
        # transaction): no claim query between an event and its first attempt.
        if new and self._hand_over:
            self._hand_over(new)
        if plan.mails:
            self._on_mail()

    def _commit(self, batch: Batch) -> None:
        offsets = {
            partition: OffsetAndMetadata(records[-1].offset + 1, "", -1)
            for partition, records in batch.items()
        }
        try:
            self._consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as error:
            # A rebalance took the partitions: their next owner re-reads the batch and finds
            # its work stored already.
            log.info("notifier commit failed; the batch will be read again", error=repr(error))


def _waiting(server: str) -> Callable[[BaseException, int, float], None]:
    def on_retry(error: BaseException, attempt: int, wait_s: float) -> None:
        log.warning(
            "notifier_waiting_for_server", server=server, error=repr(error), attempt=attempt
        )

    return on_retry
