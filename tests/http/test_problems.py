"""Every error leaves as an RFC 9457 problem document, never as a 500 for bad input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

PROBLEM = "application/problem+json"


def test_malformed_json_is_a_400_problem(client: TestClient) -> None:
    response = client.post(
        "/items", content=b'{"amount": 1,', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "https://ledgerline.dev/problems/malformed-json"
    assert problem["status"] == 400
    assert {"title", "detail"} <= problem.keys()


def test_validation_failures_are_422_problems_naming_each_field(client: TestClient) -> None:
    response = client.post("/items", json={"amount": 10.5, "colour": "red"})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "https://ledgerline.dev/problems/validation-error"
    fields = {error["field"] for error in problem["errors"]}
    assert fields == {"amount", "name", "colour"}
    assert all(error["message"] for error in problem["errors"])


@pytest.mark.parametrize("amount", ["10", True, 0, -1])
def test_amounts_must_be_strict_positive_integers(client: TestClient, amount: object) -> None:
    response = client.post("/items", json={"amount": amount, "name": "x"})
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["amount"]


def test_a_malformed_uuid_in_the_path_is_a_422_naming_the_parameter(client: TestClient) -> None:
    response = client.get("/items/not-a-uuid")
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["item_id"]


def test_an_unknown_route_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "https://ledgerline.dev/problems/not-found"


def test_a_wrong_method_is_a_405_problem_with_allow(client: TestClient) -> None:
    response = client.delete("/items")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert "POST" in response.headers["allow"]


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("insufficient-funds", 409),
        ("unknown-currency", 422),
        ("not-found", 404),
        ("forbidden", 403),
        ("version-mismatch", 412),
        ("idempotency-key-reused", 422),
        ("email-taken", 409),
        ("concurrency-conflict", 409),
        ("service-unavailable", 503),
    ],
)
def test_domain_and_command_errors_map_to_their_status(
    client: TestClient, name: str, status: int
) -> None:
    response = client.get(f"/raise/{name}")
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == f"https://ledgerline.dev/problems/{name}"
    assert problem["status"] == status
    assert problem["detail"]


def test_a_domain_input_error_names_its_field(client: TestClient) -> None:
    problem = client.get("/raise/unknown-currency").json()
    assert [error["field"] for error in problem["errors"]] == ["currency"]


def test_service_unavailable_says_when_to_retry(client: TestClient) -> None:
    assert client.get("/raise/service-unavailable").headers["retry-after"] == "1"


def test_an_unexpected_error_is_a_500_problem_without_internals(client: TestClient) -> None:
    with capture_logs() as logs:
        response = client.get("/raise/boom", headers={"X-Correlation-ID": "trace-500"})
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["x-correlation-id"] == "trace-500"
    assert "hunter2" not in response.text
    assert response.json()["type"] == "https://ledgerline.dev/problems/internal-error"
    errors = [entry for entry in logs if entry["event"] == "unhandled_exception"]
    assert len(errors) == 1
    assert isinstance(errors[0]["exc_info"], RuntimeError)


def test_a_body_declared_over_64_kib_is_a_413_problem(client: TestClient) -> None:
    body = b'{"amount": 1, "name": "' + b"x" * (64 * 1024) + b'"}'
    response = client.post("/items", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "https://ledgerline.dev/problems/content-too-large"


def test_a_chunked_body_over_64_kib_is_a_413_problem(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"amount": 1, "name": "'
        for _ in range(20):
            yield b"x" * 4096
        yield b'"}'

    response = client.post("/items", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["x-correlation-id"]


def test_a_chunked_body_under_the_limit_is_served(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"amount": 1, '
        yield b'"name": "small"}'

    response = client.post("/items", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert response.json() == {"amount": 1, "name": "small"}


def test_a_body_of_exactly_64_kib_is_accepted(client: TestClient) -> None:
    head, tail = b'{"amount": 1, "name": "', b'"}'
    body = head + b"x" * (64 * 1024 - len(head) - len(tail)) + tail
    assert len(body) == 64 * 1024
    response = client.post("/items", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
