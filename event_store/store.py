"""The event store: atomic appends across streams with optimistic concurrency, stream reads and
idempotency look-ups. Commit-order reading lives in ``commit_order.py``.

Each append is a span ``event_store append`` (how many events, streams, and which event types;
a refusal as ``ledgerline.append.refused``), the statement's own span (psycopg's instrumentation)
under it. With tracing off the span is the OpenTelemetry API's no-op one."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
import psycopg.errors
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from prometheus_client import Counter
from psycopg_pool import ConnectionPool, PoolTimeout

from event_store import availability, personal_data
from event_store.append_statement import (
    InsertRow,
    build_append_statement,
    dumps,
    translate_unique_violation,
)
from event_store.errors import (
    EventStoreError,
    StoreUnavailable,
)
from event_store.records import (
    IdempotencyRecord,
    NewEvent,
    RecordedEvent,
    UniqueClaim,
)
from event_store.rows import EVENT_COLUMNS, to_recorded_event

APPENDS = Counter(
    "ledgerline_event_store_appends",
    "Append statements, by outcome (appended, ConcurrencyConflict, IdempotencyKeyTaken, ...).",
    ["outcome"],
)
EVENTS_APPENDED = Counter("ledgerline_event_store_events_appended", "Events appended.")
_tracer = trace.get_tracer("ledgerline.event_store")


class EventStore:
    """Appends and reads events in the ``events`` table through a pool of autocommit
    connections (see ``event_store.connection.open_pool``)."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """Borrow a connection; driver failures become ``StoreUnavailable``."""
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout as error:
            availability.record_unavailable()
            raise StoreUnavailable("no database connection available") from error
        except psycopg.OperationalError as error:
            availability.record_unavailable()
            raise StoreUnavailable(str(error)) from error
        availability.record_available()

    def append(
        self,
        events: Sequence[NewEvent],
        *,
        idempotency: IdempotencyRecord | None = None,
        claims: Sequence[UniqueClaim] = (),
        releases: Sequence[UniqueClaim] = (),
        new_subjects: Sequence[UUID] = (),
        forget_subjects: Sequence[UUID] = (),
    ) -> list[RecordedEvent]:
        """Append events to one or more streams in one transaction, or nothing at all.

        Personal fields are encrypted on the way in (see ``personal_data``): ``new_subjects``
        get a fresh key, written in the same statement; other subjects use their stored key.
        ``forget_subjects`` have their key deleted in the same statement.

        Raises ``ConcurrencyConflict`` if any stream already has one of the versions,
        ``IdempotencyKeyTaken`` if the idempotency record exists, ``UniqueClaimTaken`` if a
        claimed value is held by someone else.
        """
        with _tracer.start_as_current_span(
            "event_store append", record_exception=False, set_status_on_exception=False
        ) as span:
            if span.is_recording():
                span.set_attributes(
                    {
                        "ledgerline.events": len(events),
                        "ledgerline.streams": len({e.stream_id for e in events}),
                        "ledgerline.event_types": sorted({e.type for e in events}),
                    }
                )
            try:
                return self._append(
                    events,
                    idempotency=idempotency,
                    claims=claims,
                    releases=releases,
                    new_subjects=new_subjects,
                    forget_subjects=forget_subjects,
                )
            except Exception as error:
                if isinstance(error, EventStoreError) and not isinstance(error, StoreUnavailable):
                    span.set_attribute("ledgerline.append.refused", type(error).__name__)
                else:  # the type only: a driver's message may quote a value
                    span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                raise

    def _append(
        self,
        events: Sequence[NewEvent],
        *,
        idempotency: IdempotencyRecord | None,
        claims: Sequence[UniqueClaim],
        releases: Sequence[UniqueClaim],
        new_subjects: Sequence[UUID],
        forget_subjects: Sequence[UUID],
    ) -> list[RecordedEvent]:
        new_keys = {subject: personal_data.new_key() for subject in new_subjects}
        stored = self._sealed(events, new_keys)
        # The events of one command usually share one metadata dict: serialise it once.
        metadata_json: dict[int, str] = {}
        rows = [
            InsertRow(
                stream_id=e.stream_id,
                stream_type=e.stream_type,
                version=e.version,
                type=e.type,
                schema_version=e.schema_version,
                data=dumps(e.data),
                state=None,
                metadata=metadata_json.get(id(e.metadata))
                or metadata_json.setdefault(id(e.metadata), dumps(e.metadata)),
            )
            for e in stored
        ]
        results = self.insert_rows(
            rows,
            idempotency=idempotency,
            claims=claims,
            releases=releases,
            new_keys=new_keys,
            forget=forget_subjects,
        )
        return [
            RecordedEvent(
                position=position,
                tx_id=tx_id,
                event_id=event_id,
                stream_id=e.stream_id,
                stream_type=e.stream_type,
                version=e.version,
                type=e.type,
                schema_version=e.schema_version,
                data=e.data,
                metadata=e.metadata,
                recorded_at=recorded_at,
            )
            for e, (position, tx_id, event_id, recorded_at) in zip(events, results, strict=True)
        ]

    def _sealed(self, events: Sequence[NewEvent], new_keys: Mapping[UUID, bytes]) -> list[NewEvent]:
        subject_of = {
            id(e): personal_data.subject_of(e.type, e.stream_id, e.data)
            for e in events
            if personal_data.has_personal_data(e.type)
        }
        if not subject_of:
            return list(events)
        keys = dict(new_keys)
        if missing := set(subject_of.values()) - keys.keys():
            with self.connection() as conn:
                keys |= personal_data.load_keys(conn, missing)
        if missing := set(subject_of.values()) - keys.keys():
            raise EventStoreError(f"no personal data key for {sorted(map(str, missing))}")
        return [
            personal_data.seal(e, keys[subject_of[id(e)]]) if id(e) in subject_of else e
            for e in events
        ]

    def insert_rows(
        self,
        rows: Sequence[InsertRow],
        *,
        idempotency: IdempotencyRecord | None = None,
        claims: Sequence[UniqueClaim] = (),
        releases: Sequence[UniqueClaim] = (),
        new_keys: Mapping[UUID, bytes] | None = None,
        forget: Sequence[UUID] = (),
    ) -> list[tuple[int, int, UUID, datetime]]:
        """Low-level append shared with the eventsourcing adapter; returns, per row in order,
        (position, tx_id, event_id, recorded_at)."""
        if not rows:
            return []
        statement, params = build_append_statement(
            rows, idempotency, claims, releases, new_keys, forget
        )
        with self.connection() as conn:
            try:
                cursor = conn.execute(statement.encode(), params)
            except psycopg.errors.UniqueViolation as error:
                refusal = translate_unique_violation(error, idempotency)
                APPENDS.labels(outcome=type(refusal).__name__).inc()
                raise refusal from error
            results = cursor.fetchall()
        APPENDS.labels(outcome="appended").inc()
        EVENTS_APPENDED.inc(len(results))
        return sorted(results)

    def read_stream(
        self,
        stream_id: UUID,
        *,
        after_version: int = 0,
        up_to_version: int | None = None,
        up_to_time: datetime | None = None,
    ) -> list[RecordedEvent]:
        """A stream's events in version order, optionally cut at a version or a time."""
        query = f"SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = %s AND version > %s"
        params: list[Any] = [stream_id, after_version]
        if up_to_version is not None:
            query += " AND version <= %s"
            params.append(up_to_version)
        if up_to_time is not None:
            query += " AND recorded_at <= %s"
            params.append(up_to_time)
        query += " ORDER BY version"
        with self.connection() as conn:
            rows = conn.execute(query.encode(), params).fetchall()
            return personal_data.reveal_records(conn, [to_recorded_event(row) for row in rows])

    def find_idempotency(self, scope: str, key: str) -> IdempotencyRecord | None:
        """The committed outcome of an earlier request with this key, if any."""
        with self.connection() as conn:
            row = conn.execute(
                b"SELECT fingerprint, response FROM idempotency_keys WHERE scope = %s AND key = %s",
                (scope, key),
            ).fetchone()
        if row is None:
            return None
        return IdempotencyRecord(scope=scope, key=key, fingerprint=row[0], response=row[1])

    def claim_owner(self, kind: str, value: str) -> UUID | None:
        """Which aggregate holds a unique value, if any."""
        with self.connection() as conn:
            row = conn.execute(
                b"SELECT owner_id FROM unique_claims WHERE kind = %s AND value = %s",
                (kind, value),
            ).fetchone()
        return None if row is None else row[0]
