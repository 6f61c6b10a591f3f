"""Relay throughput: our relay (event store -> Kafka, acks=all, idempotent producer, checkpoint
per batch) against a raw kafka-python producer sending the same envelopes to the same broker.

    python bench/relay.py [--events 20000]     # starts throwaway PostgreSQL and Kafka
"""

from __future__ import annotations

import argparse
import time
from uuid import uuid4

from event_store.commit_order import read_committed
from event_store.connection import open_pool
from event_store.records import Checkpoint, NewEvent
from event_store.schema import migrate
from event_store.store import EventStore
from infra.devstack import throwaway_stack
from projections.envelope import encode_envelope, to_envelope
from projections.producer import make_producer
from projections.relay import Relay, RelayConfig
from projections.topics import ensure_topics


def seed(store: EventStore, events: int) -> None:
    per_stream = 20
    for _ in range(events // per_stream):
        stream = uuid4()
        store.append(
            [
                NewEvent(
                    stream,
                    "Account",
                    v,
                    "AccountCredited",
                    {"amount": 2500, "currency": "EUR", "reference": "salary"},
                    metadata={"correlation_id": str(uuid4())},
                )
                for v in range(1, per_stream + 1)
            ]
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args()
    with throwaway_stack(["postgres", "kafka"]) as stack:
        url = stack.postgres.url("ledgerline")
        bootstrap = stack.kafka.bootstrap_servers
        migrate(url)
        store = EventStore(open_pool(url))
        seed(store, args.events)
        ensure_topics(bootstrap, {"bench.relay": 6, "bench.raw": 6})

        envelopes = [
            (str(e.stream_id).encode(), encode_envelope(to_envelope(e)), e)
            for e in read_committed(store, Checkpoint(), args.events + 1)
        ]
        producer = make_producer(bootstrap)
        started = time.perf_counter()
        for key, value, event in envelopes:
            producer.send(
                "bench.raw",
                key=key,
                value=value,
                headers=[("event_type", event.type.encode())],
            )
        producer.flush()
        raw = len(envelopes) / (time.perf_counter() - started)
        producer.close()

        relay = Relay(
            store,
            RelayConfig(topic="bench.relay", batch_size=args.batch_size),
            lambda: make_producer(bootstrap),
        )
        started = time.perf_counter()
        while relay.run_once():
            pass
        ours = relay.published / (time.perf_counter() - started)
        assert relay.published == len(envelopes)

    print(f"events: {len(envelopes)}, relay batch size {args.batch_size}")
    print(f"raw kafka-python producer (envelopes prepared in advance): {raw:9.0f} events/s")
    print(f"ledgerline relay (read + encode + publish + checkpoint):   {ours:9.0f} events/s")
    print(f"ratio relay/raw: {ours / raw:.2f} (goal >= 0.7)")


if __name__ == "__main__":
    main()
