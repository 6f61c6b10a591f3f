"""What the query API shares with every service: auth, problems, correlation ids, health,
metrics and a complete OpenAPI document."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from infra.servers import free_port
from infra.settings import Settings
from read_api.app import create_app
from tests.read_api.conftest import Caller, assert_problem, read_api_settings

_ID = str(uuid.uuid4())
PROTECTED = [
    f"/v1/users/{_ID}",
    f"/v1/users/{_ID}/accounts",
    f"/v1/users/{_ID}/notifications",
    f"/v1/accounts/{_ID}",
    f"/v1/accounts/{_ID}/entries",
    f"/v1/payments/{_ID}",
    "/v1/search/payments",
    "/v1/search/users",
]


@pytest.mark.parametrize("path", PROTECTED)
def test_every_read_needs_a_bearer_token(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", PROTECTED)
def test_a_token_signed_with_another_secret_is_401(client: TestClient, path: str) -> None:
    other = Settings(env="test", jwt_secret=SecretStr("another-secret-also-long-enough-for-hs256"))
    headers = Caller(other)("admin")
    assert_problem(client.get(path, headers=headers), 401, "unauthenticated")


def test_the_correlation_id_is_echoed(client: TestClient, caller: Caller) -> None:
    response = client.get(
        f"/v1/users/{_ID}", headers={**caller("admin"), "X-Correlation-ID": "trace-123"}
    )
    assert response.headers["x-correlation-id"] == "trace-123"


def test_liveness_and_readiness_answer(client: TestClient) -> None:
    assert client.get("/health/live").json() == {"status": "live"}
    assert client.get("/health/ready").json() == {"status": "ready"}


def test_readiness_fails_when_elasticsearch_does_not_answer(settings: Settings) -> None:
    unreachable = read_api_settings(settings.mongo_url, f"http://127.0.0.1:{free_port()}")
    with TestClient(create_app(unreachable)) as client:
        response = client.get("/health/ready")
    assert_problem(response, 503, "not-ready")


def test_an_unreachable_read_model_is_a_503_problem(settings: Settings, caller: Caller) -> None:
    dead = f"127.0.0.1:{free_port()}"
    unreachable = read_api_settings(f"mongodb://{dead}/", f"http://{dead}")
    with TestClient(create_app(unreachable)) as client:
        for path in (f"/v1/accounts/{_ID}", "/v1/search/users"):
            response = client.get(path, headers=caller("admin"))
            assert_problem(response, 503, "service-unavailable")
            assert response.headers["retry-after"] == "1"


def test_metrics_count_requests_by_route(client: TestClient, caller: Caller) -> None:
    client.get(f"/v1/accounts/{_ID}", headers=caller("admin"))
    text = client.get("/metrics").text
    assert 'route="/v1/accounts/{account_id}"' in text
    assert 'status="404"' in text


@pytest.fixture(scope="module")
def openapi(client: TestClient) -> dict[str, Any]:
    schema: dict[str, Any] = client.get("/openapi.json").json()
    return schema


@pytest.mark.parametrize(
    ("path", "parameters", "problems"),
    [
        ("/v1/users/{user_id}", {"user_id", "min_version"}, {"401", "404", "422", "504"}),
        ("/v1/users/{user_id}/accounts", {"user_id"}, {"401", "404", "422"}),
        (
            "/v1/users/{user_id}/notifications",
            {"user_id", "limit", "cursor"},
            {"401", "404", "422"},
        ),
        ("/v1/accounts/{account_id}", {"account_id", "min_version"}, {"401", "404", "504"}),
        ("/v1/accounts/{account_id}/entries", {"account_id", "limit", "cursor"}, {"404"}),
        ("/v1/payments/{payment_id}", {"payment_id", "min_version"}, {"401", "404", "504"}),
        (
            "/v1/search/payments",
            {"q", "status", "currency", "min_amount", "max_amount", "from", "to", "limit"},
            {"401", "422", "503"},
        ),
        ("/v1/search/users", {"q", "limit", "cursor"}, {"401", "403", "422"}),
    ],
)
def test_openapi_documents_every_read_with_its_parameters_and_problems(
    openapi: dict[str, Any], path: str, parameters: set[str], problems: set[str]
) -> None:
    operation = openapi["paths"][path]["get"]
    assert operation["summary"]
    assert parameters <= {parameter["name"] for parameter in operation["parameters"]}
    responses = operation["responses"]
    assert "$ref" in responses["200"]["content"]["application/json"]["schema"]
    assert problems <= responses.keys()
    for status in problems:
        assert list(responses[status]["content"]) == ["application/problem+json"]


def test_openapi_names_the_response_models(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    assert {
        "UserPublic",
        "AccountPublic",
        "AccountList",
        "EntryPublic",
        "PaymentPublic",
        "NotificationPublic",
        "PaymentSearchResults",
        "UserSearchResults",
        "Problem",
    } <= schemas.keys()
    assert {"/health/live", "/health/ready", "/metrics"} <= openapi["paths"].keys()
