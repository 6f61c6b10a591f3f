"""Hostile input gets a clear 4xx problem naming the field, never a 5xx, and appends nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.credentials import PASSWORD
from tests.write_api.conftest import Api, assert_problem

UNICODE_SAMPLES = [
    "Zoë Ångström-Þórsdóttir",
    "李小龍",
    "مرحبا",
    "👩🏽‍💻 emoji",
    "a\u200bzero-width",
    "line\u2028separator",
]


@pytest.mark.parametrize(
    ("amount", "field_message"),
    [
        (0, "amount"),
        (-1, "amount"),
        (10.5, "amount"),
        ("100", "amount"),
        (True, "amount"),
        (10**15 + 1, "amount"),
        (10**100, "amount"),
        (None, "amount"),
    ],
)
def test_bad_amounts_are_422_naming_the_field(api: Api, amount: Any, field_message: str) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    before = api.event_count()
    response = api.post(
        f"/v1/accounts/{account}/deposits", ada, {"amount": amount, "reference": "x"}
    )
    problem = assert_problem(response, 422)
    assert field_message in {error["field"] for error in problem["errors"]}
    assert api.event_count() == before


def test_a_huge_integer_literal_is_refused_without_a_5xx(api: Api) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    body = '{"amount": ' + "9" * 5000 + ', "reference": "x"}'
    response = api.client.post(
        f"/v1/accounts/{account}/deposits",
        content=body,
        headers={**ada.headers, "Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_deeply_nested_json_is_refused_without_a_5xx(api: Api) -> None:
    ada = api.sign_up()
    nested = "[" * 50_000 + "]" * 50_000  # under 64 KiB... but deeper than any parser likes
    body = '{"owner_id": "' + str(ada.user_id) + '", "currency": ' + nested[:60_000] + "}"
    response = api.client.post(
        "/v1/accounts", content=body, headers={**ada.headers, "Content-Type": "application/json"}
    )
    assert response.status_code in (400, 413, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("text", UNICODE_SAMPLES)
def test_unicode_in_every_string_field_round_trips_or_is_refused_cleanly(
    api: Api, text: str
) -> None:
    ada = api.sign_up(full_name=text)
    account = api.open_account(ada)
    deposit = api.post(f"/v1/accounts/{account}/deposits", ada, {"amount": 5, "reference": text})
    assert deposit.status_code == 200, deposit.text
    shop = api.sign_up(full_name="Shop")
    till = api.open_account(shop)
    payment = api.post(
        "/v1/payments",
        ada,
        {
            "payer_account_id": str(account),
            "payee_account_id": str(till),
            "amount": 5,
            "description": text,
            "merchant": text,
        },
    )
    assert payment.status_code == 201, payment.text
    credited = [data for kind, data, _ in api.events(account) if kind == "AccountCredited"]
    assert credited[-1]["reference"] == text


def test_unicode_email_local_parts_are_refused_or_accepted_but_never_500(api: Api) -> None:
    for email in ("zoë@example.com", "李@例え.jp", "\u0000@example.com"):
        response = api.client.post(
            "/v1/users", json={"email": email, "full_name": "Z", "password": PASSWORD}
        )
        assert response.status_code in (201, 422), response.text


def test_a_body_that_is_not_an_object_is_refused(api: Api) -> None:
    for body in ("[]", '"text"', "42", "null", json.dumps([{"email": "a@b.c"}])):
        response = api.client.post(
            "/v1/users", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code in (400, 422), (body, response.text)
