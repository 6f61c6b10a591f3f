"""JWT bearer authentication: token verification, dev-token minting and the principal
dependencies (``CurrentPrincipal``, ``OptionalPrincipal``) the routes declare.

Accepted tokens:
- ES256 tokens Ledgerline issues itself (``infra.auth.tokens``), by ``kid`` from our key store,
  with our issuer and audience and a session id;
- RS256 tokens of an outside issuer, when its public key or JWKS is configured;
- HS256 development tokens (``ledgerline auth token``), except in production.

Verifying an ES256 signature is the dearest step of authenticating a request, and a client sends
the same token for minutes: ``VerifiedTokens`` remembers what a token's signature and claims
yielded (bounded, per process). Whatever can change its answer over time is still checked on
every use: the key must still vouch for the token (not retired too long ago), and the token must
be within its lifetime by the store's clock. A token is only ever remembered after it passed
every check, so a cache hit never accepts what a full verification would refuse.

Only authentication lives here. Whether a principal may act on an aggregate depends on the
aggregate's state, so authorisation happens in the command bus (which raises ``Forbidden``).
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import jwt
from cryptography.hazmat.primitives import serialization
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer

from commands.context import ANONYMOUS, ROLES, Principal
from infra.auth.keys import ALGORITHM, KeyStore
from infra.auth.tokens import check_times, untimed
from infra.settings import Settings

_REALM = 'Bearer realm="ledgerline"'


class Unauthenticated(Exception):
    """No usable bearer token; rendered as a 401 problem with a ``WWW-Authenticate`` challenge."""

    def __init__(self, detail: str, *, invalid_token: bool = True) -> None:
        super().__init__(detail)
        self.challenge = f'{_REALM}, error="invalid_token"' if invalid_token else _REALM


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    principal: Principal
    kid: str
    claims: dict[str, Any]  # what check_times needs: exp and iat


class VerifiedTokens:
    """Our tokens whose signature and claims were verified, up to ``max_entries`` (the oldest
    go first); see the module docstring."""

    def __init__(self, max_entries: int = 4096) -> None:
        self._entries: dict[str, VerifiedToken] = {}
        self._max_entries = max_entries

    def get(self, token: str) -> VerifiedToken | None:
        return self._entries.get(token)

    def put(self, token: str, verified: VerifiedToken) -> None:
        if len(self._entries) >= self._max_entries:
            # dicts keep insertion order: drop the oldest entry
            self._entries.pop(next(iter(self._entries)), None)
        self._entries[token] = verified


def decode_token(
    settings: Settings,
    token: str,
    keys: KeyStore | None = None,
    verified: VerifiedTokens | None = None,
) -> Principal:
    """Verify ``token`` and turn its claims into a principal, or raise ``Unauthenticated``.

    ES256 tokens are checked against our own keys (``keys``), HS256 tokens against the shared
    development secret, RS256 tokens against the configured public key or JWKS. The key is
    chosen from our configuration for the algorithm, never from the token, so a public key can
    never be abused as an HS256 secret, and ``alg: none`` has no key at all. ``verified``
    remembers our tokens once verified (see ``VerifiedTokens``)."""
    known = verified.get(token) if verified is not None else None
    if known is not None:
        assert keys is not None  # only our tokens, verified against these keys, are remembered
        _our_key(keys, known.kid)
        try:
            check_times(known.claims, keys.now())
        except jwt.ExpiredSignatureError as error:
            raise Unauthenticated("The token has expired.") from error
        except jwt.ImmatureSignatureError as error:
            raise Unauthenticated("The token is not valid yet.") from error
        return known.principal
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as error:
        raise Unauthenticated("The token is malformed or invalid.") from error
    algorithm = header.get("alg")
    ours = algorithm == ALGORITHM
    key = (
        _our_key(keys, header.get("kid"))
        if ours
        else _verification_key(settings, algorithm, header.get("kid"))
    )
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[str(algorithm)],
            audience=settings.auth_audience if ours else settings.jwt_audience,
            issuer=settings.auth_issuer if ours else settings.jwt_issuer,
            options=untimed(["exp", "iat", "sub", "sid"]) if ours else {"require": ["exp", "sub"]},
        )
        if ours:
            assert keys is not None  # _our_key found the key there
            check_times(claims, keys.now())
    except jwt.ExpiredSignatureError as error:
        raise Unauthenticated("The token has expired.") from error
    except jwt.ImmatureSignatureError as error:
        raise Unauthenticated("The token is not valid yet.") from error
    except jwt.InvalidSignatureError as error:
        raise Unauthenticated("The token signature is invalid.") from error
    except jwt.InvalidAudienceError as error:
        raise Unauthenticated("The token is for another audience.") from error
    except jwt.InvalidIssuerError as error:
        raise Unauthenticated("The token comes from another issuer.") from error
    except jwt.MissingRequiredClaimError as error:
        raise Unauthenticated(f"The token lacks the {error.claim!r} claim.") from error
    except jwt.InvalidTokenError as error:
        raise Unauthenticated("The token is malformed or invalid.") from error
    principal = Principal(
        user_id=_user_id(claims.get("sub")),
        roles=_roles(claims.get("roles")),
        session_id=_user_id(claims["sid"]) if ours else None,
    )
    if ours and verified is not None:
        times = {"exp": claims["exp"], "iat": claims["iat"]}
        verified.put(token, VerifiedToken(principal, str(header["kid"]), times))
    return principal


def _our_key(keys: KeyStore | None, kid: object) -> Any:
    key = keys.verification_key(kid) if keys is not None and isinstance(kid, str) else None
    if key is None:
        raise Unauthenticated("The token's key id is not one of ours (or has been retired).")
    return key


def _verification_key(settings: Settings, algorithm: object, kid: object) -> Any:
    if algorithm == settings.jwt_algorithm and settings.dev_tokens_allowed:
        return settings.jwt_secret.get_secret_value()
    if algorithm == "RS256":
        if settings.jwt_jwks_file is not None:
            keys = _jwks(str(settings.jwt_jwks_file))
            if not isinstance(kid, str) or kid not in keys:
                raise Unauthenticated("The token's key id is not in the configured key set.")
            return keys[kid]
        if settings.jwt_public_key_file is not None:
            return _public_key(str(settings.jwt_public_key_file))
    raise Unauthenticated("The token algorithm is not accepted.")


@functools.cache
def _public_key(path: str) -> Any:
    """The PEM public key, read once per process (restart to rotate)."""
    return serialization.load_pem_public_key(Path(path).read_bytes())


@functools.cache
def _jwks(path: str) -> dict[str, Any]:
    """The RSA keys of a JWKS file by key id, read once per process (restart to rotate)."""
    key_set = jwt.PyJWKSet.from_json(Path(path).read_text())
    return {key.key_id: key.key for key in key_set.keys if key.key_id and key.key_type == "RSA"}


def _user_id(sub: object) -> UUID:
    try:
        return UUID(str(sub))
    except ValueError as error:
        raise Unauthenticated("The token subject is not a user id.") from error


def _roles(claim: object) -> frozenset[str]:
    if not isinstance(claim, list) or not claim:
        raise Unauthenticated("The token's roles claim must be a non-empty list.")
    if not all(isinstance(role, str) for role in claim):
        raise Unauthenticated("The token's roles must be strings.")
    unknown = set(claim) - ROLES
    if unknown:
        raise Unauthenticated(f"The token carries unknown roles: {', '.join(sorted(unknown))}.")
    return frozenset(claim)


def mint_token(settings: Settings, sub: UUID | str, roles: Iterable[str], ttl_s: int) -> str:
    """Sign a development token for ``sub`` with ``roles`` valid ``ttl_s`` seconds;
    ``ValueError`` on bad input (and in production). Used by ``ledgerline auth token`` and
    tests."""
    if not settings.dev_tokens_allowed:
        raise ValueError("development tokens are refused in production (LEDGERLINE_ENV)")
    try:
        user_id = sub if isinstance(sub, UUID) else UUID(sub)
    except ValueError as error:
        raise ValueError(f"sub must be a UUID, got {sub!r}") from error
    role_list = sorted(set(roles))
    if not role_list:
        raise ValueError("at least one role is required")
    unknown = set(role_list) - ROLES
    if unknown:
        raise ValueError(
            f"unknown role(s): {', '.join(sorted(unknown))}; expected {', '.join(sorted(ROLES))}"
        )
    if isinstance(ttl_s, bool) or not isinstance(ttl_s, int) or ttl_s <= 0:
        raise ValueError(f"ttl must be a positive number of seconds, got {ttl_s!r}")
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "roles": role_list,
        "iat": now,
        "exp": now + ttl_s,
        "jti": str(uuid.uuid4()),
    }
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    return jwt.encode(
        claims, settings.jwt_secret.get_secret_value(), algorithm=settings.jwt_algorithm
    )


# auto_error=False: a missing token must become our 401 problem, not FastAPI's own error.
_bearer = HTTPBearer(auto_error=False, bearerFormat="JWT", description="A Ledgerline JWT.")
_Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
# The same header, documented a second way: the OAuth 2.0 password flow against our token
# endpoint, so the docs' "Authorize" button can log in with an e-mail address and a password.
# (Relative: the query API's docs reach it through the gateway, which serves both APIs.)
_oauth2 = OAuth2PasswordBearer(
    tokenUrl="/v1/auth/token",
    auto_error=False,
    description="Log in with your e-mail address (as username) and password.",
)
_OAuth2Token = Annotated[str | None, Depends(_oauth2)]


def _token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    if credentials is not None:
        return credentials.credentials
    if request.headers.get("authorization"):
        raise Unauthenticated("The Authorization header must carry a Bearer token.")
    return None


async def current_principal(
    request: Request, credentials: _Credentials, _: _OAuth2Token
) -> Principal:
    """The authenticated principal; 401 without a valid bearer token."""
    token = _token(request, credentials)
    if token is None:
        raise Unauthenticated("A bearer token is required.", invalid_token=False)
    return _decode(request, token)


async def optional_principal(
    request: Request, credentials: _Credentials, _: _OAuth2Token
) -> Principal:
    """The principal if a token is sent (an invalid one is still a 401), else anonymous."""
    token = _token(request, credentials)
    return ANONYMOUS if token is None else _decode(request, token)


def _decode(request: Request, token: str) -> Principal:
    """``decode_token`` with the app's settings, key store and verified tokens (created on
    first use). Read from the app's state here rather than declared as dependencies: every
    authenticated request comes through, and each dependency costs FastAPI a resolution."""
    state = request.app.state
    keys: KeyStore | None = getattr(state, "key_store", None)
    verified: VerifiedTokens | None = getattr(state, "verified_tokens", None)
    if verified is None:
        verified = state.verified_tokens = VerifiedTokens()
    return decode_token(state.settings, token, keys, verified)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal, Depends(optional_principal)]
