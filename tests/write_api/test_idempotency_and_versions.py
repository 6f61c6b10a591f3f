"""Idempotency-Key replays, If-Match optimistic concurrency, and races under load."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.credentials import PASSWORD
from tests.write_api.conftest import Api, assert_problem, fields

PARALLEL = 50


def test_a_repeated_key_with_the_same_body_replays_the_first_response(api: Api) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    key = {"Idempotency-Key": "deposit-0001"}
    first = api.post(f"/v1/accounts/{account}/deposits", ada, {"amount": 5, "reference": "a"}, key)
    assert first.status_code == 200
    assert "idempotent-replayed" not in first.headers
    before = api.event_count()
    # Same JSON, different formatting and key order: still the same request.
    again = api.client.post(
        f"/v1/accounts/{account}/deposits",
        content=b'{ "reference": "a",   "amount": 5 }',
        headers={**ada.headers, **key, "Content-Type": "application/json"},
    )
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["etag"] == first.headers["etag"]
    assert api.event_count() == before


def test_a_replayed_creation_is_still_201(api: Api) -> None:
    key = {"Idempotency-Key": "signup-1"}
    body = {"email": "once@example.com", "full_name": "Once", "password": PASSWORD}
    first = api.client.post("/v1/users", json=body, headers=key)
    again = api.client.post("/v1/users", json=body, headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"


def test_a_repeated_key_with_another_body_is_422(api: Api) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    key = {"Idempotency-Key": "deposit-0002"}
    api.post(f"/v1/accounts/{account}/deposits", ada, {"amount": 5, "reference": "a"}, key)
    before = api.event_count()
    response = api.post(
        f"/v1/accounts/{account}/deposits", ada, {"amount": 6, "reference": "a"}, key
    )
    assert_problem(response, 422, "idempotency-key-reused")
    assert api.event_count() == before


def test_a_repeated_key_on_another_path_is_422(api: Api) -> None:
    ada = api.sign_up()
    account = api.funded_account(ada, 100)
    key = {"Idempotency-Key": "move-1"}
    body = {"amount": 5, "reference": "a"}
    api.post(f"/v1/accounts/{account}/deposits", ada, body, key)
    response = api.post(f"/v1/accounts/{account}/withdrawals", ada, body, key)
    assert_problem(response, 422, "idempotency-key-reused")


@pytest.mark.parametrize("key", ["", "k" * 256], ids=["empty", "256 chars"])
def test_an_idempotency_key_must_have_1_to_255_characters(api: Api, key: str) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    response = api.post(
        f"/v1/accounts/{account}/deposits",
        ada,
        {"amount": 5, "reference": "a"},
        {"Idempotency-Key": key},
    )
    assert fields(assert_problem(response, 422)) == ["Idempotency-Key"]


def test_a_255_character_key_is_accepted(api: Api) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    response = api.post(
        f"/v1/accounts/{account}/deposits",
        ada,
        {"amount": 5, "reference": "a"},
        {"Idempotency-Key": "k" * 255},
    )
    assert response.status_code == 200


def test_if_match_with_the_current_version_applies(api: Api) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    response = api.post(
        f"/v1/accounts/{account}/deposits",
        ada,
        {"amount": 5, "reference": "a"},
        {"If-Match": '"1"'},
    )
    assert response.status_code == 200
    assert response.headers["etag"] == '"2"'
    bare = api.post(
        f"/v1/accounts/{account}/deposits", ada, {"amount": 5, "reference": "b"}, {"If-Match": "2"}
    )
    assert bare.status_code == 200


def test_if_match_with_a_stale_version_is_412_and_appends_nothing(api: Api) -> None:
    ada = api.sign_up()
    account = api.funded_account(ada, 100)
    before = api.event_count()
    response = api.post(
        f"/v1/accounts/{account}/withdrawals",
        ada,
        {"amount": 5, "reference": "a"},
        {"If-Match": '"1"'},
    )
    assert_problem(response, 412, "version-mismatch")
    assert api.event_count() == before


@pytest.mark.parametrize("value", ['"abc"', 'W/"1"', '"1", "2"', "-1"])
def test_a_malformed_if_match_is_422_naming_the_header(api: Api, value: str) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    response = api.post(
        f"/v1/accounts/{account}/deposits",
        ada,
        {"amount": 5, "reference": "a"},
        {"If-Match": value},
    )
    assert fields(assert_problem(response, 422)) == ["If-Match"]


def test_racing_withdrawals_never_overdraw_the_account(api: Api) -> None:
    ada = api.sign_up()
    balance, amount = 1000, 70
    account = api.funded_account(ada, balance)

    def withdraw(i: int) -> Any:
        return api.post(
            f"/v1/accounts/{account}/withdrawals", ada, {"amount": amount, "reference": f"w{i}"}
        )

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        responses = list(pool.map(withdraw, range(PARALLEL)))
    statuses = [response.status_code for response in responses]
    assert statuses.count(200) == balance // amount
    assert statuses.count(409) == PARALLEL - balance // amount
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.json()["type"].endswith("/insufficient-funds")
    debits = [data["amount"] for kind, data, _ in api.events(account) if kind == "AccountDebited"]
    assert sum(debits) == (balance // amount) * amount
    assert sum(debits) <= balance


def test_racing_repeats_of_one_key_have_exactly_one_effect(api: Api) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    before = api.event_count()

    def deposit(_: int) -> Any:
        return api.post(
            f"/v1/accounts/{account}/deposits",
            ada,
            {"amount": 25, "reference": "once"},
            {"Idempotency-Key": "the-one-deposit"},
        )

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        responses = list(pool.map(deposit, range(PARALLEL)))
    assert {response.status_code for response in responses} == {200}
    assert len({response.text for response in responses}) == 1
    assert sum("idempotent-replayed" not in r.headers for r in responses) == 1
    assert api.event_count() == before + 1
    credits = [kind for kind, _, _ in api.events(account) if kind == "AccountCredited"]
    assert credits == ["AccountCredited"]
