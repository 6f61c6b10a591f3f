"""The gateway's TLS: a certificate from the development CA, HTTP/2 by ALPN, plain HTTP
redirected with the method kept; and ``dev status`` knows the gateway."""

from __future__ import annotations

import socket
import ssl

import httpx
import pytest

from infra import devstack
from tests.gateway.conftest import Gateway


def _handshake(gateway: Gateway, context: ssl.SSLContext, server_name: str) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", gateway.settings.gateway_port), timeout=5)
    return context.wrap_socket(raw, server_hostname=server_name)


@pytest.mark.parametrize("server_name", ["localhost", "127.0.0.1"])
def test_the_certificate_verifies_against_the_development_ca_and_h2_is_negotiated(
    gateway: Gateway, server_name: str
) -> None:
    context = gateway.tls()
    context.set_alpn_protocols(["h2", "http/1.1"])
    with _handshake(gateway, context, server_name) as tls:
        assert tls.selected_alpn_protocol() == "h2"
        assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_a_client_that_does_not_trust_the_development_ca_refuses_the_certificate(
    gateway: Gateway,
) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(gateway, ssl.create_default_context(), "localhost")


def test_plain_http_is_redirected_to_https_keeping_method_path_and_query(
    gateway: Gateway,
) -> None:
    http = f"http://127.0.0.1:{gateway.settings.gateway_http_port}"
    with httpx.Client(base_url=http) as client:
        redirected = client.post("/v1/accounts?x=1", json={})
    assert redirected.status_code == 308  # unlike 301/302, 308 keeps the POST a POST
    assert redirected.headers["Location"] == f"{gateway.url}/v1/accounts?x=1"

    # Plain HTTP sent to the HTTPS port is pointed at HTTPS too.
    with httpx.Client(base_url=f"http://127.0.0.1:{gateway.settings.gateway_port}") as client:
        wrong_port = client.get("/v1/users/x")
    assert wrong_port.status_code == 308
    assert wrong_port.headers["Location"] == f"{gateway.url}/v1/users/x"


def test_dev_status_reports_the_gateway_running_and_answering(gateway: Gateway) -> None:
    [status] = devstack.stack_status(gateway.settings, [devstack.GATEWAY])
    assert status.name == "gateway" and status.address == gateway.url
    assert status.running and status.ready
