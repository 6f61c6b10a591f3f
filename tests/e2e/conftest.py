"""The whole system in one test process: write API and query API (TestClient), the relay and
both projectors in threads, all against the session's real servers with per-test names
(``running_system`` for tests that choose their own Redis or intervals)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import SecretStr

from event_store.connection import open_pool
from event_store.store import EventStore
from infra.http.auth import mint_token
from infra.redis.signals import Wakeup
from infra.servers import ElasticsearchServer, KafkaServer, MongoServer, RedisServer
from infra.settings import Settings
from projections.process import run_projector
from projections.producer import make_producer
from projections.relay import Relay, RelayConfig
from projections.relay_process import listening_for_new_events
from projections.topics import ensure_topics
from read_api.app import create_app as create_read_app
from read_api.freshness_signals import VersionSignals
from tests.polling import wait_for
from write_api.app import create_app as create_write_app


@dataclass
class System:
    settings: Settings
    write: TestClient
    read: TestClient
    relay: Relay

    @property
    def versions(self) -> VersionSignals:
        """The query API's version signals (and how its waits ended)."""
        signals: VersionSignals = self.read.app.state.versions  # type: ignore[attr-defined]
        return signals

    def token(self, user_id: UUID | str, *roles: str) -> dict[str, str]:
        token = mint_token(self.settings, user_id, roles or ("customer",), 600)
        return {"Authorization": f"Bearer {token}"}

    def command(self, path: str, body: Any, headers: dict[str, str], status: int = 200) -> Any:
        response = self.write.post(path, json=body, headers=headers)
        assert response.status_code == status, response.text
        return response.json()

    def get(self, path: str, headers: dict[str, str], **params: Any) -> Any:
        response = self.read.get(path, headers=headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def system(
    database_url: str,
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    elasticsearch_server: ElasticsearchServer,
    redis_server: RedisServer,
) -> Iterator[System]:
    servers = Servers(database_url, kafka_server, mongo_server, elasticsearch_server)
    with running_system(servers, redis_server.url) as system:
        yield system


@dataclass(frozen=True)
class Servers:
    database_url: str
    kafka: KafkaServer
    mongo: MongoServer
    elasticsearch: ElasticsearchServer


@contextmanager
def running_system(
    servers: Servers, redis_url: str, *, relay_poll_s: float = 0.1, **overrides: Any
) -> Iterator[System]:
    """The system on ``servers`` with Redis at ``redis_url``, its names its own; ``relay_poll_s``
    and ``overrides`` (settings) choose the fallback intervals. Waits until the relay and the
    query API are subscribed when Redis answers, so no signal of the test is missed."""
    name = f"e2e{uuid.uuid4().hex[:8]}"
    settings = Settings(
        LEDGERLINE_DATABASE_URL=servers.database_url,
        LEDGERLINE_KAFKA_BOOTSTRAP_SERVERS=servers.kafka.bootstrap_servers,
        LEDGERLINE_MONGO_URL=servers.mongo.url,
        LEDGERLINE_ELASTICSEARCH_URL=servers.elasticsearch.url,
        LEDGERLINE_REDIS_URL=redis_url,
        redis_prefix=name,
        kafka_topic=f"{name}.events",
        kafka_partitions=3,
        mongo_database=name,
        search_index_prefix=name,
        jwt_secret=SecretStr("e2e-secret-long-enough-for-hs256-signatures"),
        projector_mongo_metrics_port=0,
        projector_search_metrics_port=0,
        **overrides,
    )
    ensure_topics(settings.kafka_bootstrap_servers, {settings.kafka_topic: 3})
    stop = threading.Event()
    pool = open_pool(servers.database_url, min_size=1, max_size=2)
    wakeup = Wakeup()
    relay = Relay(
        EventStore(pool),
        RelayConfig(topic=settings.kafka_topic, idle_wait_s=relay_poll_s),
        lambda: make_producer(settings.kafka_bootstrap_servers),
        wakeup,
    )
    threads = [
        threading.Thread(target=relay.run, args=(stop,)),
        threading.Thread(target=run_projector, args=(settings, "mongo", stop)),
        threading.Thread(target=run_projector, args=(settings, "search", stop)),
    ]
    for thread in threads:
        thread.start()
    try:
        with (
            listening_for_new_events(settings, wakeup) as new_events,
            TestClient(create_write_app(settings)) as write,
            TestClient(create_read_app(settings)) as read,
        ):
            system = System(settings, write, read, relay)
            if _answers(redis_url):
                wait_for(new_events.subscribed.is_set, what="the relay's subscription")
                wait_for(system.versions.subscribed.is_set, what="the query API's subscription")
            yield system
    finally:
        stop.set()
        wakeup.signal()  # a relay that polls rarely notices the stop at once, not at its poll
        for thread in threads:
            thread.join(30)
        pool.close()
    assert not any(thread.is_alive() for thread in threads)


def _answers(redis_url: str) -> bool:
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()
