"""The projector runner: a Kafka consumer-group member that folds event batches into a sink.

Per poll (up to ``max_records`` records):
1. decode every record (an undecodable one is poison) and open its sealed personal fields
   (``projections.unsealing``: keys from PostgreSQL, briefly cached);
2. load the current documents of the batch's streams (from the cache of documents this member
   wrote while owning their partition, else from the sink), fold the batch (``projections.fold``:
   duplicates skipped by stream version, a failing event rejected as poison), write the result
   through the sink;
3. publish the poison records to the dead-letter topic and wait for the broker's ack;
4. announce the streams' new versions (``announce``: one fire-and-forget Redis signal, which
   wakes the query API's ``min_version`` waiters at once);
5. only then commit ``last offset + 1`` of every partition in the batch.
A sink, broker or key store that does not answer (``SinkUnavailable``, ``KafkaError``,
``StoreUnavailable``) is not poison: the same step is retried with capped exponential backoff,
nothing is committed past an unwritten event, nothing is dropped. ``run`` returns when ``stop``
is set; anything unexpected propagates (a crashed projector must crash loudly and be restarted
by its supervisor). The consumer is always closed on the way out, without committing.

Version gaps and lost write races are waited out before anything is dead-lettered
(``projections.batch_writer``).

Rebalancing: offsets are committed after every batch, so a revoked partition has nothing pending;
the rebalance listener drops the revoked partitions' cached documents (the next owner may change
them) and forgets offsets whose commit failed (committing them now would rewind the new owner).

Tracing: each record whose ``traceparent`` header is sampled gets a span ``project <name>`` (a
child of the relay's publish span) covering the whole batch step that carried it, with the batch
size, and ``<name> load``/``fold``/``write`` children (``projections.batch_writer``); see
``infra.tracing.batches``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import structlog
from kafka import KafkaConsumer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import (
    CommitFailedError,
    IllegalGenerationError,
    KafkaError,
    RebalanceInProgressError,
    UnknownMemberIdError,
)
from kafka.structs import OffsetAndMetadata, TopicPartition
from prometheus_client import Counter, Gauge

from event_store.errors import StoreUnavailable
from infra.tracing.batches import Attributes, traced_batch
from projections.batch_writer import BatchWriter
from projections.cache import DocumentCache
from projections.consumer import correlation_id_of, decode_record, trace_parents
from projections.dead_letter import DeadLetter, DeadLetterQueue, describe_error
from projections.operations import Envelope, Projection, Sink, SinkUnavailable
from projections.retry import Backoff, Stopped, retrying
from projections.unsealing import Unsealer, personal_values

log = structlog.get_logger(__name__)
_stdlib_log = logging.getLogger(__name__)

PROJECTED = Counter(
    "ledgerline_projector_events",
    "Events folded, by projector and outcome.",
    ["projector", "outcome"],
)
DEAD_LETTERS = Counter(
    "ledgerline_projector_dead_letters", "Events sent to the dead-letter topic.", ["projector"]
)
LAG = Gauge(
    "ledgerline_projector_lag_events",
    "Records not yet projected, per partition (as of the last poll).",
    ["projector", "partition"],
)

T = TypeVar("T")
# Servers that did not answer: the step is retried, never dead-lettered.
UNAVAILABLE = (SinkUnavailable, KafkaError, StoreUnavailable)
Batch = Mapping[TopicPartition, Sequence[ConsumerRecord]]
# Told the version of every stream a batch wrote; must not block or raise.
Announce = Callable[[dict[str, int]], None]


@dataclass(frozen=True)
class RunnerConfig:
    topic: str
    group_id: str
    max_records: int = 500
    poll_timeout_ms: int = 500
    initial_backoff_s: float = 0.1
    max_backoff_s: float = 5.0
    cache_entries: int = 100_000
    progress_every_s: float = 30.0
    # How long a batch whose events are ahead of their documents (a version gap) is retried
    # before those events are dead-lettered; a rebuild's tail closes such gaps within moments.
    version_gap_patience_s: float = 30.0


@dataclass
class RunnerStats:
    records: int = 0
    applied: int = 0
    skipped: int = 0
    dead_lettered: int = 0
    batches: int = 0
    retries: int = 0
    gap_retries: int = 0
    refolds: int = 0


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, runner: ProjectorRunner) -> None:
        self._runner = runner

    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self._runner._on_revoked(set(revoked))

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._runner._on_assigned(set(assigned))

    def on_partitions_lost(self, lost: set[TopicPartition]) -> None:
        self._runner._on_revoked(set(lost))


class ProjectorRunner:
    """Owns ``consumer`` (subscribes it when it runs, closes it) and drives ``projection`` into
    ``sink``."""

    def __init__(
        self,
        consumer: KafkaConsumer,
        sink: Sink,
        projection: Projection,
        dead_letters: DeadLetterQueue,
        config: RunnerConfig,
        unsealer: Unsealer | None = None,
        announce: Announce | None = None,
    ) -> None:
        self._consumer = consumer
        self._announce = announce
        self._unsealer = unsealer or Unsealer(None)
        self._sink = sink
        self._projection = projection
        self._dead_letters = dead_letters
        self._config = config
        self._backoff = Backoff(config.initial_backoff_s, config.max_backoff_s)
        self._cache = DocumentCache(config.cache_entries)
        self._assignment: frozenset[TopicPartition] = frozenset()
        self._uncommitted: dict[TopicPartition, OffsetAndMetadata] = {}
        self._lock = threading.Lock()
        self.stats = RunnerStats()
        self._batches = BatchWriter(
            sink,
            projection,
            self._cache,
            lambda: self._assignment,
            config,
            self.stats,
            log.bind(projector=projection.name, group_id=config.group_id),
        )
        self._closed = False
        self._log = log.bind(projector=projection.name, group_id=config.group_id)
        # Exported at 0 from the start, so the first dead letter is an increase that an alert
        # sees (a series that appears at 1 has no increase to show).
        DEAD_LETTERS.labels(projector=projection.name)

    @property
    def assignment(self) -> frozenset[TopicPartition]:
        """Partitions this member owns right now (as the last rebalance left them)."""
        return self._assignment

    # -- main loop --------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        self._log.info("projector_started", topic=self._config.topic)
        last_progress = time.monotonic()
        try:
            try:
                self._subscribe(stop)
            except Stopped:
                return
            while not stop.is_set():
                try:
                    # kafka-python raises from poll when no broker answers (it did when the
                    # broker was stopped under load, crashing the projector): an outage.
                    batch = self._retrying(stop, "broker", self._poll)
                except Stopped:
                    break
                if not batch:
                    continue
                offsets = self.process(batch, stop)
                if offsets is None:  # stopped while waiting for a server: commit nothing
                    break
                self._commit(offsets)
                if time.monotonic() - last_progress >= self._config.progress_every_s:
                    last_progress = time.monotonic()
                    self._log.info("projector_progress", **vars(self.stats))
        finally:
            self.close()
            self._log.info("projector_stopped", **vars(self.stats))

    def _subscribe(self, stop: threading.Event) -> None:
        """Join the group once this client knows the topic's partitions: a member that joins
        before its metadata lists a topic created moments ago is assigned nothing until the
        next metadata refresh, minutes later (a rebuild's projector started right after
        ``ensure_topics`` got no partitions that way)."""

        def topic_known() -> None:
            if not self._consumer.partitions_for_topic(self._config.topic):
                raise KafkaError(f"no metadata for topic {self._config.topic} yet")

        self._retrying(stop, "topic_metadata", topic_known)
        self._consumer.subscribe([self._config.topic], listener=_Listener(self))

    def _poll(self) -> Batch:
        batch: Batch = self._consumer.poll(
            timeout_ms=self._config.poll_timeout_ms, max_records=self._config.max_records
        )
        return batch

    def close(self) -> None:
        """Close the consumer (committing nothing) and the dead-letter producer; idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._consumer.close(autocommit=False)
        finally:
            self._dead_letters.close()

    def process(
        self, batch: Batch, stop: threading.Event
    ) -> dict[TopicPartition, OffsetAndMetadata] | None:
        """Project and write one polled batch and dead-letter its poison records. Returns the
        offsets to commit, or None if ``stop`` was set while a server was unavailable."""
        records = [record for partition_records in batch.values() for record in partition_records]
        attributes: Attributes = {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": self._config.topic,
            "messaging.consumer.group.name": self._config.group_id,
            "messaging.batch.message_count": len(records),
        }
        parents = [(parent, own) for _, parent, own in trace_parents(records)]
        with traced_batch(f"project {self._projection.name}", parents, attributes=attributes):
            return self._process(batch, records, stop)

    def _process(
        self, batch: Batch, records: list[ConsumerRecord], stop: threading.Event
    ) -> dict[TopicPartition, OffsetAndMetadata] | None:
        envelopes: list[Envelope] = []
        origins: list[ConsumerRecord] = []
        poison: list[tuple[DeadLetter, Envelope | None]] = []
        for record in records:
            try:
                envelopes.append(decode_record(record))
                origins.append(record)
            except Exception as error:  # whatever a record's bytes do to the decoder: poison
                poison.append((DeadLetter(record, error, self._config.group_id), None))
        try:
            sealed = envelopes
            envelopes = self._retrying(stop, "event_store", lambda: self._unsealer.reveal(sealed))
            result = self._batches.write(
                envelopes, origins, stop, lambda step: self._retrying(stop, "sink", step)
            )
            poison.extend(
                (
                    DeadLetter(
                        origins[r.index],
                        r.error,
                        self._config.group_id,
                        personal_values(envelopes[r.index]),
                    ),
                    sealed[r.index],
                )
                for r in result.rejected
            )
            if poison:
                self._log_dead_letters(poison)
                letters = [letter for letter, _ in poison]
                self._retrying(stop, "dead_letter_topic", lambda: self._dead_letters.send(letters))
        except Stopped:
            self._log.warning("projector_stopped_while_retrying")
            return None
        if self._announce is not None and result.changes:
            self._announce({c.stream_id: int(c.doc["version"]) for c in result.changes})

        self.stats.records += len(records)
        self.stats.applied += result.applied
        self.stats.skipped += result.skipped
        self.stats.dead_lettered += len(poison)
        self.stats.batches += 1
        name = self._projection.name
        PROJECTED.labels(projector=name, outcome="applied").inc(result.applied)
        PROJECTED.labels(projector=name, outcome="skipped").inc(result.skipped)
        DEAD_LETTERS.labels(projector=name).inc(len(poison))
        self._record_lag(batch)
        if _stdlib_log.isEnabledFor(logging.DEBUG):
            for envelope in envelopes:  # one line per event, findable by its correlation id
                self._log.debug(
                    "event_projected",
                    correlation_id=(envelope.get("metadata") or {}).get("correlation_id"),
                    event_type=envelope.get("type"),
                    stream_id=envelope.get("stream_id"),
                    version=envelope.get("version"),
                )
            self._log.debug(
                "projector_batch",
                records=len(records),
                applied=result.applied,
                skipped=result.skipped,
                dead_lettered=len(poison),
            )
        return {
            partition: OffsetAndMetadata(partition_records[-1].offset + 1, "", -1)
            for partition, partition_records in batch.items()
            if partition_records
        }

    def _record_lag(self, batch: Batch) -> None:
        """Records between each polled partition's newest offset here and its end (highwater),
        as the consumer last learned it from the broker; no extra request."""
        for partition, partition_records in batch.items():
            highwater = self._consumer.highwater(partition)
            if highwater is not None and partition_records:
                LAG.labels(projector=self._projection.name, partition=partition.partition).set(
                    max(0, highwater - partition_records[-1].offset - 1)
                )

    # -- steps ------------------------------------------------------------------------------

    def _retrying(self, stop: threading.Event, what: str, step: Callable[[], T]) -> T:
        """Run ``step`` until it succeeds while ``what`` is unavailable (the pipeline's retry
        policy); raises ``Stopped`` if ``stop`` is set meanwhile."""
        failures = 0

        def on_retry(error: BaseException, attempt: int, wait_s: float) -> None:
            nonlocal failures
            failures = attempt
            self.stats.retries += 1
            self._log.warning(
                "projector_retrying",
                unavailable=what,
                error=describe_error(error),
                attempt=attempt,
                retry_in_s=round(wait_s, 3),
            )

        outcome = retrying(
            stop, step, retry_on=UNAVAILABLE, backoff=self._backoff, on_retry=on_retry
        )
        if failures:
            self._log.info("projector_recovered", unavailable=what, attempts=failures + 1)
        return outcome

    def _commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        with self._lock:
            pending = {**self._uncommitted, **offsets}
        try:
            self._consumer.commit(pending)
        except KafkaError as error:
            if not (error.retriable or isinstance(error, _GROUP_CHANGED)):
                raise
            # The writes are done and idempotent: at worst these events are redelivered. Keep
            # the offsets for the next commit unless the partition moves to another member.
            self._log.warning("offsets_commit_failed", error=describe_error(error))
            with self._lock:
                self._uncommitted = {
                    tp: offset for tp, offset in pending.items() if tp in self._assignment
                }
            return
        with self._lock:
            self._uncommitted = {}

    def _log_dead_letters(self, poison: list[tuple[DeadLetter, Envelope | None]]) -> None:
        for letter, envelope in poison:
            with structlog.contextvars.bound_contextvars(
                correlation_id=correlation_id_of(letter.record, envelope)
            ):
                self._log.warning(
                    "event_dead_lettered",
                    topic=letter.record.topic,
                    partition=letter.record.partition,
                    offset=letter.record.offset,
                    event_id=None if envelope is None else envelope.get("event_id"),
                    event_type=None if envelope is None else envelope.get("type"),
                    error=letter.error_text,
                    dead_letter_topic=self._dead_letters.topic,
                )

    # -- rebalance callbacks (may run on the consumer's IO thread) ----------------------------

    def _on_revoked(self, revoked: set[TopicPartition]) -> None:
        self._cache.drop_partitions(revoked)
        with self._lock:
            self._assignment = self._assignment - revoked
            for partition in revoked:
                self._uncommitted.pop(partition, None)
        if revoked:
            self._log.info("partitions_revoked", partitions=_names(revoked))

    def _on_assigned(self, assigned: set[TopicPartition]) -> None:
        with self._lock:
            self._assignment = self._assignment | assigned
        if assigned:
            self._log.info("partitions_assigned", partitions=_names(assigned))


# The group moved on (rebalance, expired membership): the commit is moot, not a crash.
_GROUP_CHANGED = (
    CommitFailedError,
    RebalanceInProgressError,
    UnknownMemberIdError,
    IllegalGenerationError,
)


def _names(partitions: set[TopicPartition]) -> list[str]:
    return sorted(f"{p.topic}:{p.partition}" for p in partitions)
