"""Mongo projector throughput: the live projector (Kafka consumer group -> decode -> load -> fold
-> bulk write -> commit) against raw pymongo bulk upserts of the equivalent documents into the
same MongoDB-protocol server.

    python bench/projector.py [--events 20000] [--users 40]   # throwaway servers
    python bench/projector.py --kafka HOST:PORT --mongo URL --database-url URL   # or yours

The events are realistic (the domain aggregates play users, deposits, payments, refunds,
transfers; see tests/projections/scenario.py) and are produced to a fresh 6-partition topic
before the clock starts. The projector's time runs from its partition assignment to the moment
it has processed every event. The raw contenders get their documents precomputed:
- per-event: for every event, an upsert of its stream document as of that event plus an upsert
  of each statement line / notification it implies (what a naive projector writes), in bulk
  requests covering ``--batch-size`` events;
- final-only: one upsert per distinct final document (the least any projector must write).
Both raw contenders write into collections with the projector's indexes, journaled (j=True),
as the projector writes.
Figures are events/s; the goal is projector >= 0.7 x per-event raw.

The projector runs three times: once with personal fields in clear (as records
were before they travelled sealed), once sealed as the relay publishes them, each user with a
key in PostgreSQL, so the difference is the cost of unsealing (key look-ups and AES-GCM); and
a third time without journaled writes, which shows what durability costs.
``--users`` sets how many users the history has (profile changes are 5 % of the events).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from kafka import KafkaProducer
from pymongo import MongoClient, UpdateOne
from pymongo.database import Database

from event_store import personal_data
from event_store.records import NewEvent
from event_store.schema import migrate
from infra.devstack import throwaway_stack
from projections.envelope import encode_envelope
from projections.mongo_projection import MONGO_PROJECTION, PRIMARY_COLLECTIONS
from projections.mongo_sink import ensure_mongo_collections
from projections.process import ProjectorOptions, open_projector
from projections.topics import ensure_topics

# The realistic event generator lives with the projector tests (tests/ is not an installed
# package); a script run as `python bench/projector.py` does not have the repo root on its path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.projections.scenario import busy_ledger

Doc = dict[str, Any]
PARTITIONS = 6


@contextlib.contextmanager
def servers(
    kafka: str | None, mongo: str | None, database_url: str | None
) -> Iterator[tuple[str, str, str]]:
    if kafka and mongo and database_url:
        migrate(database_url)
        yield kafka, mongo, database_url
        return
    with throwaway_stack(["postgres", "kafka", "mongo"]) as stack:
        url = stack.postgres.url()
        migrate(url)
        yield stack.kafka.bootstrap_servers, stack.mongo.url, url


def sealed(envelopes: list[Doc], database_url: str) -> list[Doc]:
    """The envelopes as the relay publishes them: personal fields sealed under a key per user,
    the keys stored in ``personal_data_keys``."""
    keys = {
        e["stream_id"]: personal_data.new_key()
        for e in envelopes
        if personal_data.has_personal_data(e["type"])
    }
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.cursor().executemany(
            "INSERT INTO personal_data_keys (subject_id, key) VALUES (%s, %s)",
            [(uuid.UUID(subject), key) for subject, key in keys.items()],
        )
    result = []
    for envelope in envelopes:
        if envelope["stream_id"] in keys and personal_data.has_personal_data(envelope["type"]):
            event = NewEvent(
                uuid.UUID(envelope["stream_id"]),
                envelope["stream_type"],
                envelope["version"],
                envelope["type"],
                envelope["data"],
            )
            data = personal_data.seal(event, keys[envelope["stream_id"]]).data
            fields = personal_data.sealed_fields(event.type, data)
            envelope = {
                **envelope,
                "data": data,
                "sealed": {"scheme": personal_data.SCHEME, "key_id": envelope["stream_id"],
                           "fields": fields},
            }  # fmt: skip
        result.append(envelope)
    return result


def produce(bootstrap: str, topic: str, envelopes: list[Doc]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    for envelope in envelopes:
        producer.send(
            topic,
            key=envelope["stream_id"].encode(),
            value=encode_envelope(envelope),
            headers=[("event_type", envelope["type"].encode())],
        )
    producer.flush()
    producer.close()


def run_projector(
    bootstrap: str,
    mongo_url: str,
    database_url: str,
    topic: str,
    database: str,
    total: int,
    journal: bool = True,
) -> float:
    """Events/s of the live Mongo projector over the whole topic."""
    options = ProjectorOptions(
        kind="mongo",
        bootstrap_servers=bootstrap,
        topic=topic,
        group_id=f"{database}-mongo",
        mongo_journal=journal,
        partitions=PARTITIONS,
        mongo_url=mongo_url,
        mongo_database=database,
        database_url=database_url,
    )
    stop = threading.Event()
    with open_projector(options, stop) as runner:
        thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
        thread.start()
        while not runner.assignment:
            time.sleep(0.002)
        started = time.perf_counter()
        while runner.stats.records < total:
            time.sleep(0.002)
            if not thread.is_alive():
                raise RuntimeError("projector died")
        elapsed = time.perf_counter() - started
        stop.set()
        thread.join(30)
    stats = runner.stats
    assert stats.applied == total and stats.dead_lettered == 0, stats
    return total / elapsed


def per_event_operations(envelopes: list[Doc]) -> list[list[tuple[str, Doc]]]:
    """For each event, the documents a naive projector would upsert (precomputed)."""
    docs: dict[str, Doc] = {}
    operations = []
    for envelope in envelopes:
        projected = MONGO_PROJECTION.project(envelope, docs.get(envelope["stream_id"]))
        assert projected.doc is not None
        docs[envelope["stream_id"]] = projected.doc
        collection = PRIMARY_COLLECTIONS[envelope["stream_type"]]
        operations.append([(collection, projected.doc), *projected.inserts])
    return operations


def bulk_upsert(database: Database[Doc], batches: list[list[tuple[str, Doc]]]) -> None:
    for batch in batches:
        by_collection: dict[str, list[UpdateOne[Doc]]] = {}
        for collection, doc in batch:
            fields = {k: v for k, v in doc.items() if k != "_id"}
            by_collection.setdefault(collection, []).append(
                UpdateOne({"_id": doc["_id"]}, {"$set": fields}, upsert=True)
            )
        for collection, requests in by_collection.items():
            database[collection].bulk_write(requests, ordered=False)


def timed(action: Any) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--kafka", help="bootstrap servers of a running Kafka")
    parser.add_argument("--mongo", help="URL of a running MongoDB(-protocol) server")
    parser.add_argument("--database-url", help="URL of a running PostgreSQL (the key table)")
    parser.add_argument("--users", type=int, default=40)
    args = parser.parse_args()

    ledger = busy_ledger(args.events, seed=1, users=args.users)
    envelopes = ledger.envelopes
    total = len(envelopes)
    run_id = uuid.uuid4().hex[:8]
    with servers(args.kafka, args.mongo, args.database_url) as (bootstrap, mongo_url, db_url):
        topics = {"clear": f"bench.projector.{run_id}", "sealed": f"bench.sealed.{run_id}"}
        ensure_topics(bootstrap, dict.fromkeys(topics.values(), PARTITIONS))
        sealed_envelopes = sealed(envelopes, db_url)
        produce(bootstrap, topics["clear"], envelopes)
        produce(bootstrap, topics["sealed"], sealed_envelopes)
        # Journaled like the projector's writes: the same guarantee for every contender.
        client: MongoClient[Doc] = MongoClient(mongo_url, journal=True)
        names = [
            f"bench_{run_id}_{n}"
            for n in ("projector", "raw_events", "raw_final", "sealed", "unjournaled")
        ]
        try:
            ours = run_projector(bootstrap, mongo_url, db_url, topics["clear"], names[0], total)
            ours_sealed = run_projector(
                bootstrap, mongo_url, db_url, topics["sealed"], names[3], total
            )
            ours_unjournaled = run_projector(
                bootstrap, mongo_url, db_url, topics["clear"], names[4], total, journal=False
            )

            operations = per_event_operations(envelopes)
            size = args.batch_size
            per_event_batches = [
                [op for event in operations[i : i + size] for op in event]
                for i in range(0, total, size)
            ]
            writes = sum(len(b) for b in per_event_batches)
            # Same collections and indexes as the projector's: index upkeep is part of the cost.
            ensure_mongo_collections(client[names[1]])
            ensure_mongo_collections(client[names[2]])
            raw_events = total / timed(lambda: bulk_upsert(client[names[1]], per_event_batches))

            projected = client[names[0]]
            final = [
                (name, doc)
                for name in projected.list_collection_names()
                for doc in projected[name].find()
            ]
            final_batches = [final[i : i + size] for i in range(0, len(final), size)]
            raw_final = total / timed(lambda: bulk_upsert(client[names[2]], final_batches))
        finally:
            for name in names:
                client.drop_database(name)
            client.close()

    print(f"events: {total} ({len(ledger.accounts)} accounts, {len(ledger.payments)} payments)")
    print(f"documents written by the raw contenders: per-event {writes}, final-only {len(final)}")
    print(f"raw bulk upserts, per event (naive projector): {raw_events:9.0f} events/s")
    print(f"raw bulk upserts, final documents only:        {raw_final:9.0f} events/s")
    print(f"ledgerline mongo projector (Kafka -> MongoDB):  {ours:9.0f} events/s")
    print(f"  same events, personal data sealed (unsealed): {ours_sealed:9.0f} events/s")
    print(f"  clear events, writes not journaled (unsafe):  {ours_unjournaled:9.0f} events/s")
    print(f"ratio projector/raw per-event: {ours / raw_events:.2f} (goal >= 0.7)")
    print(f"ratio projector/raw final-only: {ours / raw_final:.2f}")
    sealed_count = sum(1 for e in sealed_envelopes if "sealed" in e)
    print(
        f"ratio sealed/clear: {ours_sealed / ours:.2f}"
        f" ({sealed_count} of {total} events carry sealed fields, {args.users} users)"
    )
    print(f"ratio journaled/unjournaled: {ours / ours_unjournaled:.2f} (the cost of durability)")


if __name__ == "__main__":
    main()
