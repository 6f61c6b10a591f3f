"""The session server fixtures other test packages rely on."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import psycopg
import redis
from pymongo import MongoClient

from infra.servers import (
    ElasticsearchServer,
    MongoServer,
    PostgresServer,
    RedisServer,
    free_port,
    free_ports,
)
from infra.servers.process import write_pid_file
from tests.server_fixtures import ROOT_PREFIX, fresh_database, reap_abandoned_roots


def test_fresh_database_url_is_an_empty_database_on_the_session_server(
    fresh_database_url: str, postgres_server: PostgresServer
) -> None:
    assert fresh_database_url.startswith(f"postgresql://postgres@127.0.0.1:{postgres_server.port}/")
    with psycopg.connect(fresh_database_url) as conn:
        tables = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        ).fetchone()
    assert tables == (0,)


def test_fresh_database_is_dropped_even_while_a_connection_is_open(
    postgres_server: PostgresServer,
) -> None:
    with fresh_database(postgres_server) as url:
        name = url.rsplit("/", 1)[1]
        leaked = psycopg.connect(url)
    try:
        with psycopg.connect(postgres_server.url("postgres")) as conn:
            found = conn.execute("select 1 from pg_database where datname = %s", (name,))
            assert found.fetchone() is None
    finally:
        leaked.close()


def test_mongo_server_answers_on_its_url(mongo_server: MongoServer) -> None:
    client: MongoClient[dict[str, object]] = MongoClient(mongo_server.url)
    try:
        assert client.admin.command("ping")["ok"] == 1
    finally:
        client.close()


def test_redis_server_answers_on_its_url(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url)
    try:
        assert client.ping() is True
    finally:
        client.close()


def test_servers_left_by_a_killed_test_session_are_stopped_by_the_next_one() -> None:
    root = Path(tempfile.mkdtemp(prefix=ROOT_PREFIX))
    finished = subprocess.Popen(["true"])
    finished.wait()
    write_pid_file(root / "owner.pid", finished.pid)  # an owner that is no longer alive
    leftover = ElasticsearchServer(root, *free_ports(2), quick_start=True)
    leftover.start()
    leftover_redis = RedisServer(root, free_port())
    leftover_redis.start()

    assert root in reap_abandoned_roots()
    assert leftover.pid() is None
    assert leftover_redis.pid() is None
    assert not root.exists()
