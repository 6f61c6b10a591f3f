"""The event store: atomic appends across streams with optimistic concurrency, stream reads and
idempotency look-ups. Commit-order reading lives in ``commit_order.py``.

Each append is a span ``event_store append`` (how many events, streams, and which event types;
a refusal as ``ledgerline.append.refused``), the statement's own span (psycopg's instrumentation)
under it. With tracing off the span is the OpenTelemetry API's no-op one."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
import psycopg
import psycopg.errors
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from prometheus_client import Counter
from psycopg_pool import ConnectionPool, PoolTimeout

from event_store import availability, personal_data
from event_store.errors import (
    ConcurrencyConflict,
    EventStoreError,
    IdempotencyKeyTaken,
    StoreUnavailable,
    UniqueClaimTaken,
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


# Datetimes and dataclasses are not JSON: let them fail as the standard library would.
_ORJSON_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def dumps(value: Any) -> str:
    """Compact JSON; money is int so nothing here ever needs a float. orjson for speed (an
    append serialises every event's data and metadata); the standard library for what orjson
    refuses (integers beyond 64 bits), with the same compact output."""
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class InsertRow:
    """One events row as the append statement takes it (either JSON data or opaque state)."""

    stream_id: UUID
    stream_type: str
    version: int
    type: str
    schema_version: int
    data: str | None
    state: bytes | None
    metadata: str


# Every row carries its hash-chain link (see event_store/hash_chain.py), computed here rather
# than by the events_hash_chain trigger, which would run PL/pgSQL and an index probe per row (it
# still covers any writer that leaves hash NULL). The window aggregate chains a batch's rows of
# one stream in version order in one pass, seeded with the stored hash of the version before the
# first (``f``: the row with the stream's lowest version in the batch, marked by the client).
#
# The rows arrive as one JSON document rather than one array parameter per column: building and
# binary-encoding eight arrays cost the client more than the server spends on the whole insert
# (bench/append.py), while PostgreSQL parses the document in a fraction of that. ``d`` and ``m``
# are embedded as JSON, so the server parses them once, straight into jsonb.
_INSERT_EVENTS = """
INSERT INTO events (stream_id, stream_type, version, type, schema_version, data, state, metadata,
                    event_id, recorded_at, hash)
SELECT s, st, v, t, sv, d, b, m, eid, ts,
       ledgerline_hash_chain(
           CASE WHEN f THEN
               (SELECT p.hash FROM events AS p WHERE p.stream_id = s AND p.version = v - 1) END,
           ledgerline_event_content(s, st, v, t, sv, d, b, m, eid, ts))
       OVER (PARTITION BY s ORDER BY v ROWS UNBOUNDED PRECEDING)
FROM (SELECT s, st, v, t, sv, d, decode(b, 'hex') AS b, m, f, n,
             gen_random_uuid() AS eid, now() AS ts
      FROM ROWS FROM (json_to_recordset(%(rows)s::json) AS
                      (s uuid, st text, v int8, t text, sv int4, d jsonb, b text, m jsonb, f bool))
           WITH ORDINALITY AS e(s, st, v, t, sv, d, b, m, f, n)) AS e
ORDER BY n
RETURNING position, tx_id::text::int8, event_id, recorded_at
"""

# A single event (most commands touch one stream) skips unnest: planning and running a VALUES
# insert is measurably cheaper (bench/append.py, single-event scenarios).
_INSERT_ONE_EVENT = """
INSERT INTO events (stream_id, stream_type, version, type, schema_version, data, state, metadata,
                    event_id, recorded_at, hash)
SELECT e.s, e.st, e.v, e.t, e.sv, e.d, e.b, e.m, e.eid, e.ts,
       sha256(coalesce(p.hash, ''::bytea)
              || ledgerline_event_content(e.s, e.st, e.v, e.t, e.sv, e.d, e.b, e.m, e.eid, e.ts))
FROM (SELECT %(s)s::uuid AS s, %(st)s::text AS st, %(v)s::int8 AS v, %(t)s::text AS t,
             %(sv)s::int4 AS sv, %(d)s::jsonb AS d, %(b)s::bytea AS b, %(m)s::jsonb AS m,
             gen_random_uuid() AS eid, now() AS ts) AS e
LEFT JOIN events AS p ON p.stream_id = e.s AND p.version = e.v - 1
RETURNING position, tx_id::text::int8, event_id, recorded_at
"""

_IDEMPOTENCY_CTE = """
idempotency AS (
    INSERT INTO idempotency_keys (scope, key, fingerprint, response)
    VALUES (%(i_scope)s, %(i_key)s, %(i_fingerprint)s, %(i_response)s::jsonb)
)"""

_NEW_KEYS_CTE = """
new_keys AS (
    INSERT INTO personal_data_keys (subject_id, key)
    SELECT * FROM unnest(%(k_subject)s::uuid[], %(k_key)s::bytea[])
)"""

_FORGET_CTE = """
forgotten AS (
    DELETE FROM personal_data_keys WHERE subject_id = ANY(%(f_subject)s::uuid[])
)"""

_CLAIMS_CTE = """
claims AS (
    INSERT INTO unique_claims (kind, value, owner_id)
    SELECT * FROM unnest(%(c_kind)b::text[], %(c_value)b::text[], %(c_owner)b::uuid[])
)"""

_RELEASES_CTE = """
releases AS (
    DELETE FROM unique_claims AS u
    USING unnest(%(r_kind)b::text[], %(r_value)b::text[], %(r_owner)b::uuid[]) AS r(k, v, o)
    WHERE u.kind = r.k AND u.value = r.v AND u.owner_id = r.o
)"""


# Statement parameter -> InsertRow attribute, of the one-event form.
_PARAMETERS = {
    "s": "stream_id",
    "st": "stream_type",
    "v": "version",
    "t": "type",
    "sv": "schema_version",
    "d": "data",
    "b": "state",
    "m": "metadata",
}


def rows_document(rows: Sequence[InsertRow]) -> str:
    """The JSON document ``_INSERT_EVENTS`` reads its rows from (data and metadata embedded as
    the JSON they already are), each marked ``f`` when it has its stream's lowest version."""
    lowest: dict[UUID, int] = {}
    for row in rows:
        lowest[row.stream_id] = min(row.version, lowest.get(row.stream_id, row.version))
    return orjson.dumps(
        [
            {
                "s": row.stream_id,
                "st": row.stream_type,
                "v": row.version,
                "t": row.type,
                "sv": row.schema_version,
                "d": None if row.data is None else orjson.Fragment(row.data),
                "b": None if row.state is None else row.state.hex(),
                "m": orjson.Fragment(row.metadata),
                "f": lowest[row.stream_id] == row.version,
            }
            for row in rows
        ]
    ).decode()


def build_append_statement(
    rows: Sequence[InsertRow],
    idempotency: IdempotencyRecord | None,
    claims: Sequence[UniqueClaim],
    releases: Sequence[UniqueClaim],
    new_keys: Mapping[UUID, bytes] | None = None,
    forget: Sequence[UUID] = (),
) -> tuple[str, dict[str, Any]]:
    """One statement for the whole append, so it commits atomically in autocommit mode."""
    if len(rows) == 1:
        insert = _INSERT_ONE_EVENT
        params = {name: getattr(rows[0], column) for name, column in _PARAMETERS.items()}
    else:
        insert = _INSERT_EVENTS
        params = {"rows": rows_document(rows)}
    ctes: list[str] = []
    if idempotency is not None:
        # First CTE: a concurrent repeat of the same key waits here on the primary key and
        # then fails, before it has appended anything.
        ctes.append(_IDEMPOTENCY_CTE)
        params |= {
            "i_scope": idempotency.scope,
            "i_key": idempotency.key,
            "i_fingerprint": idempotency.fingerprint,
            "i_response": dumps(idempotency.response),
        }
    if releases:
        ctes.append(_RELEASES_CTE)
        params |= {
            "r_kind": [c.kind for c in releases],
            "r_value": [c.value for c in releases],
            "r_owner": [c.owner_id for c in releases],
        }
    if claims:
        ctes.append(_CLAIMS_CTE)
        params |= {
            "c_kind": [c.kind for c in claims],
            "c_value": [c.value for c in claims],
            "c_owner": [c.owner_id for c in claims],
        }
    if new_keys:
        ctes.append(_NEW_KEYS_CTE)
        params |= {"k_subject": list(new_keys), "k_key": list(new_keys.values())}
    if forget:
        ctes.append(_FORGET_CTE)
        params |= {"f_subject": list(forget)}
    statement = ("WITH " + ",".join(ctes) + "\n" if ctes else "") + insert
    return statement, params


def translate_unique_violation(
    error: psycopg.errors.UniqueViolation, idempotency: IdempotencyRecord | None
) -> EventStoreError:
    """Name the conflict by the constraint PostgreSQL reports."""
    constraint = error.diag.constraint_name
    if constraint == "idempotency_keys_pkey" and idempotency is not None:
        return IdempotencyKeyTaken(idempotency.scope, idempotency.key)
    if constraint == "unique_claims_pkey":
        detail = error.diag.message_detail or ""
        kind = detail.split("=(", 1)[-1].split(",", 1)[0] if "=(" in detail else "value"
        return UniqueClaimTaken(kind)
    stream_id, version = _parse_stream_conflict(error.diag.message_detail or "")
    return ConcurrencyConflict(stream_id, version)


def _parse_stream_conflict(detail: str) -> tuple[UUID | None, int | None]:
    # detail looks like: Key (stream_id, version)=(5b1e…, 3) already exists.
    try:
        values = detail.split("=(", 1)[1].split(")", 1)[0]
        stream, version = (part.strip() for part in values.split(","))
        return UUID(stream), int(version)
    except (IndexError, ValueError):
        return None, None


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
