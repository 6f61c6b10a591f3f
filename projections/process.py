"""The projector processes: ``run_projector(settings, kind, stop)`` wires a runner from settings
(clients, collections or indices, topics, consumer) and runs it until ``stop`` is set.

``open_projector(options)`` is the same wiring as a context manager, for tests and tools that
need the runner itself (its assignment, its stats).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import psycopg
import structlog
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer
from pymongo import MongoClient

from event_store.connection import open_pool
from event_store.store import EventStore
from infra.metric_families import PROJECTOR, process_registry
from infra.process_http import ProcessEndpoint, check_kafka_reachable, check_url_reachable
from infra.redis.connection import RedisNames, sync_client
from infra.redis.signals import SignalPublisher
from infra.redis.versions import encode_versions
from infra.settings import Settings
from projections.consumer import SEARCH_FETCH, consumer_config
from projections.dead_letter import DeadLetterQueue, dead_letter_topic, make_dead_letter_producer
from projections.epochs import follow_store_epoch
from projections.mongo_projection import MONGO_PROJECTION
from projections.mongo_sink import MongoCollections, MongoSink, ensure_mongo_collections
from projections.operations import Document, Sink
from projections.retry import Backoff, Stopped, retrying
from projections.runner import UNAVAILABLE, Announce, ProjectorRunner, RunnerConfig
from projections.search_projection import SEARCH_PROJECTION
from projections.search_sink import SearchSink, ensure_search_indices
from projections.topics import ensure_topics
from projections.unsealing import DEFAULT_KEY_TTL_S, KeyCache, Unsealer

log = structlog.get_logger(__name__)

ProjectorKind = Literal["mongo", "search"]
DEFAULT_GROUP_IDS: dict[str, str] = {"mongo": "ledgerline-mongo", "search": "ledgerline-search"}
T = TypeVar("T")


class SetupInterrupted(Exception):
    """``stop`` was set while the projector waited for its servers to come up."""


def projector_group_id(settings: Settings, kind: str) -> str:
    return f"{settings.kafka_group_prefix}-{kind}"


@dataclass(frozen=True)
class ProjectorOptions:
    kind: ProjectorKind
    bootstrap_servers: str
    topic: str
    group_id: str
    partitions: int = 6
    mongo_url: str = "mongodb://127.0.0.1:27017/"
    mongo_database: str = "ledgerline"
    mongo_collections: MongoCollections = field(default_factory=MongoCollections)
    # How long a MongoDB request waits for an unreachable server before the batch is retried.
    server_timeout_ms: int = 5_000
    elasticsearch_url: str = "http://127.0.0.1:9200"
    search_prefix: str = "ledgerline"
    consumer_overrides: Mapping[str, Any] = field(default_factory=dict)
    max_records: int = 500
    max_backoff_s: float = 5.0
    # Journaled writes (j=True): off only to measure what they cost (bench/projector.py).
    mongo_journal: bool = True
    # The event store whose key table opens sealed personal fields (projections.unsealing);
    # None only for tools that never see sealed records.
    database_url: str | None = None
    personal_data_key_ttl_s: float = DEFAULT_KEY_TTL_S
    # Where each written batch's stream versions are announced (read_api.freshness_signals);
    # None: not announced (tools, and tests of the projector alone).
    redis_url: str | None = None
    redis_prefix: str = "ledgerline"

    @classmethod
    def from_settings(
        cls, settings: Settings, kind: ProjectorKind, group_id: str | None = None
    ) -> ProjectorOptions:
        return cls(
            kind=kind,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            topic=settings.kafka_topic,
            group_id=group_id or projector_group_id(settings, kind),
            partitions=settings.kafka_partitions,
            mongo_url=settings.mongo_url,
            mongo_database=settings.mongo_database,
            elasticsearch_url=settings.elasticsearch_url,
            search_prefix=settings.search_index_prefix,
            database_url=settings.database_url,
            personal_data_key_ttl_s=settings.personal_data_key_ttl_s,
            redis_url=settings.redis_url,
            redis_prefix=settings.redis_prefix,
            consumer_overrides=SEARCH_FETCH if kind == "search" else {},
        )


def run_projector(
    settings: Settings,
    kind: ProjectorKind,
    stop: threading.Event,
    *,
    group_id: str | None = None,
) -> None:
    """Project the event topic into MongoDB (``mongo``) or Elasticsearch (``search``) until
    ``stop`` is set. Server outages are waited out; anything else propagates."""
    sink_url = settings.mongo_url if kind == "mongo" else settings.elasticsearch_url

    def ready() -> None:
        check_kafka_reachable(settings.kafka_bootstrap_servers)
        check_url_reachable(sink_url)
        psycopg.connect(settings.database_url, connect_timeout=2).close()  # personal data keys

    port = (
        settings.projector_mongo_metrics_port
        if kind == "mongo"
        else settings.projector_search_metrics_port
    )
    endpoint = ProcessEndpoint(settings.bind_host, port, ready, process_registry(PROJECTOR)).start()
    try:
        options = ProjectorOptions.from_settings(follow_store_epoch(settings, stop), kind, group_id)
        with open_projector(options, stop) as runner:
            runner.run(stop)
    except (SetupInterrupted, Stopped):
        log.info("projector_stopped_during_setup", projector=kind)
    finally:
        endpoint.close()


@contextmanager
def open_projector(
    options: ProjectorOptions, stop: threading.Event | None = None
) -> Iterator[ProjectorRunner]:
    """A subscribed runner with its clients; everything is closed on exit."""
    stop = stop or threading.Event()
    with ExitStack() as stack:
        dlq_topic = dead_letter_topic(options.topic)
        _until_up(
            stop,
            "kafka",
            lambda: ensure_topics(
                options.bootstrap_servers, {options.topic: options.partitions, dlq_topic: 1}
            ),
        )
        sink = _open_sink(options, stop, stack)
        consumer = KafkaConsumer(
            **consumer_config(
                options.bootstrap_servers, options.group_id, **options.consumer_overrides
            )
        )
        dead_letters = DeadLetterQueue(
            lambda: make_dead_letter_producer(options.bootstrap_servers), dlq_topic
        )
        keys = None
        if options.database_url is not None:
            # min_size 0: opens without waiting for PostgreSQL, and a projector that never sees
            # personal data never holds a connection; an outage shows at first use, retried.
            pool = open_pool(options.database_url, min_size=0, max_size=1, name="unsealing")
            stack.callback(pool.close)
            keys = KeyCache(EventStore(pool), ttl_s=options.personal_data_key_ttl_s)
        runner = ProjectorRunner(
            consumer,
            sink,
            MONGO_PROJECTION if options.kind == "mongo" else SEARCH_PROJECTION,
            dead_letters,
            RunnerConfig(
                topic=options.topic,
                group_id=options.group_id,
                max_records=options.max_records,
                max_backoff_s=options.max_backoff_s,
            ),
            Unsealer(keys),
            _announcer(options, stack),
        )
        stack.callback(runner.close)
        yield runner


def _announcer(options: ProjectorOptions, stack: ExitStack) -> Announce | None:
    """Publishes each batch's stream versions to Redis, fire and forget (``SignalPublisher``)."""
    redis_url = options.redis_url
    if redis_url is None:
        return None
    signals = SignalPublisher(lambda: sync_client(redis_url))
    stack.callback(signals.close)
    channel = RedisNames(options.redis_prefix).read_model_versions(options.kind)

    def announce(versions: dict[str, int]) -> None:
        signals.publish(channel, encode_versions(versions))

    return announce


def _open_sink(options: ProjectorOptions, stop: threading.Event, stack: ExitStack) -> Sink:
    if options.kind == "mongo":
        mongo: MongoClient[Document] = MongoClient(
            options.mongo_url,
            serverSelectionTimeoutMS=options.server_timeout_ms,
            connectTimeoutMS=options.server_timeout_ms,
            # Offsets are committed once a write is acknowledged, so an acknowledged write must
            # survive a crash of the server: journaled (see mongo_sink).
            journal=options.mongo_journal,
        )
        stack.callback(mongo.close)
        database = mongo[options.mongo_database]
        _until_up(
            stop, "mongo", lambda: ensure_mongo_collections(database, options.mongo_collections)
        )
        return MongoSink(database, options.mongo_collections)
    # A refused connection fails at once; the timeout only bounds a slow bulk request.
    search = Elasticsearch(options.elasticsearch_url, request_timeout=30, max_retries=0)
    stack.callback(search.close)
    indices = _until_up(
        stop, "elasticsearch", lambda: ensure_search_indices(search, options.search_prefix)
    )
    return SearchSink(search, indices)


def _until_up(stop: threading.Event, server: str, setup: Callable[[], T]) -> T:
    """Run ``setup`` until the server answers (the pipeline's retry policy);
    SetupInterrupted on stop."""

    def on_retry(error: BaseException, attempt: int, wait_s: float) -> None:
        log.warning(
            "projector_waiting_for_server", server=server, error=repr(error), attempt=attempt
        )

    try:
        return retrying(
            stop, setup, retry_on=UNAVAILABLE, backoff=Backoff(0.2, 5.0), on_retry=on_retry
        )
    except Stopped as stopped:
        raise SetupInterrupted(server) from stopped
