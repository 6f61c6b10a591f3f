"""The single statement an append is: its rows (``InsertRow``, with data and metadata already
JSON), the CTEs that write the idempotency record, unique claims and personal-data keys beside
the events in the same statement, and the naming of the unique violation PostgreSQL answers with
when one of them is taken. ``store.EventStore.append`` runs it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
import psycopg
import psycopg.errors

from event_store.errors import (
    ConcurrencyConflict,
    EventStoreError,
    IdempotencyKeyTaken,
    UniqueClaimTaken,
)
from event_store.records import IdempotencyRecord, UniqueClaim

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
