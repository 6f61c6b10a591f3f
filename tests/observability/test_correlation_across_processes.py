"""One command's correlation id can be followed through the logs of all five processes (write
API, relay, both projectors, query API), each a real OS process logging JSON as in production."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infra.servers import ElasticsearchServer, KafkaServer, MongoServer, RedisServer, free_port
from infra.settings import Settings
from infra.supervisor import Supervisor
from projections.topics import ensure_topics
from tests.credentials import PASSWORD
from tests.polling import wait_for

SECRET = "observability-secret-long-enough-for-production-hs256"


@pytest.fixture
def running_system(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    elasticsearch_server: ElasticsearchServer,
    redis_server: RedisServer,
) -> Iterator[tuple[Settings, Supervisor]]:
    name = f"obs{uuid.uuid4().hex[:8]}"
    fields: dict[str, str] = {
        "env": "production",
        "log_level": "DEBUG",
        "jwt_secret": SECRET,
        "signing_key_secret": "cHJvZHVjdGlvbi1zaWduaW5nLWtleS1zZWNyZXQtMzI=",
        "data_dir": str(tmp_path),
        "database_url": database_url,
        "kafka_bootstrap_servers": kafka_server.bootstrap_servers,
        "mongo_url": mongo_server.url,
        "elasticsearch_url": elasticsearch_server.url,
        "redis_url": redis_server.url,
        "redis_prefix": name,
        "kafka_topic": f"{name}.events",
        "mongo_database": name,
        "search_index_prefix": name,
    } | {
        port: str(free_port())
        for port in (
            "write_api_port",
            "read_api_port",
            "relay_metrics_port",
            "projector_mongo_metrics_port",
            "projector_search_metrics_port",
            "notifier_metrics_port",
        )
    }
    # The children read exactly these variables; the test reads them through Settings too.
    env = {f"LEDGERLINE_{key.upper()}": value for key, value in fields.items()}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    ensure_topics(settings.kafka_bootstrap_servers, {settings.kafka_topic: 3})
    supervisor = Supervisor(settings, dict(os.environ) | env)
    try:
        supervisor.start_all(timeout_s=90)
        yield settings, supervisor
    finally:
        supervisor.stop_all()


def _lines_with(log_path: Path, correlation_id: str) -> list[dict[str, object]]:
    found = []
    for line in log_path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # the supervisor's own "$ command" line
        if record.get("correlation_id") == correlation_id:
            found.append(record)
    return found


def test_one_correlation_id_appears_in_all_five_processes(
    running_system: tuple[Settings, Supervisor],
) -> None:
    settings, supervisor = running_system
    trace = f"trace-{uuid.uuid4().hex}"
    write = httpx.Client(base_url=f"http://127.0.0.1:{settings.write_api_port}", timeout=10)
    read = httpx.Client(base_url=f"http://127.0.0.1:{settings.read_api_port}", timeout=10)
    signed_up = write.post(
        "/v1/users",
        json={"email": "trace@example.com", "full_name": "Trace Me", "password": PASSWORD},
        headers={"X-Correlation-ID": trace},
    )
    assert signed_up.status_code == 201, signed_up.text
    assert signed_up.headers["X-Correlation-ID"] == trace
    user_id = signed_up.json()["id"]
    logged_in = write.post(  # production: a real login, development tokens are refused
        "/v1/auth/login", json={"email": "trace@example.com", "password": PASSWORD}
    )
    assert logged_in.status_code == 200, logged_in.text
    token = logged_in.json()["access_token"]
    seen = read.get(
        f"/v1/users/{user_id}",
        params={"min_version": 1},
        headers={"Authorization": f"Bearer {token}", "X-Correlation-ID": trace},
    )
    assert seen.status_code == 200, seen.text

    logs = {child.spec.name: child.log_path for child in supervisor.children}

    def missing() -> set[str]:
        return {name for name, path in logs.items() if not _lines_with(path, trace)}

    wait_for(lambda: not missing(), 30, 0.2, what=f"the correlation id in {sorted(missing())}")
