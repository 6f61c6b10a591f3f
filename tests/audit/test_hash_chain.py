"""The hash chain as PostgreSQL computes it at append time, checked against the independent
Python definition in event_store/hash_chain.py."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent

from event_store import schema
from event_store.eventsourcing_recorder import LedgerlineAggregateRecorder
from event_store.hash_chain import (
    ChainRow,
    canonical_content,
    chain_hash,
    verify_database,
)
from event_store.records import NewEvent
from event_store.schema import migrate
from event_store.store import EventStore

AWKWARD_TEXT = 'quote " backslash \\ newline \n tab \t bell \x07 del \x7f sep \u2028 é €'


def credited(stream: UUID, version: int, **data: Any) -> NewEvent:
    return NewEvent(
        stream,
        "Account",
        version,
        "AccountCredited",
        {"amount": 100 * version, "currency": "EUR", **data},
        metadata={"correlation_id": f"c-{version}", "user_id": str(uuid.uuid4())},
    )


def rows_of(database_url: str, stream: UUID) -> list[ChainRow]:
    with psycopg.connect(database_url) as conn:
        records = conn.execute(
            "SELECT position, stream_id::text, stream_type, version, type, schema_version,"
            " data::text, state, metadata::text, event_id::text, recorded_at, hash"
            " FROM events WHERE stream_id = %s ORDER BY version",
            (stream,),
        ).fetchall()
    return [
        ChainRow(
            position=r[0],
            stream_id=r[1],
            stream_type=r[2],
            version=r[3],
            type=r[4],
            schema_version=r[5],
            data_text=r[6],
            state=None if r[7] is None else bytes(r[7]),
            metadata_text=r[8],
            event_id=r[9],
            recorded_at=r[10],
            hash=r[11],
        )
        for r in records
    ]


def recomputed(rows: list[ChainRow]) -> list[bytes]:
    hashes, previous = [], b""
    for row in rows:
        previous = chain_hash(previous, canonical_content(row))
        hashes.append(previous)
    return hashes


def test_each_event_hash_chains_the_previous_hash_and_its_content(
    event_store: EventStore, database_url: str
) -> None:
    stream = uuid.uuid4()
    for version in (1, 2, 3):
        event_store.append([credited(stream, version)])

    rows = rows_of(database_url, stream)

    assert [row.hash for row in rows] == recomputed(rows)
    first, second = rows[0], rows[1]
    assert first.hash == hashlib.sha256(canonical_content(first)).digest()
    assert second.hash == hashlib.sha256(first.hash + canonical_content(second)).digest()


def test_a_multi_event_append_to_one_stream_chains_inside_the_statement(
    event_store: EventStore, database_url: str
) -> None:
    # One INSERT statement: the BEFORE ROW trigger must see the rows it inserted before.
    stream, other = uuid.uuid4(), uuid.uuid4()
    event_store.append([credited(stream, 1)])
    event_store.append(
        [credited(stream, 2), credited(other, 1), credited(stream, 3), credited(stream, 4)]
    )

    rows = rows_of(database_url, stream)

    assert [row.version for row in rows] == [1, 2, 3, 4]
    assert [row.hash for row in rows] == recomputed(rows)
    assert verify_database(database_url).ok


def test_canonical_content_matches_postgresql_for_awkward_text_and_numbers(
    event_store: EventStore, database_url: str
) -> None:
    stream = uuid.uuid4()
    data = {
        "reference": AWKWARD_TEXT,
        AWKWARD_TEXT: [1, {"z": None, "a": True}, 10**20, -7],
        "k": "short keys sort first in jsonb",
    }
    event = NewEvent(stream, f"Type {AWKWARD_TEXT}", 1, f"Event {AWKWARD_TEXT}", data)
    event_store.append([event])

    (row,) = rows_of(database_url, stream)
    with psycopg.connect(database_url) as conn:
        in_sql = conn.execute(
            "SELECT ledgerline_event_content(stream_id, stream_type, version, type,"
            " schema_version, data, state, metadata, event_id, recorded_at)"
            " FROM events WHERE stream_id = %s",
            (stream,),
        ).fetchone()

    assert in_sql is not None
    assert bytes(in_sql[0]) == canonical_content(row)
    assert row.hash == chain_hash(b"", canonical_content(row))


def test_a_batch_stores_awkward_text_and_numbers_exactly_and_chains_them(
    event_store: EventStore, database_url: str
) -> None:
    # A batch travels as one JSON document (event_store.append_statement.rows_document): every
    # value must come out of it as it went in, and hash as the trigger would have hashed it.
    stream = uuid.uuid4()
    data = {AWKWARD_TEXT: [1, {"z": None, "a": True}, 10**20, -7], "amount": 10**15}
    events = [
        NewEvent(
            stream,
            f"Type {AWKWARD_TEXT}",
            version,
            f"Event {AWKWARD_TEXT}",
            data,
            metadata={"note": AWKWARD_TEXT},
        )
        for version in (1, 2, 3)
    ]
    event_store.append(events)

    stored = event_store.read_stream(stream)
    assert [(e.stream_type, e.type, e.data, e.metadata) for e in stored] == [
        (f"Type {AWKWARD_TEXT}", f"Event {AWKWARD_TEXT}", data, {"note": AWKWARD_TEXT})
    ] * 3
    rows = rows_of(database_url, stream)
    assert [row.hash for row in rows] == recomputed(rows)
    assert verify_database(database_url, stream_id=stream).ok


def test_eventsourcing_library_rows_with_opaque_state_are_hashed(
    event_store: EventStore, database_url: str
) -> None:
    recorder = LedgerlineAggregateRecorder(event_store)
    stream = uuid.uuid4()
    recorder.insert_events(
        [
            StoredEvent(stream, version, "tests.module:Thing.Happened", bytes([0, version, 255]))
            for version in (1, 2)
        ]
    )

    rows = rows_of(database_url, stream)

    assert all(row.data_text is None and row.state is not None for row in rows)
    assert canonical_content(rows[1]).split(b"\n")[5] == b"\\x0002ff"
    assert [row.hash for row in rows] == recomputed(rows)


def test_a_hash_supplied_by_the_writer_is_kept_and_chains_like_the_trigger(
    event_store: EventStore, database_url: str
) -> None:
    # The ledgerline_hash_chain aggregate lets a writer chain a batch inside its own INSERT.
    stream = uuid.uuid4()
    event_store.append([credited(stream, 1)])
    with psycopg.connect(database_url) as conn:
        conn.execute(
            """
            INSERT INTO events (stream_id, stream_type, version, type, data, metadata,
                                event_id, recorded_at, hash)
            SELECT s, 'Account', v, 'AccountCredited', d, '{}', e, t,
                   ledgerline_hash_chain(
                       CASE WHEN v = 2 THEN (SELECT p.hash FROM events AS p
                                             WHERE p.stream_id = s AND p.version = 1) END,
                       ledgerline_event_content(s, 'Account', v, 'AccountCredited', 1, d, NULL,
                                                '{}', e, t))
                   OVER (PARTITION BY s ORDER BY v)
            FROM (SELECT %s::uuid AS s, v, jsonb_build_object('amount', v) AS d,
                         gen_random_uuid() AS e, now() AS t
                  FROM generate_series(2, 4) AS v) AS batch
            """,
            (stream,),
        )

    rows = rows_of(database_url, stream)

    assert [row.version for row in rows] == [1, 2, 3, 4]
    assert [row.hash for row in rows] == recomputed(rows)


def test_migrating_a_log_written_before_the_chain_keeps_old_rows_and_chains_new_ones(
    fresh_database_url: str,
) -> None:
    start, end = (
        schema._DDL.index("-- ===== BEGIN hash chain"),
        schema._DDL.index("-- ===== END hash chain"),
    )
    with psycopg.connect(fresh_database_url) as conn:
        conn.execute((schema._DDL[:start] + schema._DDL[end:]).encode())  # the schema before
        stream = uuid.uuid4()
        conn.execute(
            "INSERT INTO events (stream_id, stream_type, version, type, data)"
            " VALUES (%s, 'Account', 1, 'AccountOpened', '{}'), (%s, 'Account', 2, 'X', '{}')",
            (stream, stream),
        )

    migrate(fresh_database_url)
    migrate(fresh_database_url)  # idempotent
    with psycopg.connect(fresh_database_url) as conn:
        conn.execute(
            "INSERT INTO events (stream_id, stream_type, version, type, data)"
            " VALUES (%s, 'Account', 3, 'Y', '{}')",
            (stream,),
        )

    rows = rows_of(fresh_database_url, stream)
    report = verify_database(fresh_database_url)

    assert [row.hash is None for row in rows] == [True, True, False]
    assert rows[2].hash == chain_hash(b"", canonical_content(rows[2]))
    assert report.ok
    assert (report.events, report.unhashed) == (3, 2)
