"""Runs Ledgerline's own processes for local use: write API, query API, relay, the two
projectors and the notifier, each as ``python -m infra.cli ...`` with its log in
``<data_dir>/logs/<name>.log`` and its pid in ``<data_dir>/pids/<name>.pid`` (so ``ledgerline
dev down`` can stop them from another shell). A process that dies is restarted, loudly, after a
short pause.

Each API can run as several instances (``write-api``, ``write-api-2`` …, on the ports
``Settings.api_instance_ports`` gives), and the gateway in front of them: started once every
instance answers, stopped first, so it never routes to instances that are not there yet. With
``prometheus``, Prometheus is started last, scraping every child (and, with the gateway, the
gateway's exporter, started after the gateway): its configuration is made from the children this
supervisor runs, so ``--instances 4`` means four scraped instances of each API.

The relay can run as several replicas too (``relay``, ``relay-2`` …, metrics on
``relay_metrics_port`` + 10 i): one leads, the others wait (``projections.leadership``)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from infra import devstack
from infra.servers import ManagedServer, NginxExporterServer, NginxServer, PrometheusServer
from infra.servers.process import (
    deadline_in,
    process_alive,
    read_pid_file,
    spawn,
    terminate,
    write_pid_file,
)
from infra.servers.prometheus_config import ScrapeTarget
from infra.settings import Settings

log = structlog.get_logger(__name__)

_MARKER = "infra.cli"  # guards against stale pid files pointing at reused pids
RELAY_PORT_STRIDE = 10  # relay-2 serves its metrics on relay_metrics_port + 10, and so on
MAX_RELAYS = 5


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    args: tuple[str, ...]
    health_port: int  # ready when /health/ready on this port answers 200 (and /metrics is here)
    job: str = ""  # the kind of process, shared by the instances of one API (default: name)

    @property
    def kind(self) -> str:
        return self.job or self.name


def process_specs(
    settings: Settings, instances: int = 1, relays: int = 1, *, archive: bool = False
) -> list[ProcessSpec]:
    """The processes, with ``instances`` of each API (ValueError if their ports collide),
    ``relays`` relay replicas, and with ``archive`` the WAL streamer that archives the event
    store for backups."""
    write_ports, read_ports = settings.api_instance_ports(instances)
    if not 1 <= relays <= MAX_RELAYS:
        raise ValueError(f"relays must be between 1 and {MAX_RELAYS}")
    archiver = ProcessSpec("wal-archiver", ("backup", "stream"), settings.wal_archiver_metrics_port)
    return [
        *(_api_instance("write-api", "write", n, port) for n, port in enumerate(write_ports)),
        *(_api_instance("read-api", "read", n, port) for n, port in enumerate(read_ports)),
        *(_relay_replica(n, settings.relay_metrics_port) for n in range(relays)),
        ProcessSpec("projector-mongo", ("project", "mongo"), settings.projector_mongo_metrics_port),
        ProcessSpec(
            "projector-search", ("project", "search"), settings.projector_search_metrics_port
        ),
        ProcessSpec("notifier", ("notify",), settings.notifier_metrics_port),
        *([archiver] if archive else []),
    ]


def _relay_replica(number: int, first_port: int) -> ProcessSpec:
    if not number:  # the first replica keeps the plain name and the settings' port
        return ProcessSpec("relay", ("relay",), first_port, job="relay")
    port = first_port + RELAY_PORT_STRIDE * number
    return ProcessSpec(f"relay-{number + 1}", ("relay", "--metrics-port", str(port)), port, "relay")


def _api_instance(name: str, api: str, number: int, port: int) -> ProcessSpec:
    # The first instance keeps the plain name, so one instance is named as it always was.
    suffix = f"-{number + 1}" if number else ""
    return ProcessSpec(f"{name}{suffix}", ("serve", api, "--port", str(port)), port, job=name)


@dataclass
class Child:
    spec: ProcessSpec
    log_path: Path
    pid_path: Path
    env: dict[str, str] | None = None
    process: subprocess.Popen[bytes] | None = None
    restarts: int = field(default=0)

    def start(self) -> None:
        argv = [sys.executable, "-m", _MARKER, *self.spec.args]
        self.process = spawn(argv, self.log_path, env=self.env)
        write_pid_file(self.pid_path, self.process.pid)

    def where(self, settings: Settings) -> str:
        return f"http://{settings.bind_host}:{self.spec.health_port}"


class Supervisor:
    """Starts, watches and stops the processes. ``env`` is the children's whole environment
    (default: inherited), for callers such as benchmarks that run a private stack, plus the
    tracing variables when ``settings`` name a trace endpoint; ``instances`` of each API, with
    ``gateway`` the gateway in front of them, and with ``prometheus`` Prometheus scraping them
    (and the gateway, through its exporter); with ``archive`` the WAL streamer (backups)."""

    def __init__(
        self,
        settings: Settings,
        env: dict[str, str] | None = None,
        only: Collection[str] | None = None,
        *,
        instances: int = 1,
        relays: int = 1,
        gateway: bool = False,
        prometheus: bool = False,
        archive: bool = False,
    ) -> None:
        self._settings = settings
        if tracing := settings.tracing_environment():
            # Every child exports to the endpoint these settings name, whatever ``env`` says.
            env = (dict(os.environ) if env is None else env) | tracing
        root = settings.data_dir.resolve()
        self.children = [
            Child(spec, root / "logs" / f"{spec.name}.log", root / "pids" / f"{spec.name}.pid", env)
            for spec in process_specs(settings, instances, relays, archive=archive)
            if only is None or spec.name in only
        ]
        self.gateway: NginxServer | None = (
            devstack.build_gateway(settings, instances, with_status=prometheus) if gateway else None
        )
        self.gateway_exporter: NginxExporterServer | None = (
            devstack.build_gateway_exporter(settings) if gateway and prometheus else None
        )
        self.prometheus: PrometheusServer | None = (
            devstack.build_prometheus(settings, self.scrape_targets(), lifecycle=True)
            if prometheus
            else None
        )

    @property
    def servers(self) -> list[ManagedServer]:
        """The servers started on top of the children, in start order."""
        wanted = (self.gateway, self.gateway_exporter, self.prometheus)
        return [server for server in wanted if server is not None]

    def scrape_targets(self) -> list[ScrapeTarget]:
        """What Prometheus scrapes: every child's /metrics, and the gateway's exporter."""
        host = self._settings.bind_host
        targets = [
            ScrapeTarget(child.spec.kind, child.spec.name, f"{host}:{child.spec.health_port}")
            for child in self.children
        ]
        if self.gateway_exporter is not None:
            exporter = self.gateway_exporter
            targets.append(ScrapeTarget("gateway", "gateway", f"{exporter.host}:{exporter.port}"))
        return targets

    def child(self, name: str) -> Child:
        return next(child for child in self.children if child.spec.name == name)

    def kill(self, name: str) -> None:
        """kill -9, as a crash or the OOM killer would, and reap it."""
        process = self.child(name).process
        assert process is not None
        process.kill()
        process.wait(30)

    def restart(self, name: str, timeout_s: float = 60.0) -> None:
        """Start a stopped or killed child again and wait until it is ready."""
        child = self.child(name)
        child.start()
        self._wait_ready(child, deadline_in(timeout_s))

    def claim(self) -> None:
        """Record this process as the supervisor, so `dev down` stops it (and it its children)
        rather than killing children it would restart."""
        write_pid_file(_supervisor_pid_path(self._settings), os.getpid())

    def start_all(self, timeout_s: float = 60.0) -> None:
        """Start the children, wait until each answers, then start the gateway, its exporter
        and Prometheus (a failure is the ServerStartError naming the server's log)."""
        for child in self.children:
            child.start()
        deadline = deadline_in(timeout_s)
        for child in self.children:
            self._wait_ready(child, deadline)
        for server in self.servers:
            server.start()

    def _wait_ready(self, child: Child, deadline: float) -> None:
        assert child.process is not None
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                raise RuntimeError(f"{child.spec.name} exited at start; see {child.log_path}")
            if _answers(self._settings, child.spec.health_port):
                return
            time.sleep(0.1)
        raise RuntimeError(f"{child.spec.name} did not become ready; see {child.log_path}")

    def supervise(self, stop: threading.Event) -> None:
        """Restart children (and the gateway, its exporter, Prometheus) that die, until
        ``stop``; a server that cannot start again ends this with its ServerStartError."""
        while not stop.wait(0.5):
            for child in self.children:
                assert child.process is not None
                code = child.process.poll()
                if code is not None:
                    child.restarts += 1
                    log.error(
                        "process_died_restarting",
                        process=child.spec.name,
                        exit_code=code,
                        restarts=child.restarts,
                        log_file=str(child.log_path),
                    )
                    child.start()
            for server in self.servers:
                if server.pid() is None:
                    log.error(
                        "process_died_restarting",
                        process=server.name,
                        log_file=str(server.log_path),
                    )
                    server.start()

    def stop_all(self) -> None:
        for server in reversed(self.servers):
            server.stop()
        stop_processes(self._settings, include_supervisor=False)
        _supervisor_pid_path(self._settings).unlink(missing_ok=True)


def _supervisor_pid_path(settings: Settings) -> Path:
    return settings.data_dir / "pids" / "supervisor.pid"


def _answers(settings: Settings, port: int) -> bool:
    try:
        with urllib.request.urlopen(
            f"http://{settings.bind_host}:{port}/health/ready", timeout=1
        ) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def stop_processes(settings: Settings, *, include_supervisor: bool = True) -> list[str]:
    """Stop every Ledgerline process recorded under the data directory; returns their names."""
    stopped = []
    supervisor = read_pid_file(_supervisor_pid_path(settings))
    # `ledgerline dev run` or `python -m infra.cli dev run`: either names itself so.
    is_ours = supervisor is not None and any(
        process_alive(supervisor, marker) for marker in ("ledgerline", _MARKER)
    )
    if include_supervisor and supervisor is not None and is_ours:
        terminate(supervisor, timeout_s=60.0)  # it stops its children and the servers itself
        stopped.append("supervisor")
    supervisor_pid_path = _supervisor_pid_path(settings)
    # Every pid file, not the processes today's settings would start: `dev run --instances 4`
    # may have started more API instances than a later `dev down` knows of.
    for pid_path in sorted(supervisor_pid_path.parent.glob("*.pid")):
        if pid_path == supervisor_pid_path:
            continue
        pid = read_pid_file(pid_path)
        if pid is not None and process_alive(pid, _MARKER):
            terminate(pid, timeout_s=15.0)
            stopped.append(pid_path.stem)
        pid_path.unlink(missing_ok=True)
    return stopped
