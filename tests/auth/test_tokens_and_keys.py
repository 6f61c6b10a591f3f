"""Our own signing keys: a plain JWT client verifies our tokens from the JWKS alone; rotation
keeps old tokens valid until they expire; forged, expired and misdirected tokens are refused;
production refuses development tokens."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from pydantic import SecretStr
from typer.testing import CliRunner

from event_store.connection import open_pool
from event_store.store import EventStore
from infra.auth.keys import KeyStore
from infra.bootstrap import build_key_store
from infra.cli.auth import app as auth_cli
from infra.http.auth import Unauthenticated, VerifiedTokens, decode_token, mint_token
from infra.settings import Settings
from tests.auth.conftest import AuthClient
from tests.problems import assert_problem


@pytest.fixture
def keys(auth: AuthClient) -> Iterator[KeyStore]:
    pool = open_pool(auth.settings.database_url, min_size=1, max_size=2)
    try:
        yield build_key_store(auth.settings, EventStore(pool), auth.clock)
    finally:
        pool.close()


def probe(auth: AuthClient, token: str) -> Any:
    """An authenticated request whose outcome depends only on the token."""
    return auth.http.post("/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})


def test_a_plain_jwt_client_verifies_our_tokens_with_the_jwks_alone(auth: AuthClient) -> None:
    _, email = auth.sign_up()
    login = auth.logged_in(email)
    discovery = auth.http.get("/.well-known/openid-configuration").json()
    assert discovery["issuer"] == auth.settings.auth_issuer
    assert discovery["id_token_signing_alg_values_supported"] == ["ES256"]
    assert discovery["token_endpoint"].endswith("/v1/auth/token")
    jwks = auth.http.get("/.well-known/jwks.json").json()
    assert all("d" not in key for key in jwks["keys"])  # public keys only

    key_set = jwt.PyJWKSet.from_dict(jwks)
    kid = jwt.get_unverified_header(login.access_token)["kid"]
    claims = jwt.decode(
        login.access_token,
        key_set[kid].key,
        algorithms=["ES256"],
        audience="ledgerline",
        issuer=discovery["issuer"],
    )
    assert claims["sub"] == str(login.user_id)


def test_rotation_keeps_old_tokens_valid_until_they_expire(
    auth: AuthClient, keys: KeyStore
) -> None:
    _, email = auth.sign_up()
    before = auth.logged_in(email)
    old_kid = jwt.get_unverified_header(before.access_token)["kid"]
    env = {"LEDGERLINE_DATABASE_URL": auth.settings.database_url}
    rotated = CliRunner().invoke(auth_cli, ["keys", "rotate"], env=env)
    assert rotated.exit_code == 0, rotated.output
    assert "is now active" in rotated.output

    after = auth.logged_in(email)
    new_kid = jwt.get_unverified_header(after.access_token)["kid"]
    assert new_kid != old_kid and new_kid in rotated.output
    published = {key["kid"] for key in auth.http.get("/.well-known/jwks.json").json()["keys"]}
    assert published == {old_kid, new_kid}
    assert probe(auth, before.access_token).status_code == 204  # still valid

    auth.clock.advance(auth.settings.access_token_ttl_s + 61)  # past expiry and skew
    published = {key["kid"] for key in auth.http.get("/.well-known/jwks.json").json()["keys"]}
    assert published == {new_kid}
    assert_problem(probe(auth, after.access_token), 401, "unauthenticated")  # expired too
    assert keys.verification_key(old_kid) is None


def test_a_remembered_token_is_refused_once_expired(auth: AuthClient, keys: KeyStore) -> None:
    _, email = auth.sign_up()
    token = auth.logged_in(email).access_token
    verified = VerifiedTokens()
    principal = decode_token(auth.settings, token, keys, verified)
    assert verified.get(token) is not None
    assert decode_token(auth.settings, token, keys, verified) == principal

    auth.clock.advance(auth.settings.access_token_ttl_s)
    with pytest.raises(Unauthenticated, match="expired"):
        decode_token(auth.settings, token, keys, verified)


def test_a_remembered_token_is_refused_once_its_key_no_longer_vouches(
    auth: AuthClient, keys: KeyStore
) -> None:
    _, email = auth.sign_up()
    token = auth.logged_in(email).access_token
    verified = VerifiedTokens()
    decode_token(auth.settings, token, keys, verified)
    with psycopg.connect(auth.settings.database_url, autocommit=True) as conn:
        # Retired long ago (a restore, an operator's hand): whatever the token's own times say,
        # the key no longer vouches for anything.
        conn.execute("UPDATE signing_keys SET retired_at = now() - interval '1 day'")
    with pytest.raises(Unauthenticated, match="key id"):
        decode_token(auth.settings, token, keys, verified)


def test_only_tokens_that_pass_every_check_are_remembered(auth: AuthClient, keys: KeyStore) -> None:
    _, email = auth.sign_up()
    good = auth.logged_in(email).claims
    active = keys.signing_key()
    verified = VerifiedTokens()
    refused = [
        _forge(good, _other_key(), "ES256", active.kid),
        _forge({**good, "exp": good["iat"] - 1}, active.private_key, "ES256", active.kid),
        _forge({**good, "aud": "elsewhere"}, active.private_key, "ES256", active.kid),
    ]
    for token in refused:
        with pytest.raises(Unauthenticated):
            decode_token(auth.settings, token, keys, verified)
        assert verified.get(token) is None
    dev_token = mint_token(auth.settings, uuid.uuid4(), ["customer"], 60)
    decode_token(auth.settings, dev_token, keys, verified)
    assert verified.get(dev_token) is None  # HMAC is cheap: only our ES256 tokens are kept


def test_remembered_tokens_are_bounded_oldest_first(auth: AuthClient, keys: KeyStore) -> None:
    tokens = [auth.logged_in(auth.sign_up()[1]).access_token for _ in range(3)]
    verified = VerifiedTokens(max_entries=2)
    for token in tokens:
        decode_token(auth.settings, token, keys, verified)
    assert [verified.get(token) is not None for token in tokens] == [False, True, True]


def _forge(claims: dict[str, Any], key: Any, algorithm: str, kid: str | None = None) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def test_forged_expired_and_misdirected_tokens_are_refused(
    auth: AuthClient, keys: KeyStore
) -> None:
    _, email = auth.sign_up()
    login = auth.logged_in(email)
    good = login.claims
    active = keys.signing_key()
    assert active.private_key is not None
    assert probe(auth, _forge(good, active.private_key, "ES256", active.kid)).status_code == 204

    public_pem = active.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    unsigned = (
        jwt.utils.base64url_encode(json.dumps({"alg": "none", "kid": active.kid}).encode())
        + b"."
        + jwt.utils.base64url_encode(json.dumps(good).encode())
        + b"."
    ).decode()
    forgeries = {
        "alg none": unsigned,
        "HS256 keyed with our public key": _hs256(good, public_pem, active.kid),
        "another key": _forge(good, _other_key(), "ES256", active.kid),
        "wrong audience": _forge(
            {**good, "aud": "elsewhere"}, active.private_key, "ES256", active.kid
        ),
        "wrong issuer": _forge(
            {**good, "iss": "https://evil.example"}, active.private_key, "ES256", active.kid
        ),
        "expired": _forge(
            {**good, "exp": good["iat"] - 1}, active.private_key, "ES256", active.kid
        ),
        "no session": _forge(
            {k: v for k, v in good.items() if k != "sid"}, active.private_key, "ES256", active.kid
        ),
        "unknown kid": _forge(good, active.private_key, "ES256", "not-a-kid"),
    }
    for what, token in forgeries.items():
        response = probe(auth, token)
        assert response.status_code == 401, f"{what}: {response.text}"


def _hs256(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    """HMAC-signed by hand: PyJWT itself refuses a public key as an HMAC secret."""
    header = jwt.utils.base64url_encode(json.dumps({"alg": "HS256", "kid": kid}).encode())
    body = jwt.utils.base64url_encode(json.dumps(claims).encode())
    signature = hmac.new(secret, header + b"." + body, hashlib.sha256).digest()
    return (header + b"." + body + b"." + jwt.utils.base64url_encode(signature)).decode()


def _other_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def test_production_refuses_development_tokens_and_keys(auth: AuthClient) -> None:
    production = Settings(
        env="production",
        jwt_secret=SecretStr("a-production-secret-that-is-long-enough-for-hs256"),
        signing_key_secret=SecretStr("cHJvZHVjdGlvbi1zaWduaW5nLWtleS1zZWNyZXQtMzI="),
    )
    with pytest.raises(ValueError, match="refused in production"):
        mint_token(production, uuid.uuid4(), ["admin"], 60)
    dev_style = jwt.encode(
        {"sub": str(uuid.uuid4()), "roles": ["admin"], "exp": 2**31},
        production.jwt_secret.get_secret_value(),
        algorithm="HS256",
    )
    with pytest.raises(Unauthenticated):
        decode_token(production, dev_style)
    with pytest.raises(ValueError, match="SIGNING_KEY_SECRET must be set"):
        Settings(
            env="production",
            jwt_secret=SecretStr("a-production-secret-that-is-long-enough-for-hs256"),
        )
    result = CliRunner().invoke(
        auth_cli,
        ["token", "--sub", str(uuid.uuid4()), "--role", "admin"],
        env={
            "LEDGERLINE_ENV": "production",
            "LEDGERLINE_JWT_SECRET": "a-production-secret-that-is-long-enough-for-hs256",
            "LEDGERLINE_SIGNING_KEY_SECRET": "cHJvZHVjdGlvbi1zaWduaW5nLWtleS1zZWNyZXQtMzI=",
        },
    )
    assert result.exit_code == 2 and "refused in production" in result.output
