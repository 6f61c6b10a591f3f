"""A whole Ledgerline system on a running server stack, for fault tests and ``bench/soak.py``:
the write API, the relay, both projectors and the notifier as OS processes (exactly as
``ledgerline dev run`` starts them), with their own database, topic, consumer groups, MongoDB
database and index prefix, so that several systems can share one set of servers one after another.

The processes are children of a ``Supervisor`` that does not restart them by itself: the
caller kills (``kill -9``) and restarts them on its own schedule, and stops or restarts the
servers through the stack.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from event_store.schema import migrate
from infra.devstack import RunningStack
from infra.servers import free_port
from infra.servers.process import port_in_use
from infra.settings import Settings
from infra.supervisor import RELAY_PORT_STRIDE, Supervisor
from projections.topics import ensure_topics

PROCESSES = ("write-api", "relay", "projector-mongo", "projector-search", "notifier")
MAX_RELAYS = 3


@dataclass
class System:
    settings: Settings
    supervisor: Supervisor
    stack: RunningStack

    @property
    def write_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.write_api_port}"

    def crashed(self) -> list[str]:
        """Processes that exited on their own (nothing restarts them here: a crash is a
        finding, with its log under ``<data_dir>/logs``)."""
        return [
            child.spec.name
            for child in self.supervisor.children
            if child.process is not None and child.process.poll() is not None
        ]


def relay_replica_names(relays: int) -> list[str]:
    """The supervisor's names of ``relays`` relay replicas: relay, relay-2, ..."""
    return ["relay", *(f"relay-{n + 1}" for n in range(1, relays))]


def _relay_metrics_port() -> int:
    """A free port whose neighbours at the replica stride are free too (up to MAX_RELAYS)."""
    while True:
        port = free_port()
        if not any(port_in_use(port + RELAY_PORT_STRIDE * n) for n in range(1, MAX_RELAYS)):
            return port


def system_settings(stack: RunningStack, data_dir: Path, name: str, partitions: int) -> Settings:
    """Settings of a system called ``name`` on ``stack``'s servers."""
    base = stack.settings
    return Settings(
        data_dir=data_dir,
        postgres_port=base.postgres_port,
        postgres_database=name,
        kafka_port=base.kafka_port,
        kafka_topic=f"{name}.events",
        kafka_partitions=partitions,
        kafka_group_prefix=name,
        mongo_port=base.mongo_port,
        mongo_database=name,
        elasticsearch_port=base.elasticsearch_port,
        search_index_prefix=name,
        redis_port=base.redis_port,
        redis_prefix=name,
        write_api_port=free_port(),
        read_api_port=free_port(),
        relay_metrics_port=_relay_metrics_port(),
        projector_mongo_metrics_port=free_port(),
        projector_search_metrics_port=free_port(),
        notifier_metrics_port=free_port(),
        # Short enough that deliveries claimed by a killed notifier are soon due again.
        webhook_timeout_s=2.0,
        webhook_claim_lease_s=5.0,
        # bench/soak.py's receiver fails a fifth of its requests: the retry schedule runs a
        # thousand times faster (5 s -> 5 ms, 2 h -> 7 s), so the run drains in minutes.
        webhook_retry_delay_scale=0.001,
        # The workload signs its holders up from one address and sends as fast as it can;
        # rate limits are tested on their own (tests/write_api/test_rate_limit.py).
        rate_limit_enabled=False,
        log_level="WARNING",
        # A process that does not stop within this after SIGTERM is a finding, not a wait.
        shutdown_grace_s=15.0,
    )


@contextmanager
def running_system(
    stack: RunningStack,
    data_dir: Path,
    *,
    name: str | None = None,
    partitions: int = 3,
    relays: int = 1,
    read_api: bool = False,
) -> Iterator[System]:
    """Create the database and topic, start the processes (``relays`` relay replicas, and
    with ``read_api`` the query API too), and stop them on exit (the database, topic and read
    models are left for inspection; the stack is temporary)."""
    if not 1 <= relays <= MAX_RELAYS:
        raise ValueError(f"relays must be between 1 and {MAX_RELAYS}")
    name = name or f"soak{uuid.uuid4().hex[:8]}"
    settings = system_settings(stack, data_dir, name, partitions)
    with psycopg.connect(stack.postgres.url("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    migrate(settings.database_url)
    ensure_topics(settings.kafka_bootstrap_servers, {settings.kafka_topic: partitions})
    only = {*PROCESSES, *relay_replica_names(relays), *(["read-api"] if read_api else [])}
    supervisor = Supervisor(
        settings, os.environ | settings.process_environment(), only=only, relays=relays
    )
    try:
        supervisor.start_all()
        yield System(settings, supervisor, stack)
    finally:
        supervisor.stop_all()
