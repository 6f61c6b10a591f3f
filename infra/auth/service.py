"""The auth flows the HTTP routes call: log in (one or two steps), refresh, log out, and the
pieces they share (the throttle, the command bus, token issuing).

Login, in order: refuse at once if the account (by e-mail digest) or the client address is
locked; find the user by the digest of the e-mail address (an unknown address does the work of
a failed verification, a dummy argon2 check, and gets the same answer); let the ``LogIn``
command verify the password against the user's state and record the outcome on the user's
stream; count a failure against both throttle keys, or clear the account's on success. With a
second factor the answer is an MFA ticket; ``complete_mfa`` turns ticket + code into a session.

A failed attempt on a real account is recorded on its stream (``UserLoginFailed``) by a task
the caller runs after the answer has gone out (``later``: the routes hand in FastAPI's
background tasks): appending the event takes milliseconds an unknown address would not spend,
and the answer must not tell the two apart.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog

from commands.bus import CommandBus
from commands.context import ANONYMOUS, CommandContext, Principal
from commands.errors import InvalidCredentials, NotFound
from commands.handlers import EMAIL_CLAIM, email_claim_value
from commands.messages import (
    CompleteMfaLogin,
    LogIn,
    LogOut,
    NewSession,
    RecordFailedLogin,
    RefreshSession,
)
from domain.errors import DomainError, SessionEnded
from domain.profile import normalize_email
from event_store.store import EventStore
from infra import business_metrics
from infra.auth import totp
from infra.auth.passwords import PasswordHasher
from infra.auth.throttle import LoginLocked, LoginThrottle, account_key, address_key
from infra.auth.tokens import (
    InvalidTicket,
    TokenIssuer,
    new_refresh_token,
    refresh_token_digest,
    session_of_refresh_token,
)

log = structlog.get_logger(__name__)

# Runs a function after the answer has been sent (by default: now).
Later = Callable[[Callable[[], None]], None]


def run_now(task: Callable[[], None]) -> None:
    task()


class InvalidGrant(Exception):
    """A refresh token that is unknown, used up, revoked or expired (OAuth ``invalid_grant``)."""


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_in: int
    refresh_token: str
    token_type: str = "Bearer"


@dataclass(frozen=True)
class MfaChallenge:
    mfa_token: str


@dataclass(frozen=True)
class ClientInfo:
    address: str | None
    user_agent: str | None


class HashingCredentials:
    """``commands.auth_handlers.Credentials`` over argon2 and TOTP."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self._hasher = hasher

    def verify_password(self, password_hash: str | None, password: str) -> bool:
        return self._hasher.verify(password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.needs_rehash(password_hash)

    def hash_password(self, password: str) -> str:
        return self._hasher.hash(password)

    def totp_step(self, secret: str | None, code: str, now: datetime) -> int | None:
        return None if secret is None else totp.matching_step(secret, code, now)

    def recovery_code_digest(self, user_id: UUID, code: str) -> str:
        return totp.recovery_code_digest(user_id, code)


class AuthService:
    def __init__(
        self,
        bus: CommandBus,
        store: EventStore,
        hasher: PasswordHasher,
        issuer: TokenIssuer,
        throttle: LoginThrottle,
    ) -> None:
        self._bus = bus
        self._store = store
        self.hasher = hasher
        self._issuer = issuer
        self._throttle = throttle

    def log_in(
        self,
        email: str,
        password: str,
        client: ClientInfo,
        ctx: CommandContext,
        later: Later = run_now,
    ) -> Tokens | MfaChallenge:
        keys = (account_key(email), address_key(client.address))
        try:
            self._throttle.check(*keys)
        except LoginLocked:
            business_metrics.observe_login("locked")
            raise
        user_id = user_by_email(self._store, email)
        if user_id is None:
            self.hasher.dummy_verify(password)
            self._throttle.failed(*keys)
            business_metrics.observe_login("failed")
            raise InvalidCredentials()
        refresh = new_refresh_token(uuid.uuid4())
        new = self._new_session(refresh, client)
        result = self._bus.execute(LogIn(user_id, password, new), _anonymous(ctx))
        if not result.detail.get("ok"):
            self._throttle.failed(*keys)
            business_metrics.observe_login("failed")
            later(self._recorder(user_id, result.detail["reason"], client, ctx))
            raise InvalidCredentials()
        business_metrics.observe_login("succeeded")
        self._throttle.succeeded(keys[0])
        if result.detail.get("mfa_required"):
            return MfaChallenge(self._issuer.mfa_ticket(user_id))
        return self._tokens(result.detail, refresh)

    def complete_mfa(
        self,
        ticket: str,
        code: str,
        client: ClientInfo,
        ctx: CommandContext,
        later: Later = run_now,
    ) -> Tokens:
        try:
            user_id = self._issuer.read_mfa_ticket(ticket)
        except InvalidTicket as error:
            raise InvalidCredentials("The MFA token is not valid or has expired.") from error
        # Codes are guessable one by one: the same lock as passwords, per user and address.
        keys = (f"account:mfa-{user_id}", address_key(client.address))
        self._throttle.check(*keys)
        refresh = new_refresh_token(uuid.uuid4())
        new = self._new_session(refresh, client)
        result = self._bus.execute(CompleteMfaLogin(user_id, code, new), _anonymous(ctx))
        if not result.detail.get("ok"):
            self._throttle.failed(*keys)
            business_metrics.observe_login("mfa_failed")
            if "reason" in result.detail:
                later(self._recorder(user_id, result.detail["reason"], client, ctx))
            raise InvalidCredentials()
        self._throttle.succeeded(keys[0])
        return self._tokens(result.detail, refresh)

    def refresh(self, refresh_token: str, ctx: CommandContext) -> Tokens:
        session_id = session_of_refresh_token(refresh_token)
        if session_id is None:
            raise InvalidGrant("The refresh token is malformed.")
        rotated = new_refresh_token(session_id)
        command = RefreshSession(
            session_id, refresh_token_digest(refresh_token), refresh_token_digest(rotated)
        )
        try:
            result = self._bus.execute(command, _anonymous(ctx))
        except (NotFound, SessionEnded) as error:
            raise InvalidGrant("The refresh token is not valid.") from error
        except DomainError as error:
            raise InvalidGrant(str(error)) from error
        if not result.detail.get("ok"):
            raise InvalidGrant("The refresh token was used before: the session is revoked.")
        return self._tokens(result.detail, rotated)

    def log_out(self, principal: Principal, ctx: CommandContext) -> None:
        if principal.session_id is None:
            raise InvalidCredentials("Only a token from a login can log out.")
        self._bus.execute(LogOut(principal.session_id), ctx)

    def _recorder(
        self, user_id: UUID, reason: str, client: ClientInfo, ctx: CommandContext
    ) -> Callable[[], None]:
        command = RecordFailedLogin(
            user_id, reason, client.address, (client.user_agent or "")[:300] or None
        )

        def record() -> None:
            try:
                self._bus.execute(command, _anonymous(ctx))
            except Exception as error:  # after the answer: nobody to tell but the log
                log.warning("failed_login_not_recorded", error=repr(error))

        return record

    def _new_session(self, refresh: str, client: ClientInfo) -> NewSession:
        session_id = session_of_refresh_token(refresh)
        assert session_id is not None
        return NewSession(
            session_id=session_id,
            refresh_digest=refresh_token_digest(refresh),
            address=client.address,
            user_agent=(client.user_agent or "")[:300] or None,
        )

    def _tokens(self, detail: dict[str, Any], refresh: str) -> Tokens:
        access = self._issuer.access_token(
            detail["user_id"], detail["roles"], detail["session_id"], detail["amr"]
        )
        return Tokens(access, self._issuer.settings.access_ttl_s, refresh)


def user_by_email(store: EventStore, email: str) -> UUID | None:
    """The user who has ``email`` now, by the digest the write side claims it under (one
    indexed read, whether or not anyone has it)."""
    try:
        normalized = normalize_email(email)
    except DomainError:
        return None
    return store.claim_owner(EMAIL_CLAIM, email_claim_value(normalized))


def _anonymous(ctx: CommandContext) -> CommandContext:
    """Logins and refreshes act for nobody yet: no bearer token, no idempotency key."""
    return CommandContext(
        principal=ANONYMOUS,
        correlation_id=ctx.correlation_id,
        causation_id=ctx.causation_id,
        client_address=ctx.client_address,
    )
