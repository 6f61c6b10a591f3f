"""Where the relay and each projector are, measured against the head of the event store
(``ledgerline projections status`` and ``GET /v1/projections``).

- relay: its checkpoint (the ``checkpoints`` row ``relay:<topic>``); events behind = events
  after that checkpoint in commit order; age = how long ago the oldest of them was recorded.
- projector (consumer group ``ledgerline-mongo`` / ``ledgerline-search``): per partition of the
  event topic, the group's committed offset, the end offset and the difference (lag); a
  partition where the group never committed counts from the beginning of the partition, where
  the projector would start. Events behind = the relay's backlog (not in Kafka yet) plus the
  lag; age = the older of the relay's oldest unpublished event and the oldest record the group
  has not consumed (read from Kafka at its committed offset). The lag counts records, so a
  relay that republished a batch after a crash makes it slightly larger than the events left.
- dead letters (``projections.dead_letter``): the records on the dead-letter topic, in all and
  per projector (by the ``consumer_group`` header each letter carries). The topic holds only
  what could not be projected, so reading it whole is cheap; should that take longer than the
  timeout, the per-projector counts are left unknown (null) and only the total is given.
- pending rebuild swaps (``projections.rebuild.guard``): a rebuild that died between its swap
  and the end of its tail; rerunning the rebuild finishes it.

Reads only; every call opens its own short-lived connections (status is an operator's
occasional question, not a hot path).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import psycopg
from kafka import KafkaAdminClient, KafkaConsumer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from kafka.structs import TopicPartition

from event_store.commit_order import backlog_after
from event_store.records import Checkpoint
from infra.settings import Settings
from projections.dead_letter import dead_letter_topic
from projections.envelope import decode_envelope
from projections.epochs import topic_of_current_epoch
from projections.process import DEFAULT_GROUP_IDS, projector_group_id
from projections.rebuild.guard import JOURNAL_PREFIX
from projections.relay import relay_checkpoint_name


class StatusUnavailable(Exception):
    """PostgreSQL or Kafka did not answer."""


@dataclass(frozen=True)
class PartitionLag:
    partition: int
    committed: int | None  # None: the group never committed an offset here
    end: int
    lag: int


@dataclass(frozen=True)
class ConsumerStatus:
    name: str
    kind: str  # "relay" | "projector"
    position: int | None  # relay: global event position; projector: records consumed
    behind: int  # events behind the head of the event store
    oldest_unprocessed_age_s: float | None  # None when nothing is unprocessed
    group_id: str | None = None
    topic: str | None = None
    partitions: list[PartitionLag] = field(default_factory=list)
    dead_letters: int | None = None  # projector: letters it put on the dead-letter topic


@dataclass(frozen=True)
class PipelineStatus:
    head_position: int | None
    head_recorded_at: str | None
    consumers: list[ConsumerStatus]
    pending_rebuilds: list[str]
    checked_at: str
    dead_letter_topic: str = ""
    dead_letters: int = 0  # every letter on the dead-letter topic


@dataclass(frozen=True)
class StatusSources:
    """Where to look (defaults: the settings' servers and the standard names)."""

    database_url: str
    bootstrap_servers: str
    topic: str
    projector_groups: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_GROUP_IDS))
    timeout_s: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> StatusSources:
        return cls(
            database_url=settings.database_url,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            topic=settings.kafka_topic,
            projector_groups={
                kind: projector_group_id(settings, kind) for kind in DEFAULT_GROUP_IDS
            },
        )


def pipeline_status(sources: StatusSources) -> PipelineStatus:
    """The status of the relay and every projector; StatusUnavailable if a server is down."""
    topic, head_position, head_recorded_at, relay, pending = _from_postgres(sources)
    # The processes use the store's current epoch's topic (projections.epochs): so does this.
    sources = replace(sources, topic=topic)
    projectors, dead_letters = _from_kafka(sources, relay)
    return PipelineStatus(
        head_position=head_position,
        head_recorded_at=head_recorded_at,
        consumers=[relay, *projectors],
        pending_rebuilds=pending,
        checked_at=_rfc3339(datetime.now(UTC)),
        dead_letter_topic=dead_letter_topic(sources.topic),
        dead_letters=dead_letters,
    )


# -- PostgreSQL -------------------------------------------------------------------------------


def _from_postgres(
    sources: StatusSources,
) -> tuple[str, int | None, str | None, ConsumerStatus, list[str]]:
    try:
        with psycopg.connect(
            sources.database_url, autocommit=True, connect_timeout=max(1, int(sources.timeout_s))
        ) as conn:
            topic = topic_of_current_epoch(conn, sources.topic)
            head = conn.execute(
                b"SELECT position, recorded_at FROM events WHERE data IS NOT NULL"
                b" ORDER BY position DESC LIMIT 1"
            ).fetchone()
            checkpoint = conn.execute(
                b"SELECT tx_id::text, position FROM checkpoints WHERE consumer = %s",
                (relay_checkpoint_name(topic),),
            ).fetchone()
            tx_id, position = checkpoint if checkpoint else ("0", 0)
            behind, age = backlog_after(conn, Checkpoint(int(tx_id), int(position)))
            pending = conn.execute(
                b"SELECT consumer FROM checkpoints WHERE starts_with(consumer, %s)"
                b" ORDER BY consumer",
                (JOURNAL_PREFIX,),
            ).fetchall()
    except psycopg.Error as error:
        raise StatusUnavailable(f"PostgreSQL: {_first_line(error)}") from error
    relay = ConsumerStatus(
        name="relay",
        kind="relay",
        position=int(position) if checkpoint else None,
        behind=behind,
        oldest_unprocessed_age_s=None if age is None else round(age, 3),
    )
    return (
        topic,
        None if head is None else int(head[0]),
        None if head is None else _rfc3339(head[1]),
        relay,
        [str(row[0]).removeprefix(JOURNAL_PREFIX) for row in pending],
    )


# -- Kafka ------------------------------------------------------------------------------------


def _from_kafka(sources: StatusSources, relay: ConsumerStatus) -> tuple[list[ConsumerStatus], int]:
    """The projectors' statuses and the number of dead letters."""
    timeout_ms = int(sources.timeout_s * 1000)
    try:
        with _kafka_clients(sources.bootstrap_servers, timeout_ms) as (admin, consumer):
            dead_total, dead_by_group = _dead_letters(
                consumer, dead_letter_topic(sources.topic), sources.timeout_s
            )
            partitions = sorted(consumer.partitions_for_topic(sources.topic) or ())
            tps = [TopicPartition(sources.topic, p) for p in partitions]
            ends: dict[TopicPartition, int] = consumer.end_offsets(tps) if tps else {}
            begins: dict[TopicPartition, int] = consumer.beginning_offsets(tps) if tps else {}
            statuses = []
            for name, group_id in sources.projector_groups.items():
                committed = _committed(admin, group_id, tps, sources.timeout_s)
                lags = []
                starts: dict[TopicPartition, int] = {}
                for tp in tps:
                    offset = committed.get(tp)
                    start = begins[tp] if offset is None else max(offset, begins[tp])
                    lag = max(0, ends[tp] - start)
                    lags.append(PartitionLag(tp.partition, offset, ends[tp], lag))
                    if lag:
                        starts[tp] = start
                ages = [relay.oldest_unprocessed_age_s or 0.0]
                ages += _ages(consumer, starts, sources.timeout_s)
                behind = relay.behind + sum(lag.lag for lag in lags)
                statuses.append(
                    ConsumerStatus(
                        name=name,
                        kind="projector",
                        position=sum(lag.committed or 0 for lag in lags),
                        behind=behind,
                        oldest_unprocessed_age_s=round(max(ages), 3) if behind else None,
                        group_id=group_id,
                        topic=sources.topic,
                        partitions=lags,
                        dead_letters=(
                            None if dead_by_group is None else dead_by_group.get(group_id, 0)
                        ),
                    )
                )
            return statuses, dead_total
    except KafkaError as error:
        raise StatusUnavailable(f"Kafka: {_first_line(error)}") from error


@contextlib.contextmanager
def _kafka_clients(
    bootstrap_servers: str, timeout_ms: int
) -> Iterator[tuple[KafkaAdminClient, KafkaConsumer]]:
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap_servers,
        client_id="ledgerline-status",
        request_timeout_ms=timeout_ms,
        bootstrap_timeout_ms=timeout_ms,
    )
    try:
        consumer = KafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            client_id="ledgerline-status",
            group_id=None,
            enable_auto_commit=False,
            request_timeout_ms=timeout_ms,
            bootstrap_timeout_ms=timeout_ms,
        )
        try:
            yield admin, consumer
        finally:
            consumer.close()
    finally:
        admin.close()


def _committed(
    admin: KafkaAdminClient, group_id: str, tps: list[TopicPartition], timeout_s: float
) -> dict[TopicPartition, int | None]:
    """The group's committed offsets (None where it never committed)."""
    if not tps:
        return {}
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            found = admin.list_group_offsets({group_id: tps}).get(group_id, {})
            break
        except KafkaError as error:
            # A broker creates its offsets topic on first use: a moment later it answers.
            if not error.retriable or time.monotonic() >= deadline:
                raise
            time.sleep(0.1)
    committed: dict[TopicPartition, int | None] = {}
    for tp in tps:
        offset = found.get(tp)
        value = None if offset is None else offset.offset
        committed[tp] = None if value is None or value < 0 else int(value)
    return committed


def _ages(
    consumer: KafkaConsumer, starts: dict[TopicPartition, int], timeout_s: float
) -> list[float]:
    """Age in seconds of the first record at each partition's ``start`` offset."""
    if not starts:
        return []
    consumer.assign(list(starts))
    for tp, offset in starts.items():
        consumer.seek(tp, offset)
    first: dict[TopicPartition, ConsumerRecord] = {}
    deadline = time.monotonic() + timeout_s
    while len(first) < len(starts) and time.monotonic() < deadline:
        for tp, records in consumer.poll(timeout_ms=200).items():
            if records and tp not in first:
                first[tp] = records[0]
                consumer.pause(tp)
    consumer.assign([])
    now = datetime.now(UTC)
    return [max(0.0, (now - _recorded_at(record)).total_seconds()) for record in first.values()]


def _dead_letters(
    consumer: KafkaConsumer, topic: str, timeout_s: float
) -> tuple[int, dict[str, int] | None]:
    """How many letters the dead-letter topic holds, and how many per consumer group (None if
    they could not all be read within ``timeout_s``)."""
    tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
    if not tps:
        return 0, {}
    ends: dict[TopicPartition, int] = consumer.end_offsets(tps)
    begins: dict[TopicPartition, int] = consumer.beginning_offsets(tps)
    total = sum(ends[tp] - begins[tp] for tp in tps)
    by_group: dict[str, int] = {}
    left = {tp for tp in tps if ends[tp] > begins[tp]}
    if not left:
        return 0, by_group
    consumer.assign(list(left))
    for tp in left:
        consumer.seek(tp, begins[tp])
    deadline = time.monotonic() + timeout_s
    try:
        while left and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=200, max_records=500).items():
                for record in records:
                    if record.offset >= ends[tp]:
                        break
                    headers = dict(record.headers or [])
                    group = headers.get("consumer_group", b"").decode(errors="replace")
                    by_group[group] = by_group.get(group, 0) + 1
                if consumer.position(tp) >= ends[tp]:
                    left.discard(tp)
                    consumer.pause(tp)
    finally:
        consumer.assign([])
    return total, (None if left else by_group)


def _recorded_at(record: ConsumerRecord) -> datetime:
    """The event's recorded time from its envelope, else the record's timestamp."""
    with contextlib.suppress(ValueError, TypeError, KeyError):
        envelope: dict[str, Any] = decode_envelope(record.value)
        return datetime.fromisoformat(str(envelope["recorded_at"]))
    return datetime.fromtimestamp(record.timestamp / 1000, UTC)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
