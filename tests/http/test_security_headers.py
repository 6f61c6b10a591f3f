"""Every response carries the security headers; CORS is off unless configured; production has
no interactive docs."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from infra.http.middleware import install_http_edge
from infra.http.security import docs_settings
from infra.settings import Settings


def _app(settings: Settings) -> FastAPI:
    app = FastAPI(**docs_settings(settings))

    @app.get("/thing")
    def thing() -> dict[str, str]:
        return {"ok": "yes"}

    install_http_edge(app, settings)
    return app


def test_api_responses_forbid_sniffing_framing_referrers_and_caching() -> None:
    client = TestClient(_app(Settings()))
    for path in ("/thing", "/missing"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"
        assert headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert "strict-transport-security" not in headers


def test_docs_get_a_csp_that_allows_only_their_cdn() -> None:
    response = TestClient(_app(Settings())).get("/docs")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "https://cdn.jsdelivr.net" in csp and "frame-ancestors 'none'" in csp


def test_production_has_no_interactive_docs_and_sends_hsts() -> None:
    settings = Settings(
        env="production",
        jwt_secret=SecretStr("a-real-secret-" + "x" * 40),
        signing_key_secret=SecretStr("cHJvZHVjdGlvbi1zaWduaW5nLWtleS1zZWNyZXQtMzI="),
    )
    client = TestClient(_app(settings))
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    assert client.get("/openapi.json").status_code == 200
    assert "max-age" in client.get("/thing").headers["strict-transport-security"]


def test_cors_is_off_unless_origins_are_configured() -> None:
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    closed = TestClient(_app(Settings())).options("/thing", headers=preflight)
    assert "access-control-allow-origin" not in closed.headers
    settings = Settings(cors_allow_origins=["https://app.example"])
    opened = TestClient(_app(settings)).options("/thing", headers=preflight)
    assert opened.headers["access-control-allow-origin"] == "https://app.example"


def test_both_real_apps_send_the_headers_even_on_errors() -> None:
    from read_api.app import create_app as create_read_app
    from write_api.app import create_app as create_write_app

    for create in (create_write_app, create_read_app):
        client = TestClient(create(Settings()))  # no lifespan: only routing and middleware
        for response in (client.get("/health/live"), client.get("/v1/nowhere")):
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["content-security-policy"].startswith("default-src 'none'")
