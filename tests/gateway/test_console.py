"""The web console through the gateway: its files from ``/`` with their cache headers, the
page for any path that is not an API's, and API paths (including their 404s) still the APIs'."""

from __future__ import annotations

from tests.gateway.conftest import Gateway
from tests.problems import assert_problem
from tests.server_fixtures import CONSOLE_FILES

INDEX = CONSOLE_FILES["index.html"]
ASSET = "/assets/index-Dq3xJk9a.js"


def test_the_console_page_is_served_from_the_root_and_revalidated(gateway: Gateway) -> None:
    with gateway.client() as client:
        page = client.get("/")
    assert page.status_code == 200
    assert page.text == INDEX
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"


def test_any_other_path_gets_the_page_for_the_console_to_route(gateway: Gateway) -> None:
    with gateway.client() as client:
        for path in ("/accounts", "/accounts/5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58", "/login"):
            page = client.get(path)
            assert page.status_code == 200, path
            assert page.text == INDEX, path
        assert client.head("/signup").status_code == 200


def test_hashed_assets_are_immutable_and_a_missing_one_is_a_404_not_the_page(
    gateway: Gateway,
) -> None:
    with gateway.client() as client:
        asset = client.get(ASSET)
        missing = client.get("/assets/index-gone.js")
    assert asset.status_code == 200
    assert asset.text == CONSOLE_FILES[ASSET.lstrip("/")]
    assert asset.headers["content-type"] == "application/javascript"
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert_problem(missing, 404, "not-found")


def test_api_paths_stay_the_apis_with_their_problem_404s(gateway: Gateway) -> None:
    with gateway.client() as client:
        unknown_read = client.get("/v1/no-such-thing", headers={"X-Correlation-ID": "read-404"})
        unknown_command = client.post("/accounts", json={}, headers={"X-Correlation-ID": "cmd-404"})
        health = client.get("/health/live")
        docs = client.get("/openapi.json")
    assert_problem(unknown_read, 404, "not-found")
    assert unknown_read.headers["content-type"] == "application/problem+json"
    read_ports = gateway.instance_ports()[1]
    assert int(gateway.access_log_line("read-404")["upstream"].rsplit(":", 1)[1]) in read_ports
    # A command to a console path is the write API's to refuse, not a page.
    assert unknown_command.headers["content-type"] == "application/problem+json"
    assert unknown_command.status_code in (404, 405)
    write_ports = gateway.instance_ports()[0]
    assert int(gateway.access_log_line("cmd-404")["upstream"].rsplit(":", 1)[1]) in write_ports
    assert health.status_code == 200
    assert docs.json()["info"]["title"] == "Ledgerline query API"
