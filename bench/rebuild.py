"""Rebuild throughput: ``projections rebuild`` from the PostgreSQL event store into MongoDB and into
Elasticsearch, next to a raw bulk write of the same final documents into the same server.

    python bench/rebuild.py [--events 100000] [--search-events N] [--batch-size 2000]

Starts a throwaway PostgreSQL, MongoDB-protocol server and Elasticsearch node. The events are
realistic (the domain aggregates play 2,000 users with deposits, withdrawals, payments with
captures, voids and refunds, transfers, profile changes; see tests/projections/scenario.py)
and are appended through ``EventStore.append`` in batches before the clock starts.

- rebuild: the whole ``rebuild`` call (lock, clean-up, count, create the generation, read every
  event in commit order, fold, write, catch up, index, swap, tail, drop the old generation), in
  events/s of the store's events;
- the MongoDB round runs twice: the online (blue/green) rebuild, then the offline one a restore
  uses (``projections.rebuild.offline``: built in place, no renames). Both bulk-load unjournaled
  and make the result durable with one journaled write at the end (``MongoTarget.seal``);
- raw: the final documents the rebuild produced, read back beforehand, bulk-inserted into fresh
  collections / fresh indices with the same mappings, in chunks of 1,000. MongoDB: unjournaled
  into bare collections, the same indexes built after, one journaled write at the end (until
  2026-12-01 the raw write created the indexes first and journaled every chunk, 2.5 times slower
  on the stand-in); Elasticsearch: a refresh at the end. Expressed in events/s
  of the same event count, so the ratio rebuild / raw is the share of a bare write's speed the
  rebuild keeps while also reading and folding the events (goal >= 0.7).

``--search-events`` can use a smaller event store for the search round (say so when you quote it).
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from elasticsearch import Elasticsearch
from psycopg import sql
from pymongo import MongoClient, WriteConcern
from pymongo.database import Database

from event_store.connection import open_pool
from event_store.schema import migrate
from event_store.store import EventStore
from infra.devstack import throwaway_stack
from projections.mongo_sink import MongoCollections, ensure_mongo_collections
from projections.rebuild.mongo_target import MongoTarget
from projections.rebuild.offline import rebuild_offline
from projections.rebuild.run import RebuildOptions, rebuild
from projections.rebuild.search_target import SearchTarget
from projections.search_sink import INDEX_SETTINGS, MAPPINGS

# The realistic event generator lives with the projector tests (tests/ is not an installed
# package); a script run as `python bench/rebuild.py` does not have the repo root on its path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.projections.scenario import append_envelopes, busy_ledger

Doc = dict[str, Any]
CHUNK = 1000


def log(message: str) -> None:
    print(message, flush=True)


@contextmanager
def event_store(postgres_url: str, admin_url: str, events: Sequence[Doc]) -> Iterator[EventStore]:
    """A fresh migrated database holding ``events`` (appended in batches of 2,000)."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    migrate(url)
    pool = open_pool(url, min_size=1, max_size=4)
    store = EventStore(pool)
    started = time.perf_counter()
    append_envelopes(store, events)
    log(f"  seeded {len(events):,} events in {time.perf_counter() - started:.1f} s")
    try:
        yield store
    finally:
        pool.close()


class PhaseClock:
    """Records when each rebuild phase started (to time the swap on its own)."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}

    def phase(self, name: str, detail: str = "") -> None:
        self.started.setdefault(name, time.perf_counter())

    def progress(self, done: int, total: int) -> None:
        pass

    def swap_seconds(self) -> float:
        return self.started["tail"] - self.started["swapping"]

    def seconds(self, phase: str, until: str | None) -> float:
        """From the start of ``phase`` to the start of ``until`` (None: now)."""
        end = time.perf_counter() if until is None else self.started[until]
        return end - self.started[phase]


def mongo_round(
    store: EventStore, mongo_url: str, events: int, batch_size: int, offline: bool
) -> tuple[float, float]:
    """(rebuild/raw ratio, rebuild events/s), online (blue/green) or offline (in place)."""
    client: MongoClient[Doc] = MongoClient(mongo_url, journal=True)
    try:
        database = client[f"bench_{uuid.uuid4().hex[:8]}"]
        clock = PhaseClock()
        run = rebuild_offline if offline else rebuild
        report = run(store, [MongoTarget(database)], RebuildOptions(batch_size=batch_size), clock)
        indexing = clock.seconds("indexing", None if offline else "swapping")
        rebuild_rate = events / report.seconds
        docs = {name: list(database[name].find()) for name in MongoCollections().all().values()}
        total = sum(map(len, docs.values()))
        raw_db = client[f"{database.name}_raw"]
        raw_seconds = timed(lambda: raw_mongo(raw_db, docs))
        raw_rate = events / raw_seconds
        log(
            f"  MongoDB {'offline' if offline else 'online'}:"
            f" rebuild {report.events:,} events in {report.seconds:.1f} s "
            f"= {rebuild_rate:,.0f} events/s ({total:,} documents); raw insert of the same "
            f"documents {raw_seconds:.1f} s = {raw_rate:,.0f} events/s; "
            f"ratio {rebuild_rate / raw_rate:.2f}"
        )
        log(f"  of which indexing after the load took {indexing:.1f} s")
        if not offline:
            swap = clock.swap_seconds()
            without_swap = events / (report.seconds - swap)
            log(
                f"  and the swap (6 renames) {swap:.1f} s: the MongoDB-protocol stand-in copies "
                f"a collection to rename it (a real MongoDB renames in place); without it "
                f"{without_swap:,.0f} events/s, ratio {without_swap / raw_rate:.2f}"
            )
        client.drop_database(database.name)
        client.drop_database(raw_db.name)
        return rebuild_rate / raw_rate, rebuild_rate
    finally:
        client.close()


def raw_mongo(database: Database[Doc], docs: dict[str, list[Doc]]) -> None:
    """The cheapest load of the same documents the stand-in offers: unjournaled inserts into
    bare collections, the indexes built after, one journaled write at the end (as the rebuild's
    bulk load does)."""
    ensure_mongo_collections(database, indexes=False)
    bulk = database.with_options(write_concern=WriteConcern(w=1, j=False))
    for name, items in docs.items():
        for start in range(0, len(items), CHUNK):
            bulk[name].insert_many(items[start : start + CHUNK], ordered=False)
    ensure_mongo_collections(database)
    database.get_collection("users", write_concern=WriteConcern(j=True)).delete_one({"_id": 0})


def search_round(store: EventStore, url: str, events: int, batch_size: int) -> float:
    client = Elasticsearch(url, request_timeout=300)
    try:
        prefix = f"bench{uuid.uuid4().hex[:8]}"
        target = SearchTarget(client, prefix)
        report = rebuild(store, [target], RebuildOptions(batch_size=batch_size))
        # Per event of the store (the search rebuild reads only user and payment streams).
        rebuild_rate = events / report.seconds
        docs = target.read_all(None)
        total = sum(map(len, docs.values()))
        raw_seconds = timed(lambda: raw_search(client, f"{prefix}raw", docs))
        raw_rate = events / raw_seconds
        log(
            f"  Elasticsearch: rebuild of {events:,} events (reading the {report.events:,} of "
            f"user and payment streams) in {report.seconds:.1f} s "
            f"= {rebuild_rate:,.0f} events/s ({total:,} documents); raw bulk index of the "
            f"same documents {raw_seconds:.1f} s = {raw_rate:,.0f} events/s; "
            f"ratio {rebuild_rate / raw_rate:.2f}"
        )
        client.indices.delete(index=",".join(client.indices.get(index=f"{prefix}*")))
        return rebuild_rate / raw_rate
    finally:
        client.close()


def raw_search(client: Elasticsearch, prefix: str, docs: dict[str, dict[str, Doc]]) -> None:
    for kind, items in docs.items():
        index = f"{prefix}-{kind}"
        client.indices.create(index=index, settings=INDEX_SETTINGS, mappings=MAPPINGS[kind])
        pairs = list(items.items())
        for start in range(0, len(pairs), CHUNK):
            operations: list[Doc] = []
            for id, doc in pairs[start : start + CHUNK]:
                operations.append(
                    {
                        "index": {
                            "_index": index,
                            "_id": id,
                            "version": doc["version"],
                            "version_type": "external",
                        }
                    }
                )
                operations.append(doc)
            response = client.bulk(operations=operations)
            assert not response.get("errors"), response
        client.indices.refresh(index=index)


def timed(action: Any) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--search-events", type=int, help="events for the search round")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument(
        "--rounds", nargs="+", choices=["mongo", "search"], default=["mongo", "search"]
    )
    args = parser.parse_args()
    search_events = args.search_events or args.events

    started = time.perf_counter()
    ledger = busy_ledger(max(args.events, search_events), seed=1, users=2000)
    envelopes = ledger.envelopes
    log(f"generated {len(envelopes):,} events in {time.perf_counter() - started:.1f} s")
    mongo_ratio = search_ratio = float("nan")
    with throwaway_stack(["postgres", "mongo", "elasticsearch"]) as stack:
        postgres = stack.postgres
        admin_url = postgres.url("postgres")
        if "mongo" in args.rounds:
            mongo_events = envelopes[: args.events]
            log(f"MongoDB round ({len(mongo_events):,} events):")
            with event_store(postgres.url("postgres"), admin_url, mongo_events) as store:
                mongo_ratio, online = mongo_round(
                    store, stack.mongo.url, len(mongo_events), args.batch_size, offline=False
                )
                _, offline = mongo_round(
                    store, stack.mongo.url, len(mongo_events), args.batch_size, offline=True
                )
                log(f"  offline/online rebuild speed: {offline / online:.2f}")
        if "search" in args.rounds:
            search_slice = envelopes[:search_events]
            log(f"Elasticsearch round ({len(search_slice):,} events):")
            with event_store(postgres.url("postgres"), admin_url, search_slice) as store:
                # Twice: the first pair runs on a node whose JIT has not warmed up yet (the
                # rebuild then pays for it, not the raw write after it); the second counts.
                for _ in range(2):
                    search_ratio = search_round(
                        store, stack.elasticsearch.url, len(search_slice), args.batch_size
                    )
    log(f"ratio rebuild/raw: MongoDB {mongo_ratio:.2f}, Elasticsearch {search_ratio:.2f}")


if __name__ == "__main__":
    main()
