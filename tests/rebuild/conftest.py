"""Fixtures of the rebuild tests: a migrated event store, a private Mongo database and search
prefix on the session's servers, helpers to seed the store with realistic events (the domain
aggregates play users, deposits, payments, transfers) and the expected read models (an
in-memory fold of everything in the store, independent of the code under test's writers)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from elasticsearch import Elasticsearch
from pymongo import MongoClient
from pymongo.database import Database

from event_store.commit_order import checkpoint_of, read_committed
from event_store.records import Checkpoint, NewEvent, RecordedEvent
from event_store.store import EventStore
from infra.servers import ElasticsearchServer, MongoServer
from projections.envelope import to_envelope
from projections.mongo_projection import MONGO_PROJECTION, PRIMARY_COLLECTIONS
from projections.mongo_sink import MongoCollections, ensure_mongo_collections
from projections.rebuild.mongo_target import MongoTarget
from projections.rebuild.search_target import SearchTarget
from projections.rebuild.targets import RebuildTarget
from projections.search_projection import INDEX_KINDS, SEARCH_PROJECTION
from projections.search_sink import ensure_search_indices
from tests.projections.scenario import Ledger
from tests.projections.support import MemoryReadModel

Doc = dict[str, Any]
LIVE = MongoCollections()


def new_events(envelopes: Sequence[Doc]) -> list[NewEvent]:
    """The events behind scenario envelopes, ready to append."""
    return [
        NewEvent(
            stream_id=UUID(str(e["stream_id"])),
            stream_type=str(e["stream_type"]),
            version=int(e["version"]),
            type=str(e["type"]),
            data=e["data"],
            schema_version=int(e["schema_version"]),
            metadata=e["metadata"],
        )
        for e in envelopes
    ]


def all_events(store: EventStore) -> list[RecordedEvent]:
    events: list[RecordedEvent] = []
    after = Checkpoint()
    while batch := read_committed(store, after, 5000, reveal=True):
        events.extend(batch)
        after = checkpoint_of(batch[-1])
    return events


@dataclass
class World:
    """One test's event store, Mongo database and search prefix."""

    store: EventStore
    database_url: str
    mongo: Database[Doc]
    search: Elasticsearch
    prefix: str
    mongo_url: str
    elasticsearch_url: str

    # -- seeding ------------------------------------------------------------------------------

    def append(self, envelopes: Sequence[Doc], chunk: int = 500) -> None:
        events = new_events(envelopes)
        for start in range(0, len(events), chunk):
            batch = events[start : start + chunk]
            # As the command handlers do: a registration starts a user's personal-data key,
            # forgetting deletes it (see event_store.personal_data).
            self.store.append(
                batch,
                new_subjects=[e.stream_id for e in batch if e.type == "UserRegistered"],
                forget_subjects=[
                    e.stream_id for e in batch if e.type == "UserPersonalDataForgotten"
                ],
            )

    def record(self, ledger: Ledger, start: int) -> int:
        """Append the ledger's envelopes from index ``start``; returns the new end."""
        self.append(ledger.envelopes[start:])
        return len(ledger.envelopes)

    # -- targets and settings -------------------------------------------------------------------

    def targets(self, *kinds: str) -> list[RebuildTarget]:
        chosen: list[RebuildTarget] = []
        if "mongo" in kinds:
            chosen.append(MongoTarget(self.mongo))
        if "search" in kinds:
            chosen.append(SearchTarget(self.search, self.prefix))
        return chosen

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for the CLI (``LEDGERLINE_*``)."""
        return {
            "LEDGERLINE_DATABASE_URL": self.database_url,
            "LEDGERLINE_MONGO_URL": self.mongo_url,
            "LEDGERLINE_MONGO_DATABASE": self.mongo.name,
            "LEDGERLINE_ELASTICSEARCH_URL": self.elasticsearch_url,
            "LEDGERLINE_SEARCH_INDEX_PREFIX": self.prefix,
            "LEDGERLINE_LOG_LEVEL": "WARNING",
            **extra,
        }

    def live_setup(self) -> None:
        """The live collections and v1 indices as the projectors create them."""
        ensure_mongo_collections(self.mongo, LIVE)
        ensure_search_indices(self.search, self.prefix)

    # -- reading ------------------------------------------------------------------------------

    def mongo_dump(self, collections: MongoCollections = LIVE) -> dict[str, dict[str, Doc]]:
        return {
            logical: {str(d["_id"]): d for d in self.mongo[name].find()}
            for logical, name in collections.all().items()
        }

    def search_dump(self) -> dict[str, dict[str, Doc]]:
        dump: dict[str, dict[str, Doc]] = {}
        for kind in ("payments", "users"):
            alias = f"{self.prefix}-{kind}"
            self.search.indices.refresh(index=alias)
            hits = self.search.search(index=alias, query={"match_all": {}}, size=10_000)
            dump[kind] = {h["_id"]: h["_source"] for h in hits["hits"]["hits"]}
        return dump

    def expected_mongo(self) -> dict[str, dict[str, Doc]]:
        """The pure fold of every event in the store, per live collection."""
        envelopes = [to_envelope(e) for e in all_events(self.store)]
        model = MemoryReadModel(MONGO_PROJECTION)
        model.apply(envelopes)
        stream_types = {e["stream_id"]: e["stream_type"] for e in envelopes}
        dump: dict[str, dict[str, Doc]] = {logical: {} for logical in LIVE.all()}
        for stream_id, doc in model.docs.items():
            dump[PRIMARY_COLLECTIONS[stream_types[stream_id]]][stream_id] = doc
        for kind, lines in model.inserts.items():
            dump[kind] = dict(lines)
        return dump

    def expected_search(self) -> dict[str, dict[str, Doc]]:
        envelopes = [to_envelope(e) for e in all_events(self.store)]
        model = MemoryReadModel(SEARCH_PROJECTION)
        model.apply(envelopes)
        stream_types = {e["stream_id"]: e["stream_type"] for e in envelopes}
        dump: dict[str, dict[str, Doc]] = {"payments": {}, "users": {}}
        for stream_id, doc in model.docs.items():
            dump[INDEX_KINDS[stream_types[stream_id]]][stream_id] = doc
        return dump

    def collection_names(self) -> list[str]:
        return sorted(self.mongo.list_collection_names())

    def index_aliases(self) -> dict[str, list[str]]:
        """Index -> its aliases, for this prefix."""
        response = self.search.indices.get_alias(index=f"{self.prefix}-*")
        return {
            name: sorted((body or {}).get("aliases") or {}) for name, body in dict(response).items()
        }


@pytest.fixture(autouse=True)
def _operator_commands_leave_logging_alone(cli_logging_left_alone: None) -> None:
    """The rebuild commands run in-process here (``cli_logging_left_alone``)."""


@pytest.fixture
def world(
    event_store: EventStore,
    database_url: str,
    mongo_server: MongoServer,
    elasticsearch_server: ElasticsearchServer,
) -> Iterator[World]:
    name = f"rb{uuid.uuid4().hex[:10]}"
    mongo: MongoClient[Doc] = MongoClient(mongo_server.url)
    search = Elasticsearch(elasticsearch_server.url, request_timeout=60)
    try:
        yield World(
            store=event_store,
            database_url=database_url,
            mongo=mongo[name],
            search=search,
            prefix=name,
            mongo_url=mongo_server.url,
            elasticsearch_url=elasticsearch_server.url,
        )
    finally:
        mongo.drop_database(name)
        mongo.close()
        indices = search.indices.get(index=f"{name}-*")
        if indices:
            search.indices.delete(index=",".join(indices))
        for kind in ("payments", "users"):
            search.options(ignore_status=404).indices.delete_index_template(name=f"{name}-{kind}")
        search.close()


# The projector tests' private Kafka topic + Mongo database + search prefix, for runner tests.
from tests.projections.conftest import pipeline  # noqa: E402, F401
