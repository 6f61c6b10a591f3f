"""Fixtures of the projector integration tests: a private topic, Mongo database and search
prefix per test on the session's real servers, a producer for envelopes, a projector running on
a thread, and read-model dumps to compare end states."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError
from kafka.structs import TopicPartition
from pymongo import MongoClient
from pymongo.database import Database

from infra.servers import ElasticsearchServer, KafkaServer, MongoServer
from projections.envelope import encode_envelope
from projections.process import ProjectorKind, ProjectorOptions, open_projector
from projections.runner import ProjectorRunner
from tests.projections.support import wait_for

PARTITIONS = 6
# Fast group membership for tests: a member notices a rebalance within one heartbeat.
FAST_CONSUMER = {"session_timeout_ms": 6_000, "heartbeat_interval_ms": 200}


@dataclass
class Pipeline:
    """One test's private slice of the servers, plus helpers to drive and inspect it."""

    bootstrap_servers: str
    topic: str
    mongo: Database[dict[str, Any]]
    search: Elasticsearch
    elasticsearch_url: str
    search_prefix: str
    producer: KafkaProducer
    admin: KafkaAdminClient
    mongo_url: str
    _probe: KafkaConsumer = field(init=False)

    def __post_init__(self) -> None:
        self._probe = KafkaConsumer(bootstrap_servers=self.bootstrap_servers)

    def options(
        self,
        kind: ProjectorKind,
        *,
        group_id: str | None = None,
        database: str | None = None,
        search_prefix: str | None = None,
        **changes: Any,
    ) -> ProjectorOptions:
        settings: dict[str, Any] = {
            "kind": kind,
            "bootstrap_servers": self.bootstrap_servers,
            "topic": self.topic,
            "group_id": group_id or f"{self.topic}-{kind}",
            "partitions": PARTITIONS,
            "mongo_url": self.mongo_url,
            "mongo_database": database or self.mongo.name,
            "elasticsearch_url": self.elasticsearch_url,
            "search_prefix": search_prefix or self.search_prefix,
            "consumer_overrides": FAST_CONSUMER,
            "max_backoff_s": 0.5,
        }
        return ProjectorOptions(**(settings | changes))

    def publish(self, envelopes: Sequence[dict[str, Any]]) -> None:
        for envelope in envelopes:
            self.send(envelope["stream_id"].encode(), encode_envelope(envelope), envelope)
        self.producer.flush()

    def send(self, key: bytes, value: bytes, envelope: dict[str, Any] | None = None) -> None:
        headers = []
        if envelope is not None:
            headers = [
                ("event_type", str(envelope["type"]).encode()),
                ("correlation_id", str(envelope["metadata"]["correlation_id"]).encode()),
            ]
        self.producer.send(self.topic, key=key, value=value, headers=headers)

    def lag(self, group_id: str, topic: str | None = None) -> int:
        """Events of ``topic`` not yet committed by ``group_id``."""
        topic = topic or self.topic
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        ends = self._probe.end_offsets(partitions)
        try:
            committed = self.admin.list_group_offsets({group_id: partitions}).get(group_id, {})
        except KafkaError as error:
            # A fresh broker creates its offsets topic on first use: ask again.
            if error.retriable:
                return sum(ends.values()) or 1
            raise
        return sum(end - max(0, _offset(committed.get(tp))) for tp, end in ends.items())

    def topic_size(self, topic: str) -> int:
        """How many records ``topic`` holds (0 if it does not exist)."""
        partitions = self._probe.partitions_for_topic(topic) or set()
        ends = self._probe.end_offsets([TopicPartition(topic, p) for p in partitions])
        return sum(ends.values())

    def wait_caught_up(self, group_id: str, timeout: float = 30.0) -> None:
        wait_for(lambda: self.lag(group_id) == 0, timeout, 0.05, what=f"{group_id} to commit all")

    def close(self) -> None:
        self._probe.close()


def _offset(committed: Any) -> int:
    return -1 if committed is None or committed.offset is None else int(committed.offset)


@pytest.fixture
def pipeline(
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    elasticsearch_server: ElasticsearchServer,
) -> Iterator[Pipeline]:
    name = f"t{uuid.uuid4().hex[:12]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_server.bootstrap_servers)
    admin.create_topics([NewTopic(name, num_partitions=PARTITIONS, replication_factor=1)])
    producer = KafkaProducer(
        bootstrap_servers=kafka_server.bootstrap_servers, acks="all", linger_ms=5
    )
    mongo: MongoClient[dict[str, Any]] = MongoClient(mongo_server.url)
    search = Elasticsearch(elasticsearch_server.url)
    pipe = Pipeline(
        bootstrap_servers=kafka_server.bootstrap_servers,
        topic=name,
        mongo=mongo[name],
        search=search,
        elasticsearch_url=elasticsearch_server.url,
        search_prefix=name,
        producer=producer,
        admin=admin,
        mongo_url=mongo_server.url,
    )
    try:
        yield pipe
    finally:
        pipe.close()
        producer.close()
        for database in mongo.list_database_names():
            if database.startswith(name):
                mongo.drop_database(database)
        mongo.close()
        indices = search.indices.get(index=f"{name}*")
        if indices:
            search.indices.delete(index=",".join(indices))
        for template in ("payments", "users"):
            search.options(ignore_status=404).indices.delete_index_template(
                name=f"{name}-{template}"
            )
        search.close()
        admin.close()


class RunningProjector:
    """A projector on a thread, like ``ledgerline project`` in its own process. Leaving the
    block stops it and re-raises whatever it crashed with."""

    def __init__(self, options: ProjectorOptions) -> None:
        self.options = options
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self._runner: ProjectorRunner | None = None
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._main, name=options.group_id, daemon=True)

    @property
    def runner(self) -> ProjectorRunner:
        assert self._runner is not None
        return self._runner

    def _main(self) -> None:
        try:
            with open_projector(self.options, self.stop) as runner:
                self._runner = runner
                self._opened.set()
                runner.run(self.stop)
        except BaseException as error:  # reported by __exit__
            self.error = error
        finally:
            self._opened.set()

    def __enter__(self) -> RunningProjector:
        self._thread.start()
        self._opened.wait(30)
        if self.error is not None:
            raise self.error
        return self

    def halt(self) -> None:
        self.stop.set()
        self._thread.join(30)
        assert not self._thread.is_alive(), "projector did not stop"
        if self.error is not None:
            raise self.error

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop.set()
        self._thread.join(30)
        if kind is None:
            assert not self._thread.is_alive(), "projector did not stop"
            if self.error is not None:
                raise self.error


def mongo_dump(database: Database[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    return {
        name: sorted(database[name].find(), key=lambda doc: str(doc["_id"]))
        for name in sorted(database.list_collection_names())
    }


def search_dump(client: Elasticsearch, prefix: str) -> dict[str, dict[str, dict[str, Any]]]:
    dump: dict[str, dict[str, dict[str, Any]]] = {}
    for kind in ("payments", "users"):
        alias = f"{prefix}-{kind}"
        client.indices.refresh(index=alias)
        hits = client.search(index=alias, query={"match_all": {}}, size=10_000)["hits"]["hits"]
        dump[kind] = {hit["_id"]: hit["_source"] for hit in hits}
    return dump


ProjectorFactory = Callable[[ProjectorOptions], RunningProjector]
