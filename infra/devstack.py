"""The local stack: builds the seven servers from Settings, starts, stops and reports on them;
and the servers that sit on top of Ledgerline's own processes, which the supervisor starts once
those answer but which stopping and status cover like the others: the gateway (it routes to the
API instances), its metrics exporter (it reads the gateway) and Prometheus (it scrapes them all).

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
    ServerStartError,
    ServerStatus,
    StartOutcome,
    free_ports,
)
from infra.servers.go_programs import GoBuildError
from infra.servers.kubernetes_schemas import ensure_chart_tools
from infra.servers.process import LOCALHOST
from infra.servers.prometheus_config import ScrapeTarget
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
    "jaeger",
)
GATEWAY = "gateway"
GATEWAY_EXPORTER = "gateway-exporter"
PROMETHEUS_SERVER = "prometheus"
# Started by the supervisor on top of the processes, in this order (stopped in reverse).
SUPERVISED_NAMES: tuple[str, ...] = (GATEWAY, GATEWAY_EXPORTER, PROMETHEUS_SERVER)


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
        "jaeger": lambda: JaegerServer(
            root,
            settings.jaeger_otlp_grpc_port,
            settings.jaeger_otlp_http_port,
            settings.jaeger_ui_port,
            settings.jaeger_query_grpc_port,
        ),
    }
    return {name: factories[name]() for name in names}


def build_gateway(
    settings: Settings, instances: int | None = None, *, with_status: bool = False
) -> NginxServer:
    """The gateway in front of ``instances`` (default: api_instances) of each API; with
    ``with_status`` its ``stub_status`` answers on gateway_status_port, for the exporter."""
    write_ports, read_ports = settings.api_instance_ports(instances or settings.api_instances)
    return NginxServer(
        settings.data_dir,
        settings.gateway_port,
        settings.gateway_http_port,
        write_upstreams=[f"{LOCALHOST}:{port}" for port in write_ports],
        read_upstreams=[f"{LOCALHOST}:{port}" for port in read_ports],
        guard=GatewayGuard.from_settings(settings),
        console_dir=settings.console_dir or web_console.build_dir(),
        status_port=settings.gateway_status_port if with_status else None,
    )


def build_gateway_exporter(settings: Settings) -> NginxExporterServer:
    """The exporter of the gateway's connection and request counts."""
    status_url = f"http://{LOCALHOST}:{settings.gateway_status_port}/stub_status"
    return NginxExporterServer(settings.data_dir, settings.gateway_exporter_port, status_url)


def build_prometheus(
    settings: Settings, targets: Iterable[ScrapeTarget] = (), *, lifecycle: bool = False
) -> PrometheusServer:
    """Prometheus scraping ``targets`` (the supervisor's processes and the gateway's exporter)."""
    return PrometheusServer(
        settings.data_dir,
        settings.prometheus_port,
        targets=list(targets),
        lifecycle=lifecycle,
        scrape_interval_s=settings.prometheus_scrape_interval_s,
    )


def _with_supervised(settings: Settings, only: Iterable[str] | None) -> dict[str, ManagedServer]:
    """The servers named in ``only`` (which may name the supervised ones), all by default;
    the supervised first, in the order they are stopped."""
    wanted = None if only is None else set(only)
    servers = build_servers(settings, None if wanted is None else wanted - set(SUPERVISED_NAMES))
    factories: dict[str, Callable[[], ManagedServer]] = {
        PROMETHEUS_SERVER: lambda: build_prometheus(settings),
        GATEWAY_EXPORTER: lambda: build_gateway_exporter(settings),
        GATEWAY: lambda: build_gateway(settings),
    }
    supervised = {
        name: factory() for name, factory in factories.items() if wanted is None or name in wanted
    }
    return {**supervised, **servers}


def _checked_names(only: Iterable[str] | None) -> list[str]:
    """``only`` in SERVER_NAMES order; ValueError naming any unknown server."""
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

    @property
    def jaeger(self) -> JaegerServer:
        return _typed(self.servers["jaeger"], JaegerServer)

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
    """Stop the servers (and the supervised ones: gateway, its exporter, Prometheus) recorded
    in the pid files; maps name -> whether it was running."""
    servers = _with_supervised(settings, only)
    supervised = {name: s for name, s in servers.items() if name in SUPERVISED_NAMES}
    # Prometheus and the exporter first (they would only log failed scrapes), the rest at once.
    stopped = {name: server.stop() for name, server in supervised.items()}
    others = [server for name, server in servers.items() if name not in supervised]
    stopped |= dict(
        zip([s.name for s in others], _in_parallel(lambda s: s.stop(), others), strict=True)
    )
    return {name: stopped[name] for name in servers}


def stack_status(settings: Settings, only: Iterable[str] | None = None) -> list[ServerStatus]:
    """Whether each server, the gateway, its exporter and Prometheus is running (pid file) and
    answering (a real request)."""
    servers = _with_supervised(settings, only)
    return _in_parallel(lambda server: server.status(), servers.values())


def fetch_servers(settings: Settings) -> dict[str, Path]:
    """Download what Kafka and Elasticsearch need from Maven Central, build Mailpit, Jaeger,
    Prometheus and promtool with Go, unpack the gateway's exporter from Debian's package, and
    build the Helm chart's checkers (Helm, kubeconform, the Kubernetes and KEDA schemas),
    into their caches unless they are there already; maps each to where it is. Failures are
    ServerStartErrors (one line each)."""
    servers = build_servers(settings, ["kafka", "elasticsearch", "mailpit", "jaeger"])
    prometheus = build_prometheus(settings)
    exporter = build_gateway_exporter(settings)
    chart_log = settings.data_dir / "chart-tools" / "build.log"
    try:
        chart_tools = ensure_chart_tools(log_path=chart_log)
    except GoBuildError as exc:
        raise ServerStartError("Helm chart tools", chart_log, str(exc)) from exc
    return chart_tools | {
        "kafka": _typed(servers["kafka"], KafkaServer).ensure_jars(),
        "elasticsearch": _typed(servers["elasticsearch"], ElasticsearchServer).ensure_node(),
        "mailpit": _typed(servers["mailpit"], MailpitServer).ensure_binary(),
        "jaeger": _typed(servers["jaeger"], JaegerServer).ensure_binary(),
        "prometheus": prometheus.ensure_binary().parent,
        "gateway-exporter": exporter.ensure_binary(),
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
        jaeger_otlp_grpc,
        jaeger_otlp_http,
        jaeger_ui,
        jaeger_query_grpc,
    ) = free_ports(13)
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
        jaeger_otlp_grpc_port=jaeger_otlp_grpc,
        jaeger_otlp_http_port=jaeger_otlp_http,
        jaeger_ui_port=jaeger_ui,
        jaeger_query_grpc_port=jaeger_query_grpc,
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
