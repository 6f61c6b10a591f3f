"""Redis wakes the pipeline up and holds nothing it needs: with Redis, a command is relayed on
the write API's signal and a waiting read is woken by the projector's; without Redis, both
fall back to polling; flushing and restarting Redis mid-run loses nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from infra.servers import ElasticsearchServer, KafkaServer, MongoServer, RedisServer, free_port
from tests.credentials import PASSWORD
from tests.e2e.conftest import Servers, System, running_system
from tests.polling import wait_for
from tests.server_fixtures import running, temporary_root

# Longer than any wait of these tests: what finishes sooner was woken by a signal.
NEVER_S = 60.0


@pytest.fixture
def servers(
    database_url: str,
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    elasticsearch_server: ElasticsearchServer,
) -> Servers:
    return Servers(database_url, kafka_server, mongo_server, elasticsearch_server)


def open_account(system: System) -> tuple[str, dict[str, str]]:
    user = system.command(
        "/v1/users",
        {
            "email": f"{system.settings.redis_prefix}@example.com",
            "full_name": "A",
            "password": PASSWORD,
        },
        {},
        201,
    )
    owner = system.token(user["id"])
    account = system.command(
        "/v1/accounts", {"owner_id": user["id"], "currency": "EUR"}, owner, 201
    )
    return account["id"], owner


def deposit(system: System, account: str, owner: dict[str, str], amount: int = 100) -> int:
    done = system.command(
        f"/v1/accounts/{account}/deposits", {"amount": amount, "reference": "r"}, owner
    )
    return int(done["version"])


def read_at(system: System, account: str, owner: dict[str, str], version: int) -> Any:
    return system.get(f"/v1/accounts/{account}", owner, min_version=version)


def test_with_redis_the_relay_and_a_waiting_read_are_woken_by_signals(
    servers: Servers, redis_server: RedisServer
) -> None:
    with running_system(
        servers, redis_server.url, relay_poll_s=NEVER_S, min_version_recheck_s=NEVER_S
    ) as system:
        account, owner = open_account(system)
        version = deposit(system, account, owner)
        assert read_at(system, account, owner, version)["version"] == version
        answers: list[Any] = []
        waiting = threading.Thread(
            target=lambda: answers.append(read_at(system, account, owner, version + 1))
        )
        waiting.start()
        wait_for(lambda: system.versions.waits_begun > 0, what="the read waiting")
        deposit(system, account, owner)
        waiting.join(30)

        assert [a["version"] for a in answers] == [version + 1]
        assert system.relay.wakeup.by_signal >= 2  # nothing else could wake it within a minute
        assert system.versions.woken_by_signal >= 1
        assert system.versions.rechecked_by_timer == 0


def test_without_redis_commands_are_relayed_and_read_back_by_polling(servers: Servers) -> None:
    with running_system(servers, f"redis://127.0.0.1:{free_port()}/0") as system:
        account, owner = open_account(system)
        for _ in range(3):
            version = deposit(system, account, owner)
            assert read_at(system, account, owner, version)["balance"] == 100 * (version - 1)

        assert system.relay.wakeup.by_signal == 0
        assert system.relay.wakeup.by_poll > 0
        assert system.versions.woken_by_signal == 0


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis this test may flush, stop and start (the session's is shared)."""
    with temporary_root() as root, running(RedisServer(Path(root), free_port())) as server:
        yield server


def test_flushing_and_restarting_redis_mid_run_loses_nothing(
    servers: Servers, own_redis: RedisServer
) -> None:
    with running_system(servers, own_redis.url) as system:
        account, owner = open_account(system)
        client = redis.Redis.from_url(own_redis.url)
        try:
            for _ in range(5):
                deposit(system, account, owner)
            client.flushall()
            for _ in range(5):
                deposit(system, account, owner)
            own_redis.stop()
            for _ in range(5):
                deposit(system, account, owner)
            own_redis.start()  # empty again: no snapshot, nothing to load
            for _ in range(5):
                version = deposit(system, account, owner)
        finally:
            client.close()

        doc = read_at(system, account, owner, version)
        entries = system.get(f"/v1/accounts/{account}/entries", owner, limit=100)
    assert doc["balance"] == 20 * 100
    assert doc["version"] == 21
    assert len(entries["items"]) == 20
