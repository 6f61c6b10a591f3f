"""Session-wide real servers for the test suite, started lazily on first use.

Each server fixture starts its server only when a test asks for it, keeps it for the session and
stops it at the end (also when tests fail). All of them live in one temporary directory and
listen on free ports. Fixture names are a contract other test packages rely on:
``postgres_server`` (.url(dbname), .port), ``kafka_server`` (.bootstrap_servers),
``mongo_server`` (.url), ``elasticsearch_server`` (.url), ``mailpit_server`` (.port for SMTP,
.url for its web UI and API), ``redis_server`` (.url), ``jaeger_server`` (.otlp_grpc_endpoint and
.otlp_http_endpoint to export spans to, .url for its UI and query API), ``mailbox`` (a
``tests.mailbox.Mailbox`` on that Mailpit) and ``fresh_database_url``.

SIGTERM (as sent by ``timeout`` or a CI runner) is turned into KeyboardInterrupt, so pytest
unwinds as on Ctrl-C and the session fixtures stop their servers instead of leaking them.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest
import structlog

from event_store.schema import migrate
from event_store.store import EventStore
from infra.servers import (
    ElasticsearchServer,
    JaegerServer,
    KafkaServer,
    MailpitServer,
    MongoServer,
    PostgresServer,
    RedisServer,
    free_port,
    free_ports,
)
from tests.mailbox import Mailbox
from tests.server_fixtures import (
    event_store_on,
    fresh_database,
    reap_abandoned_roots,
    running,
    temporary_root,
)


def pytest_sessionstart(session: pytest.Session) -> None:
    # Cheap argon2 for the thousands of sign-ups and logins of the suite, in this process and
    # the Ledgerline processes tests start (the real cost is measured in bench/auth.py).
    os.environ.setdefault("LEDGERLINE_PASSWORD_HASH_TIME_COST", "1")
    os.environ.setdefault("LEDGERLINE_PASSWORD_HASH_MEMORY_KIB", "1024")
    # Tests that do not ask for the session's Redis (the redis_server fixture) run with Redis
    # unreachable, i.e. on the polling fallbacks, and never reach a developer's Redis on the
    # default port (port 1 refuses at once).
    os.environ["LEDGERLINE_REDIS_URL"] = "redis://127.0.0.1:1/0"
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)
    reap_abandoned_roots()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def servers_root() -> Iterator[Path]:
    """Data and logs of the session's servers (logs/<server>.log if one fails to start)."""
    with temporary_root() as root:
        yield root


@pytest.fixture(scope="session")
def postgres_server(servers_root: Path) -> Iterator[PostgresServer]:
    with running(PostgresServer(servers_root, free_port())) as server:
        yield server


@pytest.fixture(scope="session")
def kafka_server(servers_root: Path) -> Iterator[KafkaServer]:
    with running(KafkaServer(servers_root, *free_ports(2))) as server:
        yield server


@pytest.fixture(scope="session")
def mongo_server(servers_root: Path) -> Iterator[MongoServer]:
    with running(MongoServer(servers_root, free_port())) as server:
        yield server


@pytest.fixture(scope="session")
def elasticsearch_server(servers_root: Path) -> Iterator[ElasticsearchServer]:
    node = ElasticsearchServer(servers_root, *free_ports(2), quick_start=True)
    with running(node) as server:
        yield server


@pytest.fixture(scope="session")
def mailpit_server(servers_root: Path) -> Iterator[MailpitServer]:
    # Keep every message: a session may send more than Mailpit's default 500, and a test
    # waiting for its mail must not find it pruned.
    with running(MailpitServer(servers_root, *free_ports(2), max_messages=0)) as server:
        yield server


@pytest.fixture(scope="session")
def redis_server(servers_root: Path) -> Iterator[RedisServer]:
    with running(RedisServer(servers_root, free_port())) as server:
        yield server


@pytest.fixture(scope="session")
def jaeger_server(servers_root: Path) -> Iterator[JaegerServer]:
    """Jaeger keeping traces in memory: tests tell theirs apart by service name or trace id."""
    with running(JaegerServer(servers_root, *free_ports(4))) as server:
        yield server


@pytest.fixture
def mailbox(mailpit_server: MailpitServer) -> Iterator[Mailbox]:
    """The session's Mailpit, read through its API (tests address mail to their own unique
    recipients rather than emptying a mailbox other tests may be waiting on)."""
    with Mailbox(mailpit_server.url) as box:
        yield box


@pytest.fixture
def fresh_database_url(postgres_server: PostgresServer) -> Iterator[str]:
    """conninfo URL of a new, empty database, dropped after the test."""
    with fresh_database(postgres_server) as url:
        yield url


@pytest.fixture
def database_url(fresh_database_url: str) -> str:
    """A fresh database with the event store schema."""
    migrate(fresh_database_url)
    return fresh_database_url


@pytest.fixture
def event_store(database_url: str) -> Iterator[EventStore]:
    with event_store_on(database_url, max_connections=12) as store:
        yield store


@pytest.fixture
def cli_logging_left_alone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Operator commands (``infra.cli.failures.operator_settings``) configure process-wide
    logging (structlog caches loggers configured that way); run in-process by CliRunner in this
    shared test process they must not, or later tests' ``capture_logs`` stop seeing those
    loggers. Packages whose tests run them use this fixture for every test."""
    config = structlog.get_config()

    def quiet(*args: object) -> None:
        # As LEDGERLINE_LOG_LEVEL=WARNING would, without caching loggers.
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    monkeypatch.setattr("infra.cli.failures.configure_logging", quiet)
    names = ("elastic_transport", "elasticsearch", "kafka", "pymongo", "psycopg")
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    structlog.configure(**config)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
