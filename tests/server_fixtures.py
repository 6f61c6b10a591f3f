"""Helpers behind the server fixtures in tests/conftest.py (which keeps only the fixture names).

Servers for tests run through the same launcher as ``ledgerline dev up`` (infra/servers), in a
private temporary directory on ports the OS reports free, so a test run never touches a
developer's running stack. We use ``tempfile`` rather than pytest's tmp_path because PostgreSQL
runs as another OS user when we are root and must be able to traverse the path, while pytest
keeps its temp root private (mode 0700).

A test session that is killed outright (SIGKILL, an OOM kill) cannot stop its servers, so each
temporary root records its owner's pid, and the next session stops the servers of roots whose
owner is gone before it starts its own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psutil
import psycopg
from psycopg import sql

from event_store.connection import open_pool
from event_store.store import EventStore
from infra.servers import (
    ElasticsearchServer,
    JaegerServer,
    KafkaServer,
    MailpitServer,
    ManagedServer,
    MongoServer,
    NginxExporterServer,
    NginxServer,
    PostgresServer,
    PrometheusServer,
    RedisServer,
)
from infra.servers.process import free_ports, port_in_use, read_pid_file, write_pid_file
from infra.servers.standby import StandbyServer
from infra.settings import API_INSTANCE_PORT_STRIDE
from tests.polling import wait_for

ROOT_PREFIX = "ledgerline-test-"

S = TypeVar("S", bound=ManagedServer)


# A stand-in for the web console's build: a page and a content-hashed asset.
CONSOLE_FILES = {
    "index.html": "<!doctype html><title>Ledgerline console</title>",
    "assets/index-Dq3xJk9a.js": "console.log('console');",
}


def write_stand_in_console(directory: Path) -> Path:
    """``CONSOLE_FILES`` under ``directory`` (the gateway's LEDGERLINE_CONSOLE_DIR)."""
    for relative, text in CONSOLE_FILES.items():
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_text(text)
    return directory


@contextmanager
def temporary_root() -> Iterator[Path]:
    """A fresh directory for server data and logs, deleted afterwards."""
    root = Path(tempfile.mkdtemp(prefix=ROOT_PREFIX))
    write_pid_file(root / "owner.pid", os.getpid())
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def reap_abandoned_roots() -> list[Path]:
    """Stop the servers of, and delete, temporary roots whose test session died."""
    reaped = []
    for root in Path(tempfile.gettempdir()).glob(ROOT_PREFIX + "*"):
        owner = read_pid_file(root / "owner.pid")
        if owner is None or psutil.pid_exists(owner):
            continue  # still in use (or being created right now)
        # Ports do not matter for stopping: that goes by pid file and data directory.
        for server in (
            PrometheusServer(root, 0),
            NginxExporterServer(root, 0),
            NginxServer(root, 0, 0),
            PostgresServer(root, 0),
            StandbyServer(root, 0, PostgresServer(root, 0)),
            KafkaServer(root, 0, 0),
            MongoServer(root, 0),
            ElasticsearchServer(root, 0, 0),
            MailpitServer(root, 0, 0),
            RedisServer(root, 0),
            JaegerServer(root, 0, 0, 0, 0),
        ):
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
        reaped.append(root)
    return reaped


@contextmanager
def running(server: S) -> Iterator[S]:
    """Start `server` (ServerStartError names its log if it cannot) and always stop it."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def fresh_database(server: PostgresServer) -> Iterator[str]:
    """A new empty database with a unique name; yields its URL, drops it afterwards."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server.url("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        yield server.url(name)
    finally:
        with psycopg.connect(server.url("postgres"), autocommit=True) as admin:
            # FORCE: a test that leaked a connection must not make the next one fail here.
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


@contextmanager
def event_store_on(database_url: str, max_connections: int = 2) -> Iterator[EventStore]:
    """An event store on its own small pool (not the one of a server under test)."""
    pool = open_pool(database_url, min_size=1, max_size=max_connections)
    try:
        yield EventStore(pool)
    finally:
        pool.close()


def instance_base_ports(instances: int) -> tuple[int, int]:
    """A write API and a query API base port whose series of ``instances`` ports (port + 2i,
    ``Settings.api_instance_ports``) are free and do not meet."""

    def series(base: int) -> set[int]:
        return {base + API_INSTANCE_PORT_STRIDE * i for i in range(instances)}

    def candidate() -> tuple[int, int] | None:
        write, read = free_ports(2)
        if series(write) & series(read):
            return None
        if any(port_in_use(port) for port in (series(write) | series(read)) - {write, read}):
            return None
        return write, read

    ports = wait_for(candidate, 10, interval=0, what="free instance ports")
    assert ports is not None  # wait_for returns only a truthy result
    return ports


@dataclass(frozen=True)
class SharedServers:
    """Where the servers are that systems share (each keeps names of its own in them): the
    session's in tests, a private stack's in a bench."""

    kafka: str
    mongo: str
    elasticsearch: str
    redis: str


def system_fields(servers: SharedServers, root: Path, *, instances: int = 1) -> dict[str, Any]:
    """Settings fields of one Ledgerline system of its own on ``servers``: data under ``root``,
    its own topic, consumer groups, Redis prefix, read models and index prefix, every port free
    (``instances`` of each API), no per-subject rate limits (test and drill clients send from
    one address as fast as they can; the limits have their own tests), warnings-only logs.
    The database (``LEDGERLINE_DATABASE_URL``) and anything else are the caller's."""
    name = f"sys{uuid.uuid4().hex[:8]}"
    write_port, read_port = instance_base_ports(instances)
    ports = iter(free_ports(6))
    return {
        "data_dir": root,
        "LEDGERLINE_KAFKA_BOOTSTRAP_SERVERS": servers.kafka,
        "LEDGERLINE_MONGO_URL": servers.mongo,
        "LEDGERLINE_ELASTICSEARCH_URL": servers.elasticsearch,
        "LEDGERLINE_REDIS_URL": servers.redis,
        "redis_prefix": name,
        "kafka_topic": f"{name}.events",
        "kafka_partitions": 3,
        "kafka_group_prefix": name,
        "mongo_database": name,
        "search_index_prefix": name,
        "write_api_port": write_port,
        "read_api_port": read_port,
        "relay_metrics_port": next(ports),
        "projector_mongo_metrics_port": next(ports),
        "projector_search_metrics_port": next(ports),
        "notifier_metrics_port": next(ports),
        "gateway_port": next(ports),
        "gateway_http_port": next(ports),
        "rate_limit_enabled": False,
        "log_level": "WARNING",
    }
