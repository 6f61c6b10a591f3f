"""Tokens Ledgerline issues: short-lived access tokens (JWT, ES256, our key by ``kid``), the
second-factor ticket between the two steps of an MFA login, and opaque refresh tokens.

Access token claims: ``iss``, ``aud``, ``sub`` (user id), ``roles``, ``sid`` (session id),
``amr`` (``pwd``, plus ``otp`` after a second factor), ``iat``, ``exp``, ``jti``. Any service can
verify them with a standard JWT library and our JWKS. They are not looked up when used: a
revoked session's access tokens keep working until they expire (``access_token_ttl_s``,
10 minutes by default); its refresh token stops at once.

The MFA ticket is a JWT of its own audience (``<aud>:mfa``), so it is never accepted as an
access token; it lives 5 minutes and names the user and the first factor.

A refresh token is ``<session id>.<32 random bytes>`` (base64url): the session id finds the
session, and only the SHA-256 digest of the whole token is stored.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import jwt
from jwt.types import Options

from infra.auth import Clock
from infra.auth.keys import ALGORITHM, KeyStore

MFA_TTL_S = 300


@dataclass(frozen=True)
class TokenSettings:
    issuer: str
    audience: str
    access_ttl_s: int

    @property
    def mfa_audience(self) -> str:
        return f"{self.audience}:mfa"


class InvalidTicket(Exception):
    """The MFA ticket is missing, expired, forged or for something else."""


LEEWAY_S = 30


def untimed(require: list[str]) -> Options:
    """PyJWT options for our tokens: their times are judged by the injected clock
    (``check_times``), not by PyJWT's own."""
    return {"require": require, "verify_exp": False, "verify_iat": False, "verify_nbf": False}


def check_times(claims: dict[str, Any], now: datetime) -> None:
    """jwt.ExpiredSignatureError / ImmatureSignatureError unless ``now`` is within the token's
    lifetime (issued at most 30 s in the future: clocks differ a little between processes)."""
    moment = now.timestamp()
    if not isinstance(claims.get("exp"), int) or not isinstance(claims.get("iat"), int):
        raise jwt.InvalidTokenError("exp and iat must be integers")
    if moment >= claims["exp"]:
        raise jwt.ExpiredSignatureError("Signature has expired")
    if claims["iat"] > moment + LEEWAY_S:
        raise jwt.ImmatureSignatureError("The token is not yet valid (iat)")


def new_refresh_token(session_id: UUID) -> str:
    random = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    return f"{session_id}.{random}"


def refresh_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_of_refresh_token(token: str) -> UUID | None:
    session, _, rest = token.partition(".")
    if not rest:
        return None
    try:
        return UUID(session)
    except ValueError:
        return None


class TokenIssuer:
    def __init__(self, keys: KeyStore, settings: TokenSettings, clock: Clock) -> None:
        self._keys = keys
        self.settings = settings
        self._clock = clock

    def access_token(
        self, user_id: UUID, roles: list[str], session_id: UUID, amr: list[str]
    ) -> str:
        now = int(self._clock().timestamp())
        claims = {
            "iss": self.settings.issuer,
            "aud": self.settings.audience,
            "sub": str(user_id),
            "roles": roles,
            "sid": str(session_id),
            "amr": amr,
            "iat": now,
            "exp": now + self.settings.access_ttl_s,
            "jti": str(uuid.uuid4()),
        }
        return self._sign(claims)

    def mfa_ticket(self, user_id: UUID) -> str:
        now = int(self._clock().timestamp())
        claims = {
            "iss": self.settings.issuer,
            "aud": self.settings.mfa_audience,
            "sub": str(user_id),
            "amr": ["pwd"],
            "iat": now,
            "exp": now + MFA_TTL_S,
            "jti": str(uuid.uuid4()),
        }
        return self._sign(claims)

    def read_mfa_ticket(self, ticket: str) -> UUID:
        """The user a valid MFA ticket names; InvalidTicket otherwise."""
        try:
            kid = jwt.get_unverified_header(ticket).get("kid")
            key = None if not isinstance(kid, str) else self._keys.verification_key(kid)
            if key is None:
                raise InvalidTicket("unknown key")
            claims: dict[str, Any] = jwt.decode(
                ticket,
                key,
                algorithms=[ALGORITHM],
                audience=self.settings.mfa_audience,
                issuer=self.settings.issuer,
                options=untimed(["exp", "iat", "sub"]),
            )
            check_times(claims, self._clock())
            return UUID(str(claims["sub"]))
        except (jwt.InvalidTokenError, ValueError) as error:
            raise InvalidTicket(str(error)) from error

    def _sign(self, claims: dict[str, Any]) -> str:
        key = self._keys.signing_key()
        assert key.private_key is not None
        return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})
