"""Payments over the query API: payer and payee read them, nobody else but auditors/admins."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from tests.read_api.conftest import Caller, Document, ReadModels, assert_problem, fields


@pytest.fixture
def parties(models: ReadModels) -> tuple[Document, Document, Document]:
    """(payer user, payee user, payment)."""
    payer, payee = models.user("Payer"), models.user("Payee")
    payment = models.payment(
        models.account(payer),
        models.account(payee),
        amount=4200,
        description="Espresso machine",
        merchant="Bean Co",
        status="partially_refunded",
        captured=4200,
        refunded=200,
        version=3,
    )
    return payer, payee, payment


@pytest.mark.parametrize("side", [0, 1])
def test_payer_and_payee_read_the_payment(
    client: TestClient, caller: Caller, parties: tuple[Document, Document, Document], side: int
) -> None:
    payment = parties[2]
    response = client.get(f"/v1/payments/{payment['id']}", headers=caller.of(parties[side]))
    assert response.status_code == 200
    assert response.json() == {
        key: payment[key]
        for key in (
            "id",
            "payer_account_id",
            "payee_account_id",
            "amount",
            "currency",
            "captured",
            "refunded",
            "status",
            "description",
            "merchant",
            "version",
            "created_at",
            "updated_at",
        )
    }


@pytest.mark.parametrize("role", ["customer", "operator"])
def test_a_stranger_cannot_see_the_payment(
    client: TestClient,
    models: ReadModels,
    caller: Caller,
    parties: tuple[Document, Document, Document],
    role: str,
) -> None:
    stranger = models.user("Eve")
    models.account(stranger)
    response = client.get(
        f"/v1/payments/{parties[2]['id']}", headers=caller(role, user_id=stranger["id"])
    )
    assert_problem(response, 404, "not-found")


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_read_any_payment(
    client: TestClient, caller: Caller, parties: tuple[Document, Document, Document], role: str
) -> None:
    response = client.get(f"/v1/payments/{parties[2]['id']}", headers=caller(role))
    assert response.json()["status"] == "partially_refunded"


def test_an_unknown_payment_is_404(client: TestClient, caller: Caller) -> None:
    assert_problem(client.get(f"/v1/payments/{uuid.uuid4()}", headers=caller("admin")), 404)


def test_a_malformed_payment_id_is_422_naming_the_parameter(
    client: TestClient, caller: Caller
) -> None:
    problem = assert_problem(client.get("/v1/payments/nope", headers=caller("admin")), 422)
    assert fields(problem) == ["payment_id"]
