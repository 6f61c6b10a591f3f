"""Routing through the gateway: reads to the query API, commands and the auth service to the
write API, for every route either app serves; the outer guard's refusals are problems."""

from __future__ import annotations

import re
import ssl
import uuid
from pathlib import Path

import httpx
from fastapi import FastAPI

from infra.servers import GatewayGuard, NginxServer, free_ports
from infra.settings import Settings
from read_api.app import create_app as create_read_app
from tests.credentials import PASSWORD
from tests.gateway.conftest import Gateway, sign_up
from tests.problems import assert_problem
from tests.server_fixtures import running, temporary_root
from write_api.app import create_app as create_write_app

Route = tuple[str, str]  # (method, path template)


def _routes(app: FastAPI) -> set[Route]:
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }


def _concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), template)


def _served_by(gateway: Gateway, record_upstream: str) -> str:
    write_ports, read_ports = gateway.instance_ports()
    port = int(record_upstream.rsplit(":", 1)[1])
    assert port in write_ports + read_ports, record_upstream
    return "write" if port in write_ports else "read"


def test_every_route_of_both_apps_reaches_the_app_that_serves_it(gateway: Gateway) -> None:
    write = _routes(create_write_app(gateway.settings))
    read = _routes(create_read_app(gateway.settings))
    public = {route for route in write | read if route[1] != "/metrics"}
    assert len(public) > 50  # both apps' route tables were read

    with gateway.client() as client:
        for method, template in sorted(public):
            correlation_id = f"route-{uuid.uuid4().hex}"
            response = client.request(
                method, _concrete(template), headers={"X-Correlation-ID": correlation_id}
            )
            record = gateway.access_log_line(correlation_id)
            served_by = _served_by(gateway, record["upstream"])
            # Routes both apps serve (/health/*) may reach either.
            expected = {
                app
                for app, routes in (("write", write), ("read", read))
                if (method, template) in routes
            }
            assert served_by in expected, (method, template, response.status_code)


def test_a_command_a_login_discovery_and_a_read_go_where_they_belong(gateway: Gateway) -> None:
    with gateway.client() as client:
        user_id, email = sign_up(client)
        login = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}

        discovery = client.get("/.well-known/openid-configuration")
        assert discovery.status_code == 200, discovery.text
        # Behind the gateway, the issuer and its endpoints are the gateway's address.
        assert discovery.json()["issuer"] == gateway.url
        assert discovery.json()["token_endpoint"] == f"{gateway.url}/v1/auth/token"
        assert client.get("/.well-known/jwks.json").json()["keys"]

        user = client.get(f"/v1/users/{user_id}", params={"min_version": 2}, headers=auth)
        assert user.status_code == 200, user.text
        assert user.json()["email"] == email


def test_metrics_are_not_public_and_an_oversized_body_is_refused_at_the_door(
    gateway: Gateway,
) -> None:
    with gateway.client() as client:
        metrics = client.get("/metrics")
        assert_problem(metrics, 404, "not-found")

        too_big = gateway.settings.max_body_bytes + 1
        refused = client.post(
            "/v1/users",
            content=b"{" + b" " * too_big + b"}",
            headers={"Content-Type": "application/json", "X-Correlation-ID": "too-big-body"},
        )
        assert_problem(refused, 413, "content-too-large")
        assert str(gateway.settings.max_body_bytes) in refused.json()["detail"]
        assert gateway.access_log_line("too-big-body")["upstream"] == ""  # never forwarded


def test_a_flood_from_one_address_is_refused_with_a_429_problem(gateway: Gateway) -> None:
    ports = gateway.instance_ports()
    # A second gateway in front of the same instances, allowing one request a second.
    strict = GatewayGuard.from_settings(Settings(gateway_requests_per_s=1, gateway_request_burst=1))
    with temporary_root() as root, running(_second_gateway(root, ports, strict)) as server:
        tls = ssl.create_default_context(cafile=str(server.ca.cert_path))
        with httpx.Client(base_url=server.url, verify=tls) as client:
            answers = [client.get("/health/live") for _ in range(5)]
    statuses = [answer.status_code for answer in answers]
    assert statuses[0] == 200 and 429 in statuses, statuses
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert_problem(refused, 429, "rate-limited")
    assert refused.headers["Retry-After"] == "1"


def _second_gateway(
    root: Path, ports: tuple[list[int], list[int]], guard: GatewayGuard
) -> NginxServer:
    write_ports, read_ports = ports
    port, http_port = free_ports(2)
    return NginxServer(
        root,
        port,
        http_port,
        write_upstreams=[f"127.0.0.1:{p}" for p in write_ports],
        read_upstreams=[f"127.0.0.1:{p}" for p in read_ports],
        guard=guard,
    )
