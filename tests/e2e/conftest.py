"""The whole system in one test process: write API and query API (TestClient), the relay and
both projectors in threads, all against the session's real servers with per-test names."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from event_store.connection import open_pool
from event_store.store import EventStore
from infra.http.auth import mint_token
from infra.servers import ElasticsearchServer, KafkaServer, MongoServer
from infra.settings import Settings
from projections.process import run_projector
from projections.producer import make_producer
from projections.relay import Relay, RelayConfig
from projections.topics import ensure_topics
from read_api.app import create_app as create_read_app
from write_api.app import create_app as create_write_app


@dataclass
class System:
    settings: Settings
    write: TestClient
    read: TestClient

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
) -> Iterator[System]:
    name = f"e2e{uuid.uuid4().hex[:8]}"
    settings = Settings(
        LEDGERLINE_DATABASE_URL=database_url,
        LEDGERLINE_KAFKA_BOOTSTRAP_SERVERS=kafka_server.bootstrap_servers,
        LEDGERLINE_MONGO_URL=mongo_server.url,
        LEDGERLINE_ELASTICSEARCH_URL=elasticsearch_server.url,
        kafka_topic=f"{name}.events",
        kafka_partitions=3,
        mongo_database=name,
        search_index_prefix=name,
        jwt_secret=SecretStr("e2e-secret-long-enough-for-hs256-signatures"),
        projector_mongo_metrics_port=0,
        projector_search_metrics_port=0,
    )
    ensure_topics(settings.kafka_bootstrap_servers, {settings.kafka_topic: 3})
    stop = threading.Event()
    pool = open_pool(database_url, min_size=1, max_size=2)
    relay = Relay(
        EventStore(pool),
        RelayConfig(topic=settings.kafka_topic),
        lambda: make_producer(settings.kafka_bootstrap_servers),
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
            TestClient(create_write_app(settings)) as write,
            TestClient(create_read_app(settings)) as read,
        ):
            yield System(settings, write, read)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
        pool.close()
    assert not any(thread.is_alive() for thread in threads)
