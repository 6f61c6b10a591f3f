"""Production tokens: RS256 verified against a configured PEM public key or a JWKS file, beside
the HS256 secret, without letting a token choose its own key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from infra.http.auth import Unauthenticated, decode_token
from infra.settings import Settings

SECRET = "tests-rs256-hs-secret-that-is-long-enough-for-hs256"


def _private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


SIGNING_KEY = _private_key()
OTHER_KEY = _private_key()


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": str(uuid.uuid4()), "roles": ["customer"], "exp": now + 60} | overrides


def _rs256(key: rsa.RSAPrivateKey = SIGNING_KEY, kid: str | None = None, **claims: Any) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(_claims(**claims), key, algorithm="RS256", headers=headers)


@pytest.fixture
def pem_settings(tmp_path: Path) -> Settings:
    path = tmp_path / "public.pem"
    path.write_bytes(_pem(SIGNING_KEY))
    return Settings(jwt_secret=SecretStr(SECRET), jwt_public_key_file=path)


@pytest.fixture
def jwks_settings(tmp_path: Path) -> Settings:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk | {"kid": "key-1", "use": "sig"}]}))
    return Settings(jwt_secret=SecretStr(SECRET), jwt_jwks_file=path)


def test_an_rs256_token_verifies_against_the_public_key(pem_settings: Settings) -> None:
    principal = decode_token(pem_settings, _rs256())
    assert principal.roles == frozenset({"customer"})


def test_an_rs256_token_verifies_against_the_jwks_by_key_id(jwks_settings: Settings) -> None:
    assert decode_token(jwks_settings, _rs256(kid="key-1")).user_id is not None
    with pytest.raises(Unauthenticated, match="key id"):
        decode_token(jwks_settings, _rs256(kid="key-2"))


def test_an_rs256_token_signed_by_another_key_is_refused(pem_settings: Settings) -> None:
    with pytest.raises(Unauthenticated, match="signature"):
        decode_token(pem_settings, _rs256(OTHER_KEY))


def test_rs256_is_refused_when_no_public_key_is_configured() -> None:
    with pytest.raises(Unauthenticated, match="algorithm"):
        decode_token(Settings(jwt_secret=SecretStr(SECRET)), _rs256())


def test_the_public_key_cannot_be_used_as_an_hs256_secret(pem_settings: Settings) -> None:
    # The classic key-confusion attack: sign HS256 with the (public) PEM as the secret.
    forged = _hs256_with_raw_key(_pem(SIGNING_KEY))
    with pytest.raises(Unauthenticated, match="signature"):
        decode_token(pem_settings, forged)


def _hs256_with_raw_key(key: bytes) -> str:
    """HS256 by hand: PyJWT itself refuses to sign with a PEM key as an HMAC secret."""

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + b"." + b64(json.dumps(_claims()).encode())
    signature = hmac.new(key, signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + b64(signature)).decode()


def test_alg_none_is_refused_even_with_rs256_configured(pem_settings: Settings) -> None:
    unsigned = jwt.encode(_claims(), None, algorithm="none")
    with pytest.raises(Unauthenticated, match="algorithm"):
        decode_token(pem_settings, unsigned)


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"exp": int(time.time()) - 10}, "expired"),
        ({"nbf": int(time.time()) + 3600}, "not valid yet"),
    ],
)
def test_expired_and_not_yet_valid_rs256_tokens_are_refused(
    pem_settings: Settings, claims: dict[str, Any], message: str
) -> None:
    with pytest.raises(Unauthenticated, match=message):
        decode_token(pem_settings, _rs256(**claims))


def test_audience_and_issuer_apply_to_rs256_tokens(tmp_path: Path) -> None:
    path = tmp_path / "public.pem"
    path.write_bytes(_pem(SIGNING_KEY))
    settings = Settings(
        jwt_secret=SecretStr(SECRET),
        jwt_public_key_file=path,
        jwt_audience="ledgerline",
        jwt_issuer="https://id.example",
    )
    good = _rs256(aud="ledgerline", iss="https://id.example")
    assert decode_token(settings, good).roles == frozenset({"customer"})
    with pytest.raises(Unauthenticated, match="audience"):
        decode_token(settings, _rs256(aud="someone-else", iss="https://id.example"))
    with pytest.raises(Unauthenticated, match="issuer"):
        decode_token(settings, _rs256(aud="ledgerline", iss="https://evil.example"))
