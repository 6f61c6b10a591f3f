"""A new epoch after a restore: how everything downstream of the event store forgets the lost
future.

After a restore the store is back at some earlier point, but Kafka, the read models and the
notifier have seen events that no longer exist, and the store will hand out again the positions,
transaction ids and stream versions those events had. The choice here is a **new topic
generation** per epoch rather than an epoch marker inside the old topic:

- Kafka records cannot be deleted one by one, so a marker would leave the lost future in the
  topic and every consumer (ours and anyone else's) would have to learn to skip everything
  between the marker and... what? Reused positions and versions make "newer" meaningless there.
  A new topic holds nothing of the lost future, by construction, and needs no consumer changes:
  topic generations exist already (``ledgerline topics``, README "Kafka envelope"), every process
  that uses the topic reads the current epoch's at start (``projections.epochs``), and consumer
  groups start a topic they have no offsets for at its beginning.
- The relay keeps one checkpoint per topic. The new generation's checkpoint starts at the relay's
  checkpoint *as restored* (at or below the restored head, never in the lost future), so the new
  topic begins with the restored events the old relay had not published yet at that point; the
  ones before it are already reflected in the rebuilt read models. Their webhooks: the notifier's
  deliveries and mail outbox live in the same database and were rolled back with it, so the
  notifier plans them again for those few events (at least once, same ids), and never for the
  lost future, whose events are gone.
- Read models are rebuilt from the restored store (offline, ``projections.rebuild.offline``), which
  drops every document of the lost future; their stream versions would otherwise block the new
  events that reuse those versions.

The epoch itself is a row in ``store_epochs`` (number, when, from which backup, to which target,
restored head, topic), so the store says which generation belongs to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from infra.settings import Settings
from projections.dead_letter import dead_letter_topic
from projections.epochs import generation_topic, topic_of_current_epoch
from projections.relay import relay_checkpoint_name
from projections.topics import ensure_topics, list_topics

DDL = """
CREATE TABLE IF NOT EXISTS store_epochs (
    epoch          integer PRIMARY KEY,
    began_at       timestamptz NOT NULL DEFAULT now(),
    restored_from  text NOT NULL,
    target         text NOT NULL,
    head_position  bigint NOT NULL,
    topic          text NOT NULL
)
"""


@dataclass(frozen=True)
class Epoch:
    number: int
    topic: str
    previous_topic: str  # the topic of the epoch the store was restored into
    head_position: int
    events: int


def begin_epoch(settings: Settings, restored_from: str, target: str) -> Epoch:
    """Record a new epoch in the restored store, create its topic generation and start the
    relay's checkpoint for it at the restored one (see the module docstring)."""
    with psycopg.connect(settings.database_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(DDL)
        row = conn.execute("SELECT coalesce(max(epoch), 1) FROM store_epochs").fetchone()
        assert row is not None
        # Also past every generation Kafka has: an epoch undone by a later restore (its row went
        # with it) left a topic holding its events, which must never be reused.
        number = max(int(row[0]), _newest_generation(settings)) + 1
        topic = generation_topic(settings.kafka_topic, number)
        # The relay followed the store's epoch (projections.epochs), whatever was configured.
        previous = topic_of_current_epoch(conn, settings.kafka_topic)
        ensure_topics(
            settings.kafka_bootstrap_servers,
            {topic: settings.kafka_partitions, dead_letter_topic(topic): 1},
        )
        head = conn.execute("SELECT coalesce(max(position), 0), count(*) FROM events").fetchone()
        assert head is not None
        with conn.transaction():
            conn.execute(
                "INSERT INTO checkpoints (consumer, tx_id, position)"
                " SELECT %s, tx_id, position FROM checkpoints WHERE consumer = %s"
                " ON CONFLICT (consumer) DO UPDATE SET tx_id = excluded.tx_id,"
                " position = excluded.position, updated_at = now()",
                (relay_checkpoint_name(topic), relay_checkpoint_name(previous)),
            )
            conn.execute(
                "INSERT INTO store_epochs (epoch, restored_from, target, head_position, topic)"
                " VALUES (%s, %s, %s, %s, %s)",
                (number, restored_from, target, head[0], topic),
            )
    return Epoch(number, topic, previous, int(head[0]), int(head[1]))


def _newest_generation(settings: Settings) -> int:
    base = generation_topic(settings.kafka_topic, 0).removesuffix("0")
    numbers = [
        int(name.removeprefix(base))
        for name in list_topics(settings.kafka_bootstrap_servers)
        if name.startswith(base) and name.removeprefix(base).isdigit()
    ]
    return max(numbers, default=1)


@contextmanager
def rebuild_resources(settings: Settings) -> Iterator[tuple[Any, list[Any]]]:
    """The restored event store and both read-model targets, for ``projections.rebuild``."""
    from elasticsearch import Elasticsearch
    from pymongo import MongoClient

    from event_store.connection import open_pool
    from event_store.store import EventStore
    from projections.rebuild.mongo_target import MongoTarget
    from projections.rebuild.search_target import SearchTarget

    with ExitStack() as stack:
        pool = open_pool(settings.database_url, min_size=1, max_size=4, name="restore-rebuild")
        stack.callback(pool.close)
        mongo: MongoClient[dict[str, Any]] = MongoClient(
            settings.mongo_url, serverSelectionTimeoutMS=5000, journal=True
        )
        stack.callback(mongo.close)
        mongo.admin.command("ping")
        search = Elasticsearch(settings.elasticsearch_url, request_timeout=120, max_retries=0)
        stack.callback(search.close)
        search.cluster.health()
        targets = [
            MongoTarget(mongo[settings.mongo_database]),
            SearchTarget(search, settings.search_index_prefix),
        ]
        yield EventStore(pool), targets
