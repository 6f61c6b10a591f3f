"""Transfers and payments over HTTP: success paths and every business-rule refusal."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import pytest

from tests.write_api.conftest import Actor, Api, assert_problem, fields


def transfer(api: Api, actor: Actor, source: UUID, target: UUID, amount: int) -> Any:
    body = {
        "from_account_id": str(source),
        "to_account_id": str(target),
        "amount": amount,
        "reference": "rent",
    }
    return api.post("/v1/transfers", actor, body)


def authorize(api: Api, actor: Actor, payer: UUID, payee: UUID, amount: int) -> Any:
    body = {
        "payer_account_id": str(payer),
        "payee_account_id": str(payee),
        "amount": amount,
        "description": "Order 1234",
        "merchant": "Corner Shop",
    }
    return api.post("/v1/payments", actor, body)


@pytest.fixture
def parties(api: Api) -> tuple[Actor, UUID, Actor, UUID]:
    """A customer with 1000 EUR and a merchant with an empty EUR account."""
    customer, merchant = api.sign_up(), api.sign_up()
    return (
        customer,
        api.funded_account(customer, 1000),
        merchant,
        api.open_account(merchant),
    )


def test_a_transfer_is_201_and_moves_money_atomically(
    api: Api, parties: tuple[Actor, UUID, Actor, UUID]
) -> None:
    customer, source, _, target = parties
    response = transfer(api, customer, source, target, 300)
    assert response.status_code == 201
    body = response.json()
    assert body["version"] == 1
    assert sorted(body["events"]) == ["AccountCredited", "AccountDebited", "TransferCompleted"]
    assert api.events(source)[-1][0] == "AccountDebited"
    assert api.events(target)[-1][0] == "AccountCredited"
    assert [event[0] for event in api.events(UUID(body["id"]))] == ["TransferCompleted"]


def test_a_transfer_names_the_new_version_of_both_accounts_and_the_transfer(
    api: Api, parties: tuple[Actor, UUID, Actor, UUID]
) -> None:
    customer, source, _, target = parties  # source: opened and funded (2), target: opened (1)
    body = transfer(api, customer, source, target, 300).json()
    assert body["streams"] == {str(source): 3, str(target): 2, body["id"]: 1}


def test_a_transfer_to_the_same_account_is_refused(
    api: Api, parties: tuple[Actor, UUID, Actor, UUID]
) -> None:
    customer, source, _, _ = parties
    assert_problem(transfer(api, customer, source, source, 10), 409, "same-account")


def test_a_transfer_across_currencies_is_refused(
    api: Api, parties: tuple[Actor, UUID, Actor, UUID]
) -> None:
    customer, source, merchant, _ = parties
    dollars = api.open_account(merchant, "USD")
    assert_problem(transfer(api, customer, source, dollars, 10), 409, "currency-mismatch")


def test_a_transfer_beyond_the_balance_is_refused(
    api: Api, parties: tuple[Actor, UUID, Actor, UUID]
) -> None:
    customer, source, _, target = parties
    assert_problem(transfer(api, customer, source, target, 1001), 409, "insufficient-funds")


def test_a_transfer_from_someone_elses_account_is_forbidden(
    api: Api, parties: tuple[Actor, UUID, Actor, UUID]
) -> None:
    _, source, merchant, target = parties
    assert_problem(transfer(api, merchant, source, target, 10), 403, "forbidden")


def test_a_transfer_with_a_malformed_account_id_names_the_field(
    api: Api, parties: tuple[Actor, UUID, Actor, UUID]
) -> None:
    customer, source, _, _ = parties
    body = {"from_account_id": str(source), "to_account_id": "nope", "amount": 1, "reference": "x"}
    response = api.post("/v1/transfers", customer, body)
    assert fields(assert_problem(response, 422)) == ["to_account_id"]


def test_a_payment_is_authorized_captured_and_refunded(
    api: Api, parties: tuple[Actor, UUID, Actor, UUID]
) -> None:
    customer, payer, merchant, payee = parties
    authorized = authorize(api, customer, payer, payee, 400)
    assert authorized.status_code == 201
    assert sorted(authorized.json()["events"]) == ["AccountFundsHeld", "PaymentAuthorized"]
    payment = authorized.json()["id"]
    captured = api.post(f"/v1/payments/{payment}/capture", customer)
    assert captured.status_code == 200
    assert sorted(captured.json()["events"]) == [
        "AccountCredited",
        "AccountDebited",
        "AccountHoldReleased",
        "PaymentCaptured",
    ]
    refunded = api.post(f"/v1/payments/{payment}/refunds", merchant, {"amount": 150})
    assert refunded.status_code == 200
    assert sorted(refunded.json()["events"]) == [
        "AccountCredited",
        "AccountDebited",
        "PaymentRefunded",
    ]
    assert refunded.headers["etag"] == f'"{refunded.json()["version"]}"'


def test_a_payment_beyond_the_available_balance_is_refused(
    api: Api, parties: tuple[Actor, UUID, Actor, UUID]
) -> None:
    customer, payer, _, payee = parties
    assert_problem(authorize(api, customer, payer, payee, 1001), 409, "insufficient-funds")


def test_a_hold_reduces_what_can_be_withdrawn(
    api: Api, parties: tuple[Actor, UUID, Actor, UUID]
) -> None:
    customer, payer, _, payee = parties
    assert authorize(api, customer, payer, payee, 800).status_code == 201
    response = api.post(
        f"/v1/accounts/{payer}/withdrawals", customer, {"amount": 201, "reference": "x"}
    )
    assert_problem(response, 409, "insufficient-funds")


def test_a_voided_payment_cannot_be_captured(
    api: Api, parties: tuple[Actor, UUID, Actor, UUID]
) -> None:
    customer, payer, _, payee = parties
    payment = authorize(api, customer, payer, payee, 400).json()["id"]
    voided = api.post(f"/v1/payments/{payment}/void", customer)
    assert voided.status_code == 200
    assert sorted(voided.json()["events"]) == ["AccountHoldReleased", "PaymentVoided"]
    capture = api.post(f"/v1/payments/{payment}/capture", customer)
    assert_problem(capture, 409, "invalid-payment-state")


def test_a_refund_over_the_captured_amount_is_refused(
    api: Api, parties: tuple[Actor, UUID, Actor, UUID]
) -> None:
    customer, payer, merchant, payee = parties
    payment = authorize(api, customer, payer, payee, 400).json()["id"]
    api.post(f"/v1/payments/{payment}/capture", customer)
    assert api.post(f"/v1/payments/{payment}/refunds", merchant, {"amount": 300}).is_success
    response = api.post(f"/v1/payments/{payment}/refunds", merchant, {"amount": 101})
    assert_problem(response, 409, "refund-exceeds-captured")


def test_the_payer_cannot_refund_themself(
    api: Api, parties: tuple[Actor, UUID, Actor, UUID]
) -> None:
    customer, payer, _, payee = parties
    payment = authorize(api, customer, payer, payee, 400).json()["id"]
    api.post(f"/v1/payments/{payment}/capture", customer)
    response = api.post(f"/v1/payments/{payment}/refunds", customer, {"amount": 100})
    assert_problem(response, 403, "forbidden")


def test_an_unknown_payment_is_404(api: Api) -> None:
    customer = api.sign_up()
    assert_problem(api.post(f"/v1/payments/{uuid.uuid4()}/capture", customer), 404)


def test_a_malformed_payment_id_is_422_naming_it(api: Api) -> None:
    customer = api.sign_up()
    response = api.post("/v1/payments/xyz/refunds", customer, {"amount": 1})
    assert fields(assert_problem(response, 422)) == ["payment_id"]


def test_a_refund_amount_must_be_a_positive_integer(api: Api) -> None:
    customer = api.sign_up()
    response = api.post(f"/v1/payments/{uuid.uuid4()}/refunds", customer, {"amount": 1.5})
    assert fields(assert_problem(response, 422)) == ["amount"]
