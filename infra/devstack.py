"""The local stack: builds the six servers from Settings, starts, stops and reports on them;
and the gateway, which the supervisor starts once the API instances answer (it routes to them),
but which stopping and status cover like the others.

This is what ``ledgerline dev up/down/status/fetch`` run, and what the launcher tests run in
"throwaway" mode (a fresh temporary data directory and free ports chosen by the OS). Servers
start in parallel (the Kafka and Elasticsearch JVMs dominate); stopping works from any process
because it goes through the pid files under ``DATA_DIR/run/``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import structlog

from infra import web_console
from infra.servers import (
    ElasticsearchServer,
    GatewayGuard,
    KafkaServer,
    MailpitServer,
    ManagedServer,
    MongoServer,
    NginxServer,
    PostgresServer,
    RedisServer,
    ServerStartError,
    ServerStatus,
    StartOutcome,
    free_ports,
)
from infra.servers.process import LOCALHOST
from infra.settings import Settings

log = structlog.get_logger()

T = TypeVar("T")
R = TypeVar("R")

SERVER_NAMES: tuple[str, ...] = (
    "postgres",
    "kafka",
    "mongo",
    "elasticsearch",
    "mailpit",
    "redis",
)
GATEWAY = "gateway"


def build_servers(
    settings: Settings, only: Iterable[str] | None = None, *, kafka_cache_dir: Path | None = None
) -> dict[str, ManagedServer]:
    """The servers named in `only` (all of them by default), configured from `settings`."""
    names = _checked_names(only)
    root = settings.data_dir
    factories: dict[str, Callable[[], ManagedServer]] = {
        "postgres": lambda: PostgresServer(
            root, settings.postgres_port, database=settings.postgres_database
        ),
        "kafka": lambda: KafkaServer(
            root,
            settings.kafka_port,
            settings.kafka_controller_port,
            cache_dir=kafka_cache_dir,
            partitions=settings.kafka_partitions,
        ),
        "mongo": lambda: MongoServer(root, settings.mongo_port),
        "elasticsearch": lambda: ElasticsearchServer(
            root,
            settings.elasticsearch_port,
            settings.elasticsearch_transport_port,
            quick_start=settings.elasticsearch_quick_start,
        ),
        # Mailpit catches what the mailer sends to smtp_port (on 127.0.0.1 whatever smtp_host
        # says: a developer pointing the mailer at a real relay just leaves it unused).
        "mailpit": lambda: MailpitServer(root, settings.smtp_port, settings.mailpit_http_port),
        "redis": lambda: RedisServer(root, settings.redis_port),
    }
    return {name: factories[name]() for name in names}


def build_gateway(settings: Settings, instances: int | None = None) -> NginxServer:
    """The gateway in front of ``instances`` (default: api_instances) of each API."""
    write_ports, read_ports = settings.api_instance_ports(instances or settings.api_instances)
    return NginxServer(
        settings.data_dir,
        settings.gateway_port,
        settings.gateway_http_port,
        write_upstreams=[f"{LOCALHOST}:{port}" for port in write_ports],
        read_upstreams=[f"{LOCALHOST}:{port}" for port in read_ports],
        guard=GatewayGuard.from_settings(settings),
        console_dir=settings.console_dir or web_console.build_dir(),
    )


def _with_gateway(settings: Settings, only: Iterable[str] | None) -> dict[str, ManagedServer]:
    """The servers named in ``only`` (which may name the gateway), all of them by default."""
    wanted = None if only is None else set(only)
    servers = build_servers(settings, None if wanted is None else wanted - {GATEWAY})
    if wanted is None or GATEWAY in wanted:
        return {GATEWAY: build_gateway(settings), **servers}
    return servers


def _checked_names(only: Iterable[str] | None) -> list[str]:
    if only is None:
        return list(SERVER_NAMES)
    wanted = set(only)
    unknown = sorted(wanted - set(SERVER_NAMES))
    if unknown:
        raise ValueError(
            f"unknown server {', '.join(unknown)}; choose from {', '.join(SERVER_NAMES)}"
        )
    return [name for name in SERVER_NAMES if name in wanted]


@dataclass
class RunningStack:
    """Servers that answer, with how each start went and how long it took (seconds)."""

    servers: dict[str, ManagedServer]
    settings: Settings
    outcomes: dict[str, StartOutcome] = field(default_factory=dict)
    start_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def postgres(self) -> PostgresServer:
        return _typed(self.servers["postgres"], PostgresServer)

    @property
    def kafka(self) -> KafkaServer:
        return _typed(self.servers["kafka"], KafkaServer)

    @property
    def mongo(self) -> MongoServer:
        return _typed(self.servers["mongo"], MongoServer)

    @property
    def elasticsearch(self) -> ElasticsearchServer:
        return _typed(self.servers["elasticsearch"], ElasticsearchServer)

    @property
    def mailpit(self) -> MailpitServer:
        return _typed(self.servers["mailpit"], MailpitServer)

    @property
    def redis(self) -> RedisServer:
        return _typed(self.servers["redis"], RedisServer)

    def stop(self) -> None:
        _in_parallel(lambda server: server.stop(), self.servers.values())


def _typed(server: ManagedServer, kind: type[T]) -> T:
    assert isinstance(server, kind)
    return server


def start_stack(
    settings: Settings, only: Iterable[str] | None = None, *, kafka_cache_dir: Path | None = None
) -> RunningStack:
    """Start (or find running) the servers; all-or-nothing for the ones this call started.

    Raises the ServerStartError of the first server (in SERVER_NAMES order) that failed, after
    stopping the servers this call had started, so a failed ``dev up`` leaves nothing behind.
    """
    servers = build_servers(settings, only, kafka_cache_dir=kafka_cache_dir)
    stack = RunningStack(servers, settings)

    def start(server: ManagedServer) -> ServerStartError | None:
        began = time.monotonic()
        try:
            stack.outcomes[server.name] = server.start()
        except ServerStartError as exc:
            return exc
        stack.start_seconds[server.name] = time.monotonic() - began
        log.debug(
            "server_up",
            server=server.name,
            outcome=stack.outcomes[server.name].value,
            seconds=round(stack.start_seconds[server.name], 2),
        )
        return None

    errors = [error for error in _in_parallel(start, servers.values()) if error is not None]
    if errors:
        started = [servers[name] for name, o in stack.outcomes.items() if o is StartOutcome.STARTED]
        _in_parallel(lambda server: server.stop(), started)
        raise errors[0]
    return stack


def stop_stack(settings: Settings, only: Iterable[str] | None = None) -> dict[str, bool]:
    """Stop the servers (and the gateway) recorded in the pid files; maps name -> whether it
    was running."""
    servers = _with_gateway(settings, only)
    stopped = _in_parallel(lambda server: server.stop(), servers.values())
    return dict(zip(servers, stopped, strict=True))


def stack_status(settings: Settings, only: Iterable[str] | None = None) -> list[ServerStatus]:
    """Whether each server and the gateway is running (pid file) and answering (a real
    request)."""
    servers = _with_gateway(settings, only)
    return _in_parallel(lambda server: server.status(), servers.values())


def fetch_servers(settings: Settings) -> dict[str, Path]:
    """Download what Kafka and Elasticsearch need from Maven Central, and build Mailpit with
    Go, into their caches unless they are there already; maps each to where it is. Failures are
    ServerStartErrors."""
    servers = build_servers(settings, ["kafka", "elasticsearch", "mailpit"])
    return {
        "kafka": _typed(servers["kafka"], KafkaServer).ensure_jars(),
        "elasticsearch": _typed(servers["elasticsearch"], ElasticsearchServer).ensure_node(),
        "mailpit": _typed(servers["mailpit"], MailpitServer).ensure_binary(),
    }


def throwaway_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a private stack in `data_dir` on ports the OS reports free right now
    (and `overrides`, by field name)."""
    (
        postgres,
        kafka,
        kafka_controller,
        mongo,
        elasticsearch,
        transport,
        smtp,
        mailpit_http,
        redis,
    ) = free_ports(9)
    return Settings(
        data_dir=data_dir,
        postgres_port=postgres,
        kafka_port=kafka,
        kafka_controller_port=kafka_controller,
        mongo_port=mongo,
        elasticsearch_port=elasticsearch,
        elasticsearch_transport_port=transport,
        smtp_port=smtp,
        mailpit_http_port=mailpit_http,
        redis_port=redis,
        **overrides,
    )


@contextmanager
def throwaway_stack(
    only: Iterable[str] | None = None, *, kafka_cache_dir: Path | None = None, **overrides: Any
) -> Iterator[RunningStack]:
    """A fresh stack in a temporary directory, stopped and deleted on exit."""
    data_dir = Path(tempfile.mkdtemp(prefix="ledgerline-stack-"))
    try:
        settings = throwaway_settings(data_dir, **overrides)
        stack = start_stack(settings, only, kafka_cache_dir=kafka_cache_dir)
        try:
            yield stack
        finally:
            stack.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _in_parallel(action: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """Run `action` on every item at once (servers start and stop independently)."""
    items = list(items)
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=len(items), thread_name_prefix="devstack") as pool:
        return list(pool.map(action, items))
