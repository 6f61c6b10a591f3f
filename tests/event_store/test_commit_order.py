"""Commit-order reading: 8 concurrent writers (some rolling back, some committing slowly) and a
tailing reader that must read every committed event exactly once, never out of causal order."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from uuid import UUID, uuid4

import psycopg
import pytest

from event_store.append_statement import InsertRow, build_append_statement, dumps
from event_store.commit_order import checkpoint_of, read_committed
from event_store.records import Checkpoint, NewEvent, RecordedEvent
from event_store.store import EventStore

WRITERS = 8
TRANSACTIONS_PER_WRITER = 40


@dataclass
class WriterTransaction:
    writer: int
    number: int
    event_ids: list[str] = field(default_factory=list)
    started: float = 0.0
    committed: float = 0.0


def _rows(
    stream_id: UUID, first_version: int, count: int, tag: dict[str, object]
) -> list[InsertRow]:
    return [
        InsertRow(
            stream_id=stream_id,
            stream_type="Test",
            version=first_version + i,
            type="TestHappened",
            schema_version=1,
            data=dumps({"n": first_version + i}),
            state=None,
            metadata=dumps(tag | {"marker": str(uuid4())}),
        )
        for i in range(count)
    ]


def _writer(database_url: str, writer: int, committed: list[WriterTransaction], seed: int) -> None:
    rng = random.Random(seed)
    stream_id = uuid4()
    version = 0
    with psycopg.connect(database_url) as conn:
        for number in range(TRANSACTIONS_PER_WRITER):
            count = rng.randint(1, 3)
            tag = {"writer": writer, "txn": number}
            rows = _rows(stream_id, version + 1, count, tag)
            statement, params = build_append_statement(rows, None, (), ())
            record = WriterTransaction(writer, number)
            outcome = rng.random()
            record.started = time.monotonic()
            with conn.transaction(force_rollback=outcome < 0.15):
                conn.execute(statement.encode(), params)
                if outcome > 0.85:  # a slow transaction: real work keeps it open before commit
                    conn.execute(
                        "SELECT sum(i) FROM generate_series(1, %s) AS i",
                        (rng.randint(50_000, 250_000),),
                    )
            record.committed = time.monotonic()
            if outcome >= 0.15:
                version += count
                record.event_ids = [dumps(r.metadata) for r in rows]
                committed.append(record)


def test_tailing_reader_reads_every_committed_event_once_in_commit_order(
    event_store: EventStore, database_url: str
) -> None:
    committed: list[WriterTransaction] = []
    read: list[RecordedEvent] = []
    writers_done = threading.Event()
    reader_error: list[BaseException] = []

    def tail() -> None:
        checkpoint = Checkpoint()
        try:
            while True:
                finished = writers_done.is_set()
                batch = read_committed(event_store, checkpoint, limit=37)
                read.extend(batch)
                if batch:
                    checkpoint = checkpoint_of(batch[-1])
                elif finished:
                    return
        except BaseException as error:  # surfaced by the assertion below
            reader_error.append(error)

    reader = threading.Thread(target=tail)
    reader.start()
    threads = [
        threading.Thread(target=_writer, args=(database_url, w, committed, 1000 + w))
        for w in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    writers_done.set()
    reader.join(timeout=60)
    assert not reader.is_alive() and not reader_error

    markers_read = [e.metadata["marker"] for e in read]
    assert len(markers_read) == len(set(markers_read)), "an event was read twice"

    with event_store.connection() as conn:
        stored = {row[0] for row in conn.execute("SELECT metadata->>'marker' FROM events")}
    assert set(markers_read) == stored, "the reader skipped committed events"
    rolled_back = WRITERS * TRANSACTIONS_PER_WRITER - len(committed)
    assert rolled_back > 0, "the test should exercise rollbacks"

    # Each stream's versions come in order without gaps.
    seen: dict[UUID, int] = {}
    for event in read:
        assert event.version == seen.get(event.stream_id, 0) + 1
        seen[event.stream_id] = event.version

    # A transaction that began after another committed is read after it.
    index_of_txn: dict[tuple[int, int], list[int]] = {}
    for index, event in enumerate(read):
        key = (event.metadata["writer"], event.metadata["txn"])
        index_of_txn.setdefault(key, []).append(index)
    for earlier in committed:
        for later in committed:
            if later.started > earlier.committed:
                assert max(index_of_txn[(earlier.writer, earlier.number)]) < min(
                    index_of_txn[(later.writer, later.number)]
                )


def test_reader_does_not_pass_an_open_transaction(
    event_store: EventStore, database_url: str
) -> None:
    stream = uuid4()
    with psycopg.connect(database_url) as slow:
        with slow.transaction():
            statement, params = build_append_statement(
                _rows(stream, 1, 1, {"who": "slow"}), None, (), ()
            )
            slow.execute(statement.encode(), params)
            # A later transaction commits while the first is still open.
            event_store.append([NewEvent(uuid4(), "Test", 1, "TestHappened", {"who": "fast"})])
            assert read_committed(event_store, Checkpoint(), limit=10) == []
        events = read_committed(event_store, Checkpoint(), limit=10)
    assert [e.data.get("who") or e.metadata.get("who") for e in events] == ["slow", "fast"]


@pytest.mark.parametrize(
    "statement", ["UPDATE events SET type = 'x'", "DELETE FROM events", "TRUNCATE events"]
)
def test_events_table_refuses_update_delete_and_truncate(
    event_store: EventStore, database_url: str, statement: str
) -> None:
    event_store.append([NewEvent(uuid4(), "Test", 1, "TestHappened", {"n": 1})])
    with (
        psycopg.connect(database_url) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"),
    ):
        conn.execute(statement)
    with event_store.connection() as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (1,)
