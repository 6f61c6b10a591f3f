"""The query API shares the write API's per-subject buckets in Redis, and keeps serving reads
(unlimited, logged) when Redis is down."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from infra.servers import ElasticsearchServer, MongoServer, RedisServer, free_port
from read_api.app import create_app
from tests.read_api.conftest import Caller, read_api_settings


def test_reads_beyond_the_burst_get_429(
    redis_server: RedisServer, mongo_server: MongoServer, elasticsearch_server: ElasticsearchServer
) -> None:
    settings = read_api_settings(
        mongo_server.url,
        elasticsearch_server.url,
        LEDGERLINE_REDIS_URL=redis_server.url,
        redis_prefix=f"test-{uuid.uuid4().hex[:12]}",
        rate_limit_enabled=True,
        rate_limit_per_s=0.1,
        rate_limit_burst=2,
    )
    caller = Caller(settings)
    headers = caller("auditor")
    with TestClient(create_app(settings)) as client:
        statuses = [client.get("/v1/search/users", headers=headers).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert client.get("/v1/search/users").status_code == 401  # no token: still 401


def test_reads_go_on_when_the_rate_limit_store_is_down(
    mongo_server: MongoServer, elasticsearch_server: ElasticsearchServer
) -> None:
    settings = read_api_settings(
        mongo_server.url,
        elasticsearch_server.url,
        LEDGERLINE_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        rate_limit_enabled=True,
    )
    headers = Caller(settings)("auditor")
    with TestClient(create_app(settings)) as client:
        statuses = [client.get("/v1/search/users", headers=headers).status_code for _ in range(5)]
    assert statuses == [200] * 5
