"""Correlation into event metadata, health, metrics and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from fastapi.testclient import TestClient

from commands.context import CommandContext
from commands.messages import Command
from commands.result import CommandResult
from infra.settings import Settings
from tests.credentials import PASSWORD
from tests.write_api.conftest import Api, assert_problem
from write_api.app import WriteResources, create_app


def test_the_correlation_id_is_echoed_and_stored_in_every_events_metadata(api: Api) -> None:
    customer, merchant = api.sign_up(), api.sign_up()
    source = api.funded_account(customer, 500)
    target = api.open_account(merchant)
    response = api.post(
        "/v1/transfers",
        customer,
        {
            "from_account_id": str(source),
            "to_account_id": str(target),
            "amount": 200,
            "reference": "traced",
        },
        {"X-Correlation-ID": "checkout-7f3a", "Idempotency-Key": "traced-transfer"},
    )
    assert response.status_code == 201
    assert response.headers["x-correlation-id"] == "checkout-7f3a"
    caused = [
        metadata
        for stream in (UUID(response.json()["id"]), source, target)
        for (_, _, metadata) in api.events(stream)
        if metadata.get("correlation_id") == "checkout-7f3a"
    ]
    assert len(caused) == 3
    for metadata in caused:
        assert metadata["user_id"] == str(customer.user_id)
        assert metadata["command"] == "TransferFunds"
        assert metadata["idempotency_key"] == "traced-transfer"
    # One request, one cause: every event it appended names the same causation id.
    assert len({metadata["causation_id"] for metadata in caused}) == 1
    assert UUID(caused[0]["causation_id"])


def test_a_generated_correlation_id_reaches_the_metadata_too(api: Api) -> None:
    response = api.client.post(
        "/v1/users", json={"email": "c@example.com", "full_name": "C", "password": PASSWORD}
    )
    generated = response.headers["x-correlation-id"]
    [(_, _, metadata)] = api.events(UUID(response.json()["id"]))
    assert metadata["correlation_id"] == generated
    assert metadata.get("user_id") is None
    assert metadata["command"] == "RegisterUser"


def test_each_request_is_a_distinct_cause(api: Api) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    for reference in ("a", "b"):
        api.post(f"/v1/accounts/{account}/deposits", ada, {"amount": 1, "reference": reference})
    causes = [metadata["causation_id"] for _, _, metadata in api.events(account)]
    assert len(set(causes)) == 3


def test_health_endpoints_report_live_and_ready(api: Api) -> None:
    assert api.client.get("/health/live").status_code == 200
    ready = api.client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


class _UnusedBus:
    def execute(self, command: Command, ctx: CommandContext) -> CommandResult:
        raise AssertionError("not expected")


def _database_down() -> None:
    raise ConnectionError("connection refused")


@contextmanager
def _unready_resources(settings: Settings) -> Iterator[WriteResources]:
    yield WriteResources(bus=_UnusedBus(), check_ready=_database_down)


def test_readiness_is_a_503_problem_when_the_database_does_not_answer(settings: Settings) -> None:
    with TestClient(create_app(settings, resources=_unready_resources)) as client:
        response = client.get("/health/ready")
    assert_problem(response, 503, "not-ready")
    assert response.headers["retry-after"]


def test_metrics_count_requests_by_route_and_commands_by_outcome(api: Api) -> None:
    ada = api.sign_up()
    account = api.funded_account(ada, 10)
    api.post(f"/v1/accounts/{account}/withdrawals", ada, {"amount": 11, "reference": "x"})
    text = api.client.get("/metrics").text
    assert (
        'ledgerline_http_requests_total{method="POST",'
        'route="/v1/accounts/{account_id}/withdrawals",status="409"} 1.0'
    ) in text
    assert 'ledgerline_commands_total{command="DepositFunds",outcome="ok"} 1.0' in text
    assert (
        'ledgerline_commands_total{command="WithdrawFunds",outcome="insufficient-funds"} 1.0'
    ) in text
    assert 'ledgerline_command_duration_seconds_count{command="RegisterUser"} 1.0' in text
    assert "ledgerline_http_request_duration_seconds_bucket" in text


def test_openapi_documents_every_write_endpoint_with_problem_responses(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    expected = {
        ("post", "/v1/users"),
        ("patch", "/v1/users/{user_id}"),
        ("post", "/v1/users/{user_id}/deactivate"),
        ("delete", "/v1/users/{user_id}/personal-data"),
        ("post", "/v1/accounts"),
        ("post", "/v1/accounts/{account_id}/deposits"),
        ("post", "/v1/accounts/{account_id}/withdrawals"),
        ("post", "/v1/accounts/{account_id}/freeze"),
        ("post", "/v1/accounts/{account_id}/unfreeze"),
        ("post", "/v1/accounts/{account_id}/close"),
        ("post", "/v1/transfers"),
        ("post", "/v1/payments"),
        ("post", "/v1/payments/{payment_id}/capture"),
        ("post", "/v1/payments/{payment_id}/void"),
        ("post", "/v1/payments/{payment_id}/refunds"),
    }
    documented = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert expected <= documented
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for method, path in expected:
        operation = spec["paths"][path][method]
        assert operation["summary"]
        assert {"400", "401", "422"} <= operation["responses"].keys()
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert response["content"] == {"application/problem+json": {"schema": problem_ref}}
            else:
                assert "ETag" in response["headers"]
    assert spec["paths"]["/v1/accounts"]["post"]["responses"].keys() >= {"201"}
    assert spec["components"]["schemas"]["MoneyMovement"]["additionalProperties"] is False
