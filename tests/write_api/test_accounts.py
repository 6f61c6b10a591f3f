"""Accounts over HTTP: opening, money movements, operator actions and their refusals."""

from __future__ import annotations

import uuid
from uuid import UUID

import pytest

from tests.thread_handoffs import record_thread_handoffs
from tests.write_api.conftest import Api, assert_problem, fields


def test_opening_an_account_is_201_with_the_account_id(api: Api) -> None:
    ada = api.sign_up()
    response = api.client.post(
        "/v1/accounts", json={"owner_id": str(ada.user_id), "currency": "EUR"}, headers=ada.headers
    )
    assert response.status_code == 201
    body = response.json()
    assert body["version"] == 1
    assert body["events"] == ["AccountOpened"]
    assert response.headers["etag"] == '"1"'
    [(_, data, _)] = api.events(UUID(body["id"]))
    assert data["currency"] == "EUR"


def test_a_customer_cannot_open_an_account_for_someone_else(api: Api) -> None:
    ada, eve = api.sign_up(), api.sign_up()
    response = api.client.post(
        "/v1/accounts", json={"owner_id": str(ada.user_id), "currency": "EUR"}, headers=eve.headers
    )
    assert_problem(response, 403, "forbidden")


def test_opening_an_account_for_an_unknown_user_is_404(api: Api) -> None:
    admin = api.actor("admin")
    response = api.post("/v1/accounts", admin, {"owner_id": str(uuid.uuid4()), "currency": "EUR"})
    assert_problem(response, 404, "not-found")


@pytest.mark.parametrize("currency", ["XYZ", "eur", "EURO", ""])
def test_an_unknown_currency_is_422_naming_the_field(api: Api, currency: str) -> None:
    ada = api.sign_up()
    response = api.post("/v1/accounts", ada, {"owner_id": str(ada.user_id), "currency": currency})
    assert fields(assert_problem(response, 422)) == ["currency"]


def test_a_deposit_credits_the_account(api: Api) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    response = api.post(
        f"/v1/accounts/{account}/deposits", ada, {"amount": 2500, "reference": "salary"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": str(account),
        "version": 2,
        "events": ["AccountCredited"],
        "streams": {str(account): 2},
    }
    assert response.headers["etag"] == '"2"'
    assert api.events(account)[-1][1]["amount"] == 2500


def test_a_withdrawal_debits_the_account(api: Api) -> None:
    ada = api.sign_up()
    account = api.funded_account(ada, 1000)
    response = api.post(
        f"/v1/accounts/{account}/withdrawals", ada, {"amount": 400, "reference": "rent"}
    )
    assert response.status_code == 200
    assert response.json()["events"] == ["AccountDebited"]


def test_a_withdrawal_beyond_the_available_balance_is_refused(api: Api) -> None:
    ada = api.sign_up()
    account = api.funded_account(ada, 1000)
    response = api.post(
        f"/v1/accounts/{account}/withdrawals", ada, {"amount": 1001, "reference": "too much"}
    )
    assert_problem(response, 409, "insufficient-funds")
    assert len(api.events(account)) == 2


@pytest.mark.parametrize(
    ("amount", "why"),
    [
        (10.5, "float"),
        (10.0, "float with zero fraction"),
        ("100", "string"),
        (True, "bool"),
        (0, "zero"),
        (-5, "negative"),
        (10**15 + 1, "over the maximum"),
        (None, "null"),
    ],
)
def test_an_amount_that_is_not_a_positive_integer_is_422_naming_amount(
    api: Api, amount: object, why: str
) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    response = api.post(
        f"/v1/accounts/{account}/deposits", ada, {"amount": amount, "reference": why}
    )
    assert fields(assert_problem(response, 422, "validation-error")) == ["amount"]


def test_the_maximum_amount_is_accepted(api: Api) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    response = api.post(
        f"/v1/accounts/{account}/deposits", ada, {"amount": 10**15, "reference": "max"}
    )
    assert response.status_code == 200


def test_a_missing_field_and_an_extra_field_are_both_named(api: Api) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    response = api.post(f"/v1/accounts/{account}/deposits", ada, {"amount": 5, "memo": "x"})
    assert sorted(fields(assert_problem(response, 422))) == ["memo", "reference"]


def test_malformed_json_is_400(api: Api) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    response = api.client.post(
        f"/v1/accounts/{account}/deposits",
        content=b'{"amount": 5, "reference": ',
        headers={**ada.headers, "Content-Type": "application/json"},
    )
    assert_problem(response, 400, "malformed-json")


def test_a_body_over_64_kib_is_413(api: Api) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    response = api.post(
        f"/v1/accounts/{account}/deposits", ada, {"amount": 5, "reference": "x" * 70_000}
    )
    assert_problem(response, 413, "content-too-large")


def test_a_malformed_account_id_in_the_path_is_422_naming_it(api: Api) -> None:
    ada = api.sign_up()
    response = api.post("/v1/accounts/12345/deposits", ada, {"amount": 5, "reference": "x"})
    assert fields(assert_problem(response, 422)) == ["account_id"]


def test_an_unknown_account_is_404(api: Api) -> None:
    ada = api.sign_up()
    response = api.post(
        f"/v1/accounts/{uuid.uuid4()}/deposits", ada, {"amount": 5, "reference": "x"}
    )
    assert_problem(response, 404, "not-found")


def test_a_customer_cannot_move_money_on_another_users_account(api: Api) -> None:
    ada, eve = api.sign_up(), api.sign_up()
    account = api.funded_account(ada, 1000)
    response = api.post(
        f"/v1/accounts/{account}/withdrawals", eve, {"amount": 10, "reference": "mine now"}
    )
    assert_problem(response, 403, "forbidden")


def test_an_operator_freezes_and_unfreezes_an_account(api: Api) -> None:
    ada, operator = api.sign_up(), api.actor("operator")
    account = api.funded_account(ada, 1000)
    frozen = api.post(f"/v1/accounts/{account}/freeze", operator, {"reason": "fraud check"})
    assert frozen.status_code == 200
    assert frozen.json()["events"] == ["AccountFrozen"]
    refused = api.post(f"/v1/accounts/{account}/withdrawals", ada, {"amount": 1, "reference": "x"})
    assert_problem(refused, 409, "account-frozen")
    unfrozen = api.post(f"/v1/accounts/{account}/unfreeze", operator)
    assert unfrozen.status_code == 200
    assert unfrozen.json()["events"] == ["AccountUnfrozen"]
    again = api.post(f"/v1/accounts/{account}/withdrawals", ada, {"amount": 1, "reference": "x"})
    assert again.status_code == 200


def test_freezing_twice_is_a_conflict(api: Api) -> None:
    ada, operator = api.sign_up(), api.actor("operator")
    account = api.open_account(ada)
    api.post(f"/v1/accounts/{account}/freeze", operator)
    assert_problem(api.post(f"/v1/accounts/{account}/freeze", operator), 409)


@pytest.mark.parametrize("action", ["freeze", "unfreeze", "close"])
def test_a_customer_cannot_perform_operator_actions(api: Api, action: str) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    assert_problem(api.post(f"/v1/accounts/{account}/{action}", ada), 403, "forbidden")


def test_an_auditor_cannot_perform_operator_actions(api: Api) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    assert_problem(api.post(f"/v1/accounts/{account}/freeze", api.actor("auditor")), 403)


def test_an_account_with_a_balance_cannot_be_closed(api: Api) -> None:
    ada, operator = api.sign_up(), api.actor("operator")
    account = api.funded_account(ada, 10)
    response = api.post(f"/v1/accounts/{account}/close", operator, {"reason": "customer left"})
    assert_problem(response, 409, "account-not-empty")


def test_a_closed_account_accepts_nothing(api: Api) -> None:
    ada, operator = api.sign_up(), api.actor("operator")
    account = api.open_account(ada)
    closed = api.post(f"/v1/accounts/{account}/close", operator)
    assert closed.status_code == 200
    assert closed.json()["events"] == ["AccountClosed"]
    response = api.post(f"/v1/accounts/{account}/deposits", ada, {"amount": 5, "reference": "x"})
    assert_problem(response, 409, "account-closed")


def test_a_reason_must_be_a_short_string(api: Api) -> None:
    ada, operator = api.sign_up(), api.actor("operator")
    account = api.open_account(ada)
    response = api.post(f"/v1/accounts/{account}/freeze", operator, {"reason": "x" * 201})
    assert fields(assert_problem(response, 422)) == ["reason"]


def test_a_deposit_hands_only_the_command_to_a_worker_thread(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    handoffs = record_thread_handoffs(monkeypatch)
    response = api.post(f"/v1/accounts/{account}/deposits", ada, {"amount": 100, "reference": "x"})
    assert response.status_code == 200
    assert handoffs == ["CommandBus.execute"]
