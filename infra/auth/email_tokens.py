"""Purpose-bound tokens for e-mail links ("verify your address", "reset your password"), and
the links that carry them.

A link token is an ES256 JWT signed with our access-token keys (``infra.auth.keys``), with an
audience of its own per purpose (``<aud>:verify-email``, ``<aud>:password-reset``). So a link
token is never accepted as an access token (wrong audience; no session, no roles), and neither
an access token nor the other purpose's token is accepted as a link. Claims: ``iss``, ``aud``,
``sub`` (the user), ``nonce`` (what the user's state must still match: ``domain.user``),
``iat``, ``exp``, ``jti``.

The token is the link's secret: it is never stored, logged or put in an event. The notifier
mints one as it sends the mail, with the nonce of the event it is mailing about:
- verify-email: ``verify_email_nonce(version)`` of the ``UserRegistered`` event, or of a
  ``UserProfileChanged`` event that carries an ``email`` (the version at which the address was
  set: a link sent to an old address cannot verify a new one);
- password-reset: the ``reset_id`` of ``UserPasswordResetRequested``, living at most until its
  ``expires_at`` (a newer request, the reset itself or a new address void it).
The write API verifies the token when the link is followed (``infra.auth.recovery``).

Lifetimes default to the settings (``LEDGERLINE_VERIFY_EMAIL_TOKEN_TTL_S``, 24 h;
``LEDGERLINE_PASSWORD_RESET_TOKEN_TTL_S``, 30 min) and are also the most ``mint`` accepts: the
key store keeps a rotated key verifying link tokens for that long, and no longer.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args
from urllib.parse import urlencode
from uuid import UUID

import jwt

from infra.auth import Clock
from infra.auth.keys import ALGORITHM, KeyStore
from infra.auth.tokens import check_times, untimed

EmailPurpose = Literal["verify-email", "password-reset"]
PURPOSES: tuple[EmailPurpose, ...] = get_args(EmailPurpose)
DEFAULT_LIFETIMES_S: Mapping[EmailPurpose, int] = {
    "verify-email": 24 * 3600,
    "password-reset": 30 * 60,
}
MAX_NONCE_LENGTH = 200
# The page of the web console each link opens; it posts the token to the write API.
_LINK_PATHS: Mapping[EmailPurpose, str] = {
    "verify-email": "verify-email",
    "password-reset": "reset-password",
}

InvalidReason = Literal["malformed", "signature", "expired", "purpose"]
_MESSAGES: Mapping[InvalidReason, str] = {
    "malformed": "The link is not valid.",
    "signature": "The link is not valid (not signed by us, or signed with a retired key).",
    "expired": "The link has expired; ask for a new one.",
    "purpose": "The link is for something else.",
}


class InvalidEmailToken(Exception):
    """A link token that is forged, expired, malformed or of another purpose. The message
    says which (``reason``) and nothing about the token or the user."""

    def __init__(self, reason: InvalidReason) -> None:
        super().__init__(_MESSAGES[reason])
        self.reason: InvalidReason = reason


@dataclass(frozen=True)
class EmailTokenClaims:
    user_id: UUID
    nonce: str


def verify_email_nonce(email_version: int) -> str:
    """The nonce of a verification link: the user version at which the address was set."""
    return str(email_version)


def email_version_of(nonce: str) -> int:
    """The user version a verification nonce names; InvalidEmailToken if it names none."""
    if not nonce.isdigit() or len(nonce) > 18:
        raise InvalidEmailToken("malformed")
    return int(nonce)


def email_link(public_url: str, purpose: EmailPurpose, token: str) -> str:
    """The link to put in the mail: ``{public_url}/verify-email?token=…`` or
    ``{public_url}/reset-password?token=…``."""
    return f"{public_url.rstrip('/')}/{_LINK_PATHS[purpose]}?{urlencode({'token': token})}"


class EmailTokens:
    """Mints and verifies link tokens with the key store's keys, judged by ``clock``."""

    def __init__(
        self,
        keys: KeyStore,
        issuer: str,
        clock: Clock,
        *,
        audience: str = "ledgerline",
        lifetimes_s: Mapping[EmailPurpose, int] = DEFAULT_LIFETIMES_S,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._clock = clock
        self._audience = audience
        self.lifetimes_s: Mapping[EmailPurpose, int] = {
            purpose: int(lifetimes_s[purpose]) for purpose in PURPOSES
        }

    def audience(self, purpose: EmailPurpose) -> str:
        return f"{self._audience}:{purpose}"

    def mint(
        self, purpose: EmailPurpose, user_id: UUID, nonce: str, ttl_s: int | None = None
    ) -> str:
        """A token for ``purpose`` naming ``user_id`` and ``nonce``, valid ``ttl_s`` seconds
        (default and maximum: the purpose's lifetime). ValueError on bad arguments."""
        lifetime = self._lifetime(purpose)
        ttl = lifetime if ttl_s is None else ttl_s
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 < ttl <= lifetime:
            raise ValueError(f"ttl_s must be 1..{lifetime} seconds for {purpose} links")
        if not isinstance(nonce, str) or not 0 < len(nonce) <= MAX_NONCE_LENGTH:
            raise ValueError(f"the nonce must be a string of 1..{MAX_NONCE_LENGTH} characters")
        now = int(self._clock().timestamp())
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self.audience(purpose),
            "sub": str(user_id),
            "nonce": nonce,
            "iat": now,
            "exp": now + ttl,
            "jti": str(uuid.uuid4()),
        }
        key = self._keys.signing_key()
        assert key.private_key is not None
        return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})

    def verify(self, token: str, purpose: EmailPurpose) -> EmailTokenClaims:
        """The user and nonce of a valid, unexpired token of ``purpose``; InvalidEmailToken
        otherwise."""
        lifetime = self._lifetime(purpose)
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.InvalidTokenError as error:
            raise InvalidEmailToken("malformed") from error
        key = (
            self._keys.verification_key(kid, token_ttl_s=lifetime) if isinstance(kid, str) else None
        )
        if key is None:
            raise InvalidEmailToken("signature")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience(purpose),
                issuer=self._issuer,
                options=untimed(["iss", "aud", "sub", "iat", "exp"]),
            )
            check_times(claims, self._clock())
        except jwt.InvalidAudienceError as error:
            raise InvalidEmailToken("purpose") from error
        except jwt.InvalidSignatureError as error:
            raise InvalidEmailToken("signature") from error
        except jwt.ExpiredSignatureError as error:
            raise InvalidEmailToken("expired") from error
        except jwt.InvalidTokenError as error:
            raise InvalidEmailToken("malformed") from error
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise InvalidEmailToken("malformed")
        try:
            return EmailTokenClaims(UUID(str(claims["sub"])), nonce)
        except ValueError as error:
            raise InvalidEmailToken("malformed") from error

    def _lifetime(self, purpose: EmailPurpose) -> int:
        if purpose not in self.lifetimes_s:
            raise ValueError(f"unknown purpose {purpose!r}; expected one of {PURPOSES}")
        return self.lifetimes_s[purpose]
