"""Authentication matrix of the write API: every command except sign-up needs a valid token."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import jwt
import pytest

from tests.credentials import PASSWORD
from tests.write_api.conftest import TEST_SECRET, Api, assert_problem

COMMANDS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("PATCH", "/v1/users/{id}", {"full_name": "X"}),
    ("POST", "/v1/users/{id}/deactivate", None),
    ("DELETE", "/v1/users/{id}/personal-data", None),
    ("POST", "/v1/accounts", {"owner_id": "{id}", "currency": "EUR"}),
    ("POST", "/v1/accounts/{id}/deposits", {"amount": 1, "reference": "x"}),
    ("POST", "/v1/accounts/{id}/withdrawals", {"amount": 1, "reference": "x"}),
    ("POST", "/v1/accounts/{id}/freeze", None),
    ("POST", "/v1/accounts/{id}/unfreeze", None),
    ("POST", "/v1/accounts/{id}/close", None),
    (
        "POST",
        "/v1/transfers",
        {"from_account_id": "{id}", "to_account_id": "{id}", "amount": 1, "reference": "x"},
    ),
    (
        "POST",
        "/v1/payments",
        {
            "payer_account_id": "{id}",
            "payee_account_id": "{id}",
            "amount": 1,
            "description": "x",
            "merchant": "y",
        },
    ),
    ("POST", "/v1/payments/{id}/capture", None),
    ("POST", "/v1/payments/{id}/void", None),
    ("POST", "/v1/payments/{id}/refunds", {"amount": 1}),
]


def claims(**overrides: Any) -> dict[str, Any]:
    base = {"sub": str(uuid.uuid4()), "roles": ["admin"], "exp": int(time.time()) + 60}
    return base | overrides


def alg_none(payload: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


BAD_TOKENS: dict[str, str | None] = {
    "no token": None,
    "expired": jwt.encode(claims(exp=int(time.time()) - 10), TEST_SECRET, algorithm="HS256"),
    "wrong signature": jwt.encode(
        claims(), "someone-elses-secret-that-is-long-enough", algorithm="HS256"
    ),
    "alg none": alg_none(claims()),
    "unknown role": jwt.encode(claims(roles=["superuser"]), TEST_SECRET, algorithm="HS256"),
    "non-uuid sub": jwt.encode(claims(sub="root"), TEST_SECRET, algorithm="HS256"),
    "garbage": "garbage",
}


def send(api: Api, method: str, path: str, body: Any, token: str | None) -> Any:
    target = str(uuid.uuid4())
    path = path.replace("{id}", target)
    if body is not None:
        body = json.loads(json.dumps(body).replace("{id}", target))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return api.client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), COMMANDS, ids=[c[1] for c in COMMANDS])
@pytest.mark.parametrize("kind", list(BAD_TOKENS))
def test_commands_refuse_a_missing_or_invalid_token(
    api: Api, method: str, path: str, body: Any, kind: str
) -> None:
    before = api.event_count()
    response = send(api, method, path, body, BAD_TOKENS[kind])
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert api.event_count() == before


def test_sign_up_refuses_an_invalid_token_rather_than_going_anonymous(api: Api) -> None:
    response = api.client.post(
        "/v1/users",
        json={"email": "x@example.com", "full_name": "X", "password": PASSWORD},
        headers={"Authorization": f"Bearer {BAD_TOKENS['expired']}"},
    )
    assert_problem(response, 401)


def test_an_admin_may_act_on_any_users_account(api: Api) -> None:
    ada = api.sign_up()
    account = api.funded_account(ada, 100)
    response = api.post(
        f"/v1/accounts/{account}/withdrawals", api.actor("admin"), {"amount": 1, "reference": "x"}
    )
    assert response.status_code == 200


def test_an_operator_may_not_move_a_customers_money(api: Api) -> None:
    ada = api.sign_up()
    account = api.funded_account(ada, 100)
    response = api.post(
        f"/v1/accounts/{account}/withdrawals",
        api.actor("operator"),
        {"amount": 1, "reference": "x"},
    )
    assert_problem(response, 403, "forbidden")


def test_an_auditor_may_not_write(api: Api) -> None:
    ada = api.sign_up()
    account = api.open_account(ada)
    response = api.post(
        f"/v1/accounts/{account}/deposits", api.actor("auditor"), {"amount": 1, "reference": "x"}
    )
    assert_problem(response, 403, "forbidden")
