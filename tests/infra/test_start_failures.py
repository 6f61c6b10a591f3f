"""A server that cannot start fails with one ServerStartError naming it and its log file."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from infra.servers import (
    ElasticsearchServer,
    KafkaServer,
    MailpitServer,
    ManagedServer,
    MongoServer,
    PostgresServer,
    RedisServer,
    ServerStartError,
    free_port,
    free_ports,
)
from infra.servers.process import port_in_use
from tests.server_fixtures import temporary_root


@pytest.fixture
def root() -> Iterator[Path]:
    with temporary_root() as path:
        yield path


def build(name: str, root: Path) -> ManagedServer:
    if name == "postgres":
        return PostgresServer(root, free_port())
    if name == "kafka":
        return KafkaServer(root, *free_ports(2))
    if name == "mongo":
        return MongoServer(root, free_port())
    if name == "mailpit":
        return MailpitServer(root, *free_ports(2))
    if name == "redis":
        return RedisServer(root, free_port())
    return ElasticsearchServer(root, *free_ports(2))


@pytest.mark.parametrize(
    "name", ["postgres", "kafka", "mongo", "elasticsearch", "mailpit", "redis"]
)
def test_server_whose_port_is_taken_fails_naming_itself_and_its_log(name: str, root: Path) -> None:
    server = build(name, root)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", server.port))
        squatter.listen()
        with pytest.raises(ServerStartError) as caught:
            server.start()
    assert caught.value.server == name
    assert caught.value.log_path == root / "logs" / f"{name}.log"
    assert f"port {server.port}" in str(caught.value)
    assert str(caught.value.log_path) in str(caught.value)
    assert server.pid() is None


def test_postgres_with_a_corrupt_config_fails_with_the_reason_from_its_log(root: Path) -> None:
    server = PostgresServer(root, free_port())
    server.start()
    server.stop()
    with (server.data_dir / "postgresql.conf").open("a") as conf:
        conf.write("this line is not a setting\n")

    with pytest.raises(ServerStartError) as caught:
        server.start()

    assert caught.value.server == "postgres"
    assert "postgresql.conf" in caught.value.reason
    assert str(server.log_path) in str(caught.value)
    assert server.pid() is None


def test_kafka_that_dies_while_starting_fails_without_leaving_a_process(root: Path) -> None:
    server = KafkaServer(root, *free_ports(2))
    # A log dir that claims to be formatted but is not: the JVM starts, then exits.
    (server.data_dir / "data").mkdir(parents=True)
    (server.data_dir / "data" / "meta.properties").write_text("not a kafka meta file\n")

    with pytest.raises(ServerStartError) as caught:
        server.start()

    assert caught.value.server == "kafka"
    assert "node ID not found" in caught.value.reason
    assert server.pid() is None
    assert not server.pid_path.exists()


def test_kafka_whose_jars_cannot_be_downloaded_says_maven_failed(root: Path) -> None:
    server = KafkaServer(
        root, *free_ports(2), cache_dir=root / "cache", version="0.0.0-no-such-release"
    )

    with pytest.raises(ServerStartError) as caught:
        server.start()

    assert caught.value.server == "kafka"
    assert "with Maven failed" in caught.value.reason
    assert not server.libs_dir.exists()


def test_elasticsearch_that_dies_while_starting_fails_without_leaving_a_process(
    root: Path,
) -> None:
    server = ElasticsearchServer(root, *free_ports(2), quick_start=True)
    # A keystore the node cannot read: the launcher JVM starts, then exits.
    (server.data_dir / "config").mkdir(parents=True)
    (server.data_dir / "config" / "elasticsearch.keystore").write_text("not a keystore\n")

    with pytest.raises(ServerStartError) as caught:
        server.start()

    assert caught.value.server == "elasticsearch"
    assert "elasticsearch.keystore" in caught.value.reason
    assert server.pid() is None
    assert not server.pid_path.exists()
    assert not [p for p in psutil.process_iter(["cmdline"]) if _mentions(p, server.data_dir)]


def test_elasticsearch_that_cannot_be_downloaded_says_maven_failed(root: Path) -> None:
    server = ElasticsearchServer(
        root, *free_ports(2), cache_dir=root / "cache", version="0.0.0-no-such-release"
    )

    with pytest.raises(ServerStartError) as caught:
        server.start()

    assert caught.value.server == "elasticsearch"
    assert "with Maven failed" in caught.value.reason
    assert not server.home.exists()


def _mentions(process: psutil.Process, path: Path) -> bool:
    return str(path) in " ".join(process.info["cmdline"] or [])


def test_free_ports_never_hands_out_a_port_twice_in_one_process() -> None:
    # One port at a time, as fixtures ask: each probe socket is closed before the next call,
    # so without memory of what it gave the OS could offer the same port again.
    ports = [free_port() for _ in range(300)] + free_ports(50)
    assert len(set(ports)) == len(ports)
    assert not any(port_in_use(port) for port in ports[-5:])
