"""Append throughput: our event store against a raw psycopg INSERT and the eventsourcing library's
PostgresApplicationRecorder, in one process against the same PostgreSQL.

    python bench/append.py                       # starts a throwaway PostgreSQL
    python bench/append.py --database-url URL    # or uses yours

Each contender writes into its own fresh schema. Figures are events per second; higher is better.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlparse
from uuid import uuid4

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from event_store.connection import open_pool
from event_store.records import NewEvent
from event_store.schema import migrate
from event_store.store import EventStore

PAYLOAD = {"amount": 2500, "currency": "EUR", "reference": "salary"}
METADATA = {"correlation_id": "c0ffee", "causation_id": "beef", "user_id": "u1"}
Append = Callable[[int], None]  # append one batch of the given size to a new stream


def run(append: Append, *, writers: int, batches: int, batch_size: int) -> float:
    """Events per second for ``writers`` threads each appending ``batches`` batches."""
    errors: list[BaseException] = []
    start_line = threading.Barrier(writers + 1)

    def work() -> None:
        start_line.wait()
        try:
            for _ in range(batches):
                append(batch_size)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(writers)]
    for thread in threads:
        thread.start()
    start_line.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return writers * batches * batch_size / elapsed


def raw_contender(url: str, schema: str, pool_size: int) -> Append:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(
            f"CREATE TABLE {schema}.events (position bigint GENERATED ALWAYS AS IDENTITY"
            " PRIMARY KEY, stream_id uuid NOT NULL, stream_type text NOT NULL, version bigint"
            " NOT NULL, type text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL,"
            " recorded_at timestamptz NOT NULL DEFAULT now(), UNIQUE (stream_id, version))"
        )
    pool = open_pool(url, min_size=pool_size, max_size=pool_size, search_path=schema)
    sql = (
        "INSERT INTO events (stream_id, stream_type, version, type, data, metadata)"
        " VALUES (%s, 'Account', %s, 'AccountCredited', %s, %s)"
    )

    def append(size: int) -> None:
        # Serialise per row, as an application would: the same work our store does.
        stream = uuid4()
        metadata = json.dumps(METADATA)
        rows = [(stream, v, json.dumps(PAYLOAD), metadata) for v in range(1, size + 1)]
        with pool.connection() as conn:
            if size == 1:
                conn.execute(sql, rows[0])
            else:
                with conn.transaction(), conn.cursor() as cur:
                    cur.executemany(sql, rows)

    return append


def ledgerline_contender(url: str, schema: str, pool_size: int) -> Append:
    migrate(url, schema=schema)
    store = EventStore(open_pool(url, min_size=pool_size, max_size=pool_size, search_path=schema))

    def append(size: int) -> None:
        stream = uuid4()
        store.append(
            [
                NewEvent(stream, "Account", v, "AccountCredited", PAYLOAD, metadata=METADATA)
                for v in range(1, size + 1)
            ]
        )

    return append


def eventsourcing_contender(url: str, schema: str, pool_size: int) -> Append:
    parts = urlparse(url)
    datastore = PostgresDatastore(
        dbname=parts.path.lstrip("/"),
        host=parts.hostname or parse_qs(parts.query).get("host", ["127.0.0.1"])[0],
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or "",
        pool_size=pool_size,
        schema=schema,
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    recorder = PostgresApplicationRecorder(datastore, events_table_name="events")
    recorder.create_table()

    def append(size: int) -> None:
        # Serialise per event, as the library's mapper would: the same work the others do.
        stream = uuid4()
        recorder.insert_events(
            [
                StoredEvent(stream, v, "bench:AccountCredited", json.dumps(PAYLOAD).encode())
                for v in range(1, size + 1)
            ]
        )

    return append


CONTENDERS = {
    "raw psycopg": raw_contender,
    "eventsourcing": eventsourcing_contender,
    "ledgerline": ledgerline_contender,
}
SCENARIOS = [  # (name, writers, batches per writer, batch size)
    ("single event, 1 writer", 1, 1500, 1),
    ("single event, 8 writers", 8, 400, 1),
    ("100-event batches, 1 writer", 1, 40, 100),
    ("100-event batches, 8 writers", 8, 10, 100),
]


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    from infra.devstack import throwaway_stack  # the same launcher the tests use

    with throwaway_stack(["postgres"]) as stack:
        yield stack.postgres.url("postgres")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="use this PostgreSQL instead of a throwaway one")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every workload")
    args = parser.parse_args()
    if args.database_url:
        bench(args.database_url, args.scale)
    else:
        with throwaway_postgres() as url:
            bench(url, args.scale)


def bench(url: str, scale: float) -> None:
    results: dict[tuple[str, str], float] = {}
    for scenario, writers, batches, size in SCENARIOS:
        batches = max(1, int(batches * scale))
        for name, make in CONTENDERS.items():
            append = make(url, f"bench_{uuid4().hex[:8]}", writers)
            append(size)  # warm up: connections open, statements prepared
            results[(scenario, name)] = run(
                append, writers=writers, batches=batches, batch_size=size
            )
    width = max(len(s[0]) for s in SCENARIOS)
    print(f"{'scenario':<{width}}  {'raw':>9}  {'eventsrc':>9}  {'ours':>9}  ours/raw  ours/es")
    for scenario, *_ in SCENARIOS:
        raw = results[(scenario, "raw psycopg")]
        es = results[(scenario, "eventsourcing")]
        ours = results[(scenario, "ledgerline")]
        print(
            f"{scenario:<{width}}  {raw:9.0f}  {es:9.0f}  {ours:9.0f}"
            f"  {ours / raw:8.2f}  {ours / es:7.2f}"
        )
    print("figures are events/s; goal: ours >= 0.8 x raw and >= 8 x eventsourcing with 8 writers,")
    print(">= 1.5 x eventsourcing on 100-event batches")


if __name__ == "__main__":
    main()
