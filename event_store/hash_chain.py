"""Tamper evidence for the event log: the canonical content of an event, its chained SHA-256
hash, and the verification of every stream's chain.

Definition (PostgreSQL computes it at append time, see the hash-chain section of ``schema.py``;
this module recomputes it independently in Python)::

    hash(e)    = SHA-256(hash(p) || content(e))
    content(e) = UTF-8 of these nine lines joined by "\\n" (no trailing newline):
                 stream_id        canonical UUID text (lower case, hyphenated)
                 stream_type      as a JSON string
                 version          decimal
                 type             as a JSON string
                 schema_version   decimal
                 payload          data as jsonb text output, or for a row with opaque state
                                  (the eventsourcing adapter) "\\x" + the state's lower-case hex
                 metadata         jsonb text output
                 event_id         canonical UUID text
                 recorded_at      integer microseconds since 1970-01-01T00:00:00Z

where p is the event of the same stream with version ``version - 1``; hash(p) is empty when there
is no such event or it predates the chain. jsonb's text output is deterministic (keys ordered by
length then bytes, ", " and ": " separators), so the content does not depend on how a writer
serialised its JSON. Strings are JSON-escaped so no field can contain the line separator, and a
payload is either JSON or starts with "\\x", never both: the encoding is unambiguous.

What verification proves: an edited row fails at its own version; a deleted row leaves a gap and
breaks the link of the next version; reordered (swapped) versions fail where they moved and at
the version after. Limits: deleting a stream's newest events leaves a shorter chain that is
still valid, and someone who can rewrite rows can also recompute every later hash. Anchoring
stream heads outside the database (e.g. publishing them periodically) would close both gaps.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from uuid import UUID

import psycopg

from event_store.errors import StoreUnavailable

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_FETCH_ROWS = 5000


@dataclass(frozen=True, slots=True)
class ChainRow:
    """One event as the verifier reads it: the hashed fields, with ids as canonical UUID text
    and data and metadata as PostgreSQL's jsonb text output."""

    position: int
    stream_id: str
    stream_type: str
    version: int
    type: str
    schema_version: int
    data_text: str | None
    state: bytes | None
    metadata_text: str
    event_id: str
    recorded_at: datetime
    hash: bytes | None


@lru_cache(maxsize=1024)  # stream and event type names repeat on almost every row
def _json_string(value: str) -> str:
    # Escapes exactly what PostgreSQL's to_json(text) escapes: quote, backslash and control
    # characters below U+0020; everything else stays as it is (ensure_ascii=False).
    return json.dumps(value, ensure_ascii=False)


def canonical_content(row: ChainRow) -> bytes:
    """The bytes an event's hash covers (see the module docstring)."""
    if row.data_text is not None:
        payload = row.data_text
    elif row.state is not None:
        payload = "\\x" + row.state.hex()
    else:
        raise ValueError(f"event {row.stream_id} v{row.version} has neither data nor state")
    recorded_us = (row.recorded_at - _EPOCH) // _MICROSECOND
    return "\n".join(
        (
            row.stream_id,
            _json_string(row.stream_type),
            str(row.version),
            _json_string(row.type),
            str(row.schema_version),
            payload,
            row.metadata_text,
            row.event_id,
            str(recorded_us),
        )
    ).encode()


def chain_hash(previous: bytes, content: bytes) -> bytes:
    """SHA-256 over the previous event's hash (empty for a stream's first) and the content."""
    return hashlib.sha256(previous + content).digest()


@dataclass(frozen=True)
class ChainBreak:
    """A stream version at which the chain does not hold, and why."""

    stream_id: UUID
    stream_type: str
    version: int
    reasons: tuple[str, ...]

    def describe(self) -> str:
        where = f"stream {self.stream_id} ({self.stream_type}) version {self.version}"
        return f"{where}: {'; '.join(self.reasons)}"


@dataclass
class VerificationReport:
    """The outcome of one verification run."""

    events: int = 0
    streams: int = 0
    unhashed: int = 0  # rows written before the chain existed (not verifiable)
    breaks: list[ChainBreak] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def broken_streams(self) -> set[UUID]:
        return {b.stream_id for b in self.breaks}

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def _missing(first: int, last: int) -> str:
    return f"version {first} missing" if first == last else f"versions {first}-{last} missing"


def verify_stream(rows: list[ChainRow], chain_start: int) -> list[ChainBreak]:
    """Check one stream's rows (in version order); ``chain_start`` is the last position written
    before the chain existed."""
    breaks: list[ChainBreak] = []
    previous: ChainRow | None = None
    for row in rows:
        reasons: list[str] = []
        expected_version = 1 if previous is None else previous.version + 1
        if row.version > expected_version:
            reasons.append(_missing(expected_version, row.version - 1))
        seed = b""  # no predecessor, or one that predates the chain
        if previous is not None and previous.version == row.version - 1 and previous.hash:
            seed = previous.hash
        if row.hash is None:
            if row.position > chain_start:
                reasons.append("hash missing")
        elif chain_hash(seed, canonical_content(row)) != row.hash:
            reasons.append("hash mismatch (this event's content or its predecessor was altered)")
        if reasons:
            breaks.append(
                ChainBreak(UUID(row.stream_id), row.stream_type, row.version, tuple(reasons))
            )
        previous = row
    return breaks


def verify_rows(rows: Iterable[ChainRow], chain_start: int) -> VerificationReport:
    """Verify rows ordered by (stream_id, version), stream by stream."""
    started = time.perf_counter()
    report = VerificationReport()
    for stream in _by_stream(rows):
        report.streams += 1
        report.events += len(stream)
        report.unhashed += sum(1 for r in stream if r.hash is None and r.position <= chain_start)
        report.breaks.extend(verify_stream(stream, chain_start))
    report.seconds = time.perf_counter() - started
    return report


def _by_stream(rows: Iterable[ChainRow]) -> Iterator[list[ChainRow]]:
    current: list[ChainRow] = []
    for row in rows:
        if current and row.stream_id != current[0].stream_id:
            yield current
            current = []
        current.append(row)
    if current:
        yield current


_SELECT_ROWS = """
SELECT position, stream_id::text, stream_type, version, type, schema_version, data::text, state,
       metadata::text, event_id::text, recorded_at, hash
FROM events {where}
ORDER BY stream_id, version
"""


def _to_row(row: tuple[Any, ...]) -> ChainRow:
    state = row[7]
    return ChainRow(
        position=row[0],
        stream_id=row[1],
        stream_type=row[2],
        version=row[3],
        type=row[4],
        schema_version=row[5],
        data_text=row[6],
        state=None if state is None else bytes(state),
        metadata_text=row[8],
        event_id=row[9],
        recorded_at=row[10],
        hash=None if row[11] is None else bytes(row[11]),
    )


def _chain_start(conn: psycopg.Connection[Any]) -> int:
    start_row = conn.execute(b"SELECT after_position FROM hash_chain_start").fetchone()
    return 0 if start_row is None else int(start_row[0])


def verify_database(conninfo: str, *, stream_id: UUID | None = None) -> VerificationReport:
    """Recompute the chains of every stream (or one) from one consistent snapshot, streaming
    the rows through a server-side cursor; read-only."""
    started = time.perf_counter()
    try:
        with psycopg.connect(conninfo) as conn:
            conn.read_only = True
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            with conn.transaction():
                chain_start = _chain_start(conn)
                where, params = ("WHERE stream_id = %s", [stream_id]) if stream_id else ("", [])
                with conn.cursor(name="ledgerline_verify") as cursor:
                    cursor.itersize = _FETCH_ROWS
                    cursor.execute(_SELECT_ROWS.format(where=where).encode(), params)
                    report = verify_rows(map(_to_row, cursor), chain_start)
    except psycopg.OperationalError as error:
        raise StoreUnavailable(str(error)) from error
    report.seconds = time.perf_counter() - started
    return report


def verify_stream_on(conn: psycopg.Connection[Any], stream_id: UUID) -> VerificationReport:
    """Recompute one stream's chain on ``conn`` (an autocommit connection, e.g. from the event
    store's pool: the query API's audit routes). One stream's rows fit in memory, and one
    REPEATABLE READ transaction reads the chain start and the rows from the same snapshot."""
    started = time.perf_counter()
    with conn.transaction():
        conn.execute(b"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        chain_start = _chain_start(conn)
        query = _SELECT_ROWS.format(where="WHERE stream_id = %s").encode()
        rows = conn.execute(query, [stream_id]).fetchall()
    report = verify_rows(map(_to_row, rows), chain_start)
    report.seconds = time.perf_counter() - started
    return report
