"""Which requests the gateway sends to a second instance when the first one drops them: reads
and commands with an Idempotency-Key, never a command without one.

The instances here are stand-ins that read a request and close the connection without an
answer (what a process killed mid-request does), and count what they received. Each case gets a
gateway of its own, so that the passive health checks of one case do not decide the next."""

from __future__ import annotations

import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from infra.servers import GatewayGuard, NginxServer, free_ports
from infra.settings import Settings
from tests.problems import assert_problem
from tests.server_fixtures import running, temporary_root


class _DroppingInstance(socketserver.ThreadingTCPServer):
    """Reads one request's head, records its first line, closes without answering."""

    daemon_threads = True

    def __init__(self) -> None:
        self.received: list[str] = []
        super().__init__(("127.0.0.1", 0), _Drop)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class _Drop(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        first = self.rfile.readline().decode().strip()
        while self.rfile.readline() not in (b"\r\n", b""):
            pass
        assert isinstance(self.server, _DroppingInstance)
        self.server.received.append(first)


@contextmanager
def _dropping_instances(count: int) -> Iterator[list[_DroppingInstance]]:
    instances = [_DroppingInstance() for _ in range(count)]
    threads = [threading.Thread(target=i.serve_forever, daemon=True) for i in instances]
    for thread in threads:
        thread.start()
    try:
        yield instances
    finally:
        for instance in instances:
            instance.shutdown()
            instance.server_close()


@pytest.mark.parametrize(
    ("method", "headers", "attempts"),
    [
        ("GET", {}, 2),
        ("POST", {"Idempotency-Key": "k-1"}, 2),
        ("DELETE", {"Idempotency-Key": "k-2"}, 2),
        ("POST", {}, 1),
        ("PATCH", {}, 1),
        ("PUT", {}, 1),
        ("DELETE", {}, 1),
    ],
    ids=[
        "read",
        "post-with-key",
        "delete-with-key",
        "post-without-key",
        "patch-without-key",
        "put-without-key",
        "delete-without-key",
    ],
)
def test_only_reads_and_keyed_commands_are_tried_on_a_second_instance(
    method: str, headers: dict[str, str], attempts: int
) -> None:
    with _dropping_instances(2) as instances, temporary_root() as root:
        addresses = [instance.address for instance in instances]
        port, http_port = free_ports(2)
        gateway = NginxServer(
            root,
            port,
            http_port,
            write_upstreams=addresses,
            read_upstreams=addresses,
            guard=GatewayGuard.from_settings(Settings()),
        )
        with running(gateway):
            tls = ssl.create_default_context(cafile=str(gateway.ca.cert_path))
            with httpx.Client(base_url=gateway.url, verify=tls) as client:
                answer = client.request(method, "/v1/accounts/a", headers=headers)
        received = [line for instance in instances for line in instance.received]
    assert_problem(answer, 502, "bad-gateway")
    assert received == [f"{method} /v1/accounts/a HTTP/1.1"] * attempts
