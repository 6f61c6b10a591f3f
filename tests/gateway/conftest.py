"""One Ledgerline system behind the gateway, shared by the package's tests: two instances of each
API, the relay and the Mongo projector as OS processes (as ``ledgerline dev run`` starts them),
on the session's servers with a database, topic and read models of its own, and NGINX in front
on free ports, serving a stand-in web console build (``tests.server_fixtures.CONSOLE_FILES``).
Clients reach it only through ``Gateway.url``, trusting the development CA.
``system_behind_gateway`` builds such a system for other packages too (tests/web, with the real
console).
"""

from __future__ import annotations

import json
import os
import ssl
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from event_store.schema import migrate
from infra.http.auth import mint_token
from infra.servers import (
    ElasticsearchServer,
    KafkaServer,
    MongoServer,
    NginxServer,
    PostgresServer,
    RedisServer,
    free_ports,
)
from infra.settings import Settings
from infra.supervisor import Supervisor
from projections.topics import ensure_topics
from tests.credentials import PASSWORD
from tests.polling import wait_for
from tests.server_fixtures import (
    SharedServers,
    fresh_database,
    system_fields,
    temporary_root,
    write_stand_in_console,
)

INSTANCES = 2
PROCESSES = ("write-api", "write-api-2", "read-api", "read-api-2", "relay", "projector-mongo")


@dataclass
class Gateway:
    settings: Settings
    supervisor: Supervisor
    server: NginxServer
    instances: int = INSTANCES

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def ca_file(self) -> Path:
        return self.server.ca.cert_path

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def client(self, *, local_address: str | None = None) -> httpx.Client:
        """An HTTPS client of the gateway (from ``local_address``, another loopback address,
        when a test needs the gateway to see a client other than itself)."""
        transport = httpx.HTTPTransport(verify=self.tls(), local_address=local_address)
        return httpx.Client(base_url=self.url, transport=transport, timeout=30)

    def instance_ports(self) -> tuple[list[int], list[int]]:
        return self.settings.api_instance_ports(self.instances)

    def token(self, user_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(self.settings, user_id, ['customer'], 600)}"}

    def access_log(self) -> list[dict[str, Any]]:
        """The gateway's access-log records so far (NGINX writes one as each response goes
        out)."""
        if not self.server.access_log_path.exists():
            return []
        lines = self.server.access_log_path.read_text().splitlines()
        return [json.loads(line) for line in lines]

    def access_log_line(self, correlation_id: str) -> dict[str, Any]:
        """The access-log record of the request with this correlation id."""

        def find() -> dict[str, Any] | None:
            return next(
                (r for r in self.access_log() if r["correlation_id"] == correlation_id), None
            )

        found: dict[str, Any] = wait_for(find, 10, what=f"the access-log line of {correlation_id}")
        return found


def sign_up(client: httpx.Client, **headers: str) -> tuple[str, str]:
    """A new user through ``client``; (user id, e-mail address)."""
    email = f"gw-{uuid.uuid4().hex[:12]}@example.com"
    body = {"email": email, "full_name": "Gateway Tester", "password": PASSWORD}
    response = client.post("/v1/users", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"]), email


@contextmanager
def system_behind_gateway(
    postgres_server: PostgresServer,
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    elasticsearch_server: ElasticsearchServer,
    redis_server: RedisServer,
    *,
    console_dir: Path | None = None,
    instances: int = INSTANCES,
    processes: Sequence[str] | None = PROCESSES,
    prometheus: bool = False,
    **overrides: Any,
) -> Iterator[Gateway]:
    """``processes`` (every process when None; ``instances`` of each API) on the session's
    servers, in a database, topic and read models of their own, behind a gateway serving
    ``console_dir``, with Prometheus scraping them all if asked (every second); ``overrides``
    are further settings (e.g. the SMTP port of a Mailpit for the notifier, tracing)."""
    servers = SharedServers(
        kafka_server.bootstrap_servers, mongo_server.url, elasticsearch_server.url, redis_server.url
    )
    monitoring: dict[str, Any] = {}
    if prometheus:
        status_port, exporter_port, prometheus_port = free_ports(3)
        monitoring = {
            "gateway_status_port": status_port,
            "gateway_exporter_port": exporter_port,
            "prometheus_port": prometheus_port,
            "prometheus_scrape_interval_s": 1,
        }
    with temporary_root() as root, fresh_database(postgres_server) as database_url:
        fields = system_fields(servers, root, instances=instances) | monitoring | overrides
        settings = Settings(LEDGERLINE_DATABASE_URL=database_url, console_dir=console_dir, **fields)
        migrate(database_url)
        ensure_topics(settings.kafka_bootstrap_servers, {settings.kafka_topic: 3})
        supervisor = Supervisor(
            settings,
            os.environ | settings.process_environment(),
            only=processes,
            instances=instances,
            gateway=True,
            prometheus=prometheus,
        )
        server = supervisor.gateway
        assert server is not None
        try:
            supervisor.start_all(timeout_s=120)
            yield Gateway(settings, supervisor, server, instances)
        finally:
            supervisor.stop_all()
        # Stopping goes by pid files: nothing of the system may outlive it.
        assert server.pid() is None
        assert all(
            child.process is None or child.process.poll() is not None
            for child in supervisor.children
        )


@pytest.fixture(scope="package")
def gateway(
    postgres_server: PostgresServer,
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    elasticsearch_server: ElasticsearchServer,
    redis_server: RedisServer,
) -> Iterator[Gateway]:
    with temporary_root() as console_dir:
        write_stand_in_console(console_dir)
        with system_behind_gateway(
            postgres_server,
            kafka_server,
            mongo_server,
            elasticsearch_server,
            redis_server,
            console_dir=console_dir,
        ) as system:
            yield system
