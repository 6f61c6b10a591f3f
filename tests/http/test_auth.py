"""Bearer-token authentication: every way a token can be wrong is a 401 problem."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from infra.http.auth import decode_token, mint_token
from infra.settings import Settings
from tests.http.conftest import TEST_SECRET, build_tiny_app

USER = uuid.UUID("0b6c4d1e-5f7a-4b8c-9d0e-1f2a3b4c5d6e")


def signed(claims: dict[str, Any], secret: str = TEST_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def claims(**overrides: Any) -> dict[str, Any]:
    return {"sub": str(USER), "roles": ["customer"], "exp": int(time.time()) + 60} | overrides


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unsigned_alg_none(payload: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def assert_unauthenticated(response: Any) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    problem = response.json()
    assert problem["status"] == 401
    assert problem["type"] == "https://ledgerline.dev/problems/unauthenticated"
    assert problem["detail"]


def test_a_valid_token_yields_the_principal(client: TestClient) -> None:
    response = client.get("/me", headers=bearer(signed(claims(roles=["customer", "operator"]))))
    assert response.status_code == 200
    assert response.json() == {"user_id": str(USER), "roles": ["customer", "operator"]}


def test_a_minted_token_is_accepted(client: TestClient, settings: Settings) -> None:
    token = mint_token(settings, USER, ["admin"], ttl_s=60)
    assert client.get("/me", headers=bearer(token)).json()["roles"] == ["admin"]


def test_a_request_without_a_token_is_refused(client: TestClient) -> None:
    response = client.get("/me")
    assert_unauthenticated(response)
    assert "invalid_token" not in response.headers["www-authenticate"]


def test_a_non_bearer_authorization_header_is_refused(client: TestClient) -> None:
    assert_unauthenticated(client.get("/me", headers={"Authorization": "Basic dXNlcjpwYXNz"}))


def test_an_expired_token_is_refused(client: TestClient) -> None:
    response = client.get("/me", headers=bearer(signed(claims(exp=int(time.time()) - 5))))
    assert_unauthenticated(response)
    assert "expired" in response.json()["detail"]


def test_a_token_signed_with_another_secret_is_refused(client: TestClient) -> None:
    forged = signed(claims(), secret="another-secret-that-is-also-long-enough!!")
    response = client.get("/me", headers=bearer(forged))
    assert_unauthenticated(response)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_an_unsigned_alg_none_token_is_refused(client: TestClient) -> None:
    assert_unauthenticated(client.get("/me", headers=bearer(unsigned_alg_none(claims()))))


def test_a_token_with_another_algorithm_is_refused(client: TestClient) -> None:
    token = signed(claims(), algorithm="HS512")
    assert_unauthenticated(client.get("/me", headers=bearer(token)))


def test_a_malformed_token_is_refused(client: TestClient) -> None:
    assert_unauthenticated(client.get("/me", headers=bearer("not.a.jwt")))


@pytest.mark.parametrize(
    "bad_claims",
    [
        pytest.param(claims(roles=["customer", "emperor"]), id="unknown role"),
        pytest.param(claims(roles=[]), id="no roles"),
        pytest.param(claims(roles="customer"), id="roles not a list"),
        pytest.param(claims(sub="alice"), id="non-uuid sub"),
        pytest.param({k: v for k, v in claims().items() if k != "exp"}, id="no exp"),
        pytest.param({k: v for k, v in claims().items() if k != "sub"}, id="no sub"),
    ],
)
def test_a_token_with_bad_claims_is_refused(client: TestClient, bad_claims: dict[str, Any]) -> None:
    assert_unauthenticated(client.get("/me", headers=bearer(signed(bad_claims))))


def test_sign_up_is_anonymous_without_a_token(client: TestClient) -> None:
    response = client.post("/signup")
    assert response.status_code == 200
    assert response.json() == {"user_id": None}


def test_sign_up_with_an_invalid_token_is_still_refused(client: TestClient) -> None:
    assert_unauthenticated(client.post("/signup", headers=bearer("garbage")))


def test_audience_and_issuer_are_enforced_when_configured() -> None:
    settings = Settings(
        jwt_secret=SecretStr(TEST_SECRET),
        env="test",
        jwt_audience="ledgerline",
        jwt_issuer="https://idp",
    )
    good = mint_token(settings, USER, ["customer"], ttl_s=60)
    assert decode_token(settings, good).user_id == USER
    with TestClient(build_tiny_app(settings)) as client:
        assert client.get("/me", headers=bearer(good)).status_code == 200
        no_audience = signed(claims(iss="https://idp"))
        assert_unauthenticated(client.get("/me", headers=bearer(no_audience)))
        wrong_issuer = signed(claims(aud="ledgerline", iss="https://evil"))
        assert_unauthenticated(client.get("/me", headers=bearer(wrong_issuer)))


@pytest.mark.parametrize(
    ("sub", "roles", "ttl_s"),
    [
        pytest.param("alice", ["customer"], 60, id="non-uuid sub"),
        pytest.param(str(USER), [], 60, id="no roles"),
        pytest.param(str(USER), ["wizard"], 60, id="unknown role"),
        pytest.param(str(USER), ["customer"], 0, id="zero ttl"),
    ],
)
def test_minting_refuses_bad_input(
    settings: Settings, sub: str, roles: list[str], ttl_s: int
) -> None:
    with pytest.raises(ValueError):
        mint_token(settings, sub, roles, ttl_s)
