"""The two systems bench/http compares, each as the entry URL wrk is pointed at and the pids of
the processes that serve it (for CPU accounting):

- ours: every Ledgerline process as `ledgerline dev run` starts them (``instances`` of each
  API, relay, projectors, notifier) on a private stack, behind the gateway (NGINX, HTTPS);
- the baselines (baselines.py): ``instances`` processes of the INSERT service and of the
  ``find_one`` service, each on its own port, behind a second NGINX gateway built from the
  same configuration (``NginxServer``: the same TLS, routing by method, ``least_conn``,
  keep-alive to the instances), which sends POSTs to the INSERT service and GETs to the
  ``find_one`` one, since both take the APIs' paths.

A running stack (``--running-stack``) is measured through its own gateway, whose per-address
limits must let one address send thousands of requests a second
(``LEDGERLINE_GATEWAY_REQUESTS_PER_S``, ``_REQUEST_BURST``, ``_CONNECTIONS_PER_ADDRESS``).

With ``gateway=False`` (``--direct``): one process of each API and of each baseline, and wrk
talks plain HTTP to them, as the bench did before the gateway existed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.pipeline import processes_settings
from event_store.schema import migrate
from infra.devstack import throwaway_stack
from infra.servers import GatewayGuard, NginxServer, free_port, free_ports
from infra.servers.process import LOCALHOST, deadline_in, poll_until, terminate
from infra.settings import Settings
from infra.supervisor import Supervisor
from projections.topics import ensure_topics
from tests.server_fixtures import instance_base_ports

HERE = Path(__file__).resolve().parent
# The gateway's per-address guard would throttle wrk, one address sending everything
# (NGINX takes connection limits below 65,536).
_UNGUARDED = {
    "gateway_requests_per_s": 65_535,
    "gateway_request_burst": 65_535,
    "gateway_connections_per_address": 65_535,
}


@dataclass
class Entry:
    """Where wrk sends one kind of request, and the processes that serve it by role
    (``app``: the instances; ``gateway``: NGINX, when there is one)."""

    url: str
    pids: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class Systems:
    settings: Settings
    write: Entry
    read: Entry
    insert: Entry
    find_one: Entry
    # Every process worth showing in the CPU seconds of a run, by name.
    pids: dict[str, int]


def bench_settings(stack_settings: Settings, instances: int, gateway: bool) -> Settings:
    """The stack's settings for our processes: bench/pipeline's, with ``instances`` API
    ports free in series and the gateway's guard opened wide."""
    settings = processes_settings(stack_settings)
    if not gateway:
        return settings
    write_port, read_port = instance_base_ports(instances)
    https_port, http_port = free_ports(2)
    return settings.model_copy(
        update={
            "write_api_port": write_port,
            "read_api_port": read_port,
            "gateway_port": https_port,
            "gateway_http_port": http_port,
        }
        | _UNGUARDED
    )


@contextmanager
def our_system(
    instances: int, gateway: bool
) -> Iterator[tuple[Settings, Supervisor, dict[str, int]]]:
    """A private stack with every Ledgerline process running (and the gateway); the servers'
    pids by name."""
    with throwaway_stack() as running:
        settings = bench_settings(running.settings, instances, gateway)
        migrate(settings.database_url)
        ensure_topics(settings.kafka_bootstrap_servers, {settings.kafka_topic: 6})
        supervisor = Supervisor(
            settings,
            os.environ | settings.process_environment(),
            instances=instances,
            gateway=gateway,
        )
        try:
            supervisor.start_all()
            servers = {
                name: pid for name, server in running.servers.items() if (pid := server.pid())
            }
            yield settings, supervisor, servers
        finally:
            supervisor.stop_all()


@contextmanager
def baseline(which: str, settings: Settings, workdir: Path) -> Iterator[tuple[str, int]]:
    """One baseline process (baselines.py); its "host:port" and pid."""
    port = free_port()
    argv = [sys.executable, str(HERE / "baselines.py"), which, f"--port={port}"]
    with (workdir / f"baseline-{which}-{port}.log").open("ab") as log:
        server = subprocess.Popen(
            argv,
            env=os.environ | settings.process_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    address = f"{LOCALHOST}:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"http://{address}/openapi.json", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def exited() -> str | None:
        return None if server.poll() is None else f"baseline {which} exited, see {log.name}"

    try:
        poll_until(answers, deadline_in(30), abort=exited)
        yield address, server.pid
    finally:
        terminate(server.pid, timeout_s=15.0)
        server.wait()


def _instances(
    stack: ExitStack, which: str, count: int, settings: Settings, workdir: Path
) -> tuple[list[str], dict[str, int]]:
    """``count`` baseline processes: their addresses, and their pids by name."""
    started = [stack.enter_context(baseline(which, settings, workdir)) for _ in range(count)]
    return [a for a, _ in started], {f"baseline-{which}@{a}": pid for a, pid in started}


@contextmanager
def systems(instances: int, gateway: bool, running_stack: bool, workdir: Path) -> Iterator[Systems]:
    """Ours (private, or the running stack the environment names) and the baselines."""
    with ExitStack() as stack:
        pids: dict[str, int] = {}
        ours: dict[str, dict[str, int]] = {"write": {}, "read": {}}
        if running_stack:
            settings = Settings()
        else:
            settings, supervisor, pids = stack.enter_context(our_system(instances, gateway))
            for child in supervisor.children:
                if child.process is not None:
                    pids[child.spec.name] = child.process.pid
                    for side, prefix in (("write", "write-api"), ("read", "read-api")):
                        if child.spec.name.startswith(prefix):
                            ours[side][child.spec.name] = child.process.pid
            gateway_pid = supervisor.gateway.pid() if supervisor.gateway else None
            if gateway_pid is not None:
                pids["gateway"] = gateway_pid
        count = instances if gateway else 1
        insert_at, inserts = _instances(stack, "insert", count, settings, workdir)
        find_at, finds = _instances(stack, "find-one", count, settings, workdir)
        pids |= inserts | finds
        if gateway:
            our_url = settings.gateway_url
            front = NginxServer(
                workdir / "baseline",
                *free_ports(2),
                write_upstreams=insert_at,
                read_upstreams=find_at,
                guard=GatewayGuard.from_settings(settings.model_copy(update=_UNGUARDED)),
            )
            stack.callback(front.stop)
            front.start()
            front_pid = front.pid()
            assert front_pid is not None
            pids["baseline-gateway"] = front_pid
            gateways = {"gateway": {"gateway": pids.get("gateway", 0)}}
            base_gateways = {"gateway": {"baseline-gateway": front_pid}}
            insert = Entry(front.url, {"app": inserts} | base_gateways)
            find_one = Entry(front.url, {"app": finds} | base_gateways)
            write = Entry(our_url, {"app": ours["write"]} | gateways)
            read = Entry(our_url, {"app": ours["read"]} | gateways)
        else:
            host = settings.bind_host
            write = Entry(f"http://{host}:{settings.write_api_port}", {"app": ours["write"]})
            read = Entry(f"http://{host}:{settings.read_api_port}", {"app": ours["read"]})
            insert = Entry(f"http://{insert_at[0]}", {"app": inserts})
            find_one = Entry(f"http://{find_at[0]}", {"app": finds})
        yield Systems(settings, write, read, insert, find_one, pids)
