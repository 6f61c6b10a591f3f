"""Account recovery by e-mail, as the routes call it: confirming an address from a verification
link, asking for a password reset, and completing a reset from its link.

Asking for a reset (``request_password_reset``) answers the same, after the same work, whether
or not anybody has the address: the throttle of the submitted address is checked and counted,
the address is looked up by its digest (the e-mail claim), and only then, for a real user, the
``RequestPasswordReset`` command is handed to ``later``, which the route runs after the answer
has gone out (as a failed login's record is): appending takes milliseconds an unknown address
would not spend. The notifier mails the link when it sees ``UserPasswordResetRequested``.

Following a link: the token is verified first (our signature, its purpose, its expiry:
``infra.auth.email_tokens``), then its nonce meets the user's state in a command. A new
password has passed the sign-up policy in the route's schema and is hashed here like a sign-up
password (argon2id; the event seals the hash). ``ResetPassword`` uses the pending reset up and
revokes every session; the account's login lock is lifted afterwards. Every refusal is an
``InvalidToken`` (400 naming ``token``) that tells nothing about the user beyond the link itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from uuid import UUID

import structlog

from commands.bus import CommandBus
from commands.context import CommandContext
from commands.errors import InvalidToken, NotFound
from commands.messages import Command, RequestPasswordReset, ResetPassword, VerifyEmail
from commands.result import CommandResult
from domain.errors import (
    DomainError,
    EmailVerificationOutdated,
    PasswordResetNotPending,
    UserDeactivated,
    UserForgotten,
)
from event_store.store import EventStore
from infra.auth import Clock
from infra.auth.email_tokens import (
    EmailPurpose,
    EmailTokenClaims,
    EmailTokens,
    InvalidEmailToken,
    email_version_of,
)
from infra.auth.passwords import PasswordHasher
from infra.auth.service import Later, run_now, user_by_email
from infra.auth.throttle import (
    LoginLocked,
    LoginThrottle,
    PasswordResetLimited,
    account_key,
    reset_key,
)

log = structlog.get_logger(__name__)


class RecoveryService:
    def __init__(
        self,
        bus: CommandBus,
        store: EventStore,
        hasher: PasswordHasher,
        throttle: LoginThrottle,
        tokens: EmailTokens,
        clock: Clock,
    ) -> None:
        self._bus = bus
        self._store = store
        self._hasher = hasher
        self._throttle = throttle
        self.tokens = tokens
        self._clock = clock

    def verify_email(self, token: str, ctx: CommandContext) -> CommandResult:
        """Mark the address the link was sent to as verified (nothing new if it already is)."""
        claims = self._claims(token, "verify-email")
        try:
            email_version = email_version_of(claims.nonce)
        except InvalidEmailToken as error:
            raise InvalidToken(str(error)) from error
        return self._execute(VerifyEmail(claims.user_id, email_version), ctx)

    def request_password_reset(
        self, email: str, ctx: CommandContext, later: Later = run_now
    ) -> None:
        """Start a reset for whoever has ``email``, if anybody (PasswordResetLimited when the
        address has asked too often)."""
        key = reset_key(email)
        try:
            self._throttle.check(key)
        except LoginLocked as error:
            raise PasswordResetLimited(error.retry_after_s) from error
        self._throttle.record_attempt(key)
        user_id = user_by_email(self._store, email)
        if user_id is None:
            return
        lifetime = self.tokens.lifetimes_s["password-reset"]
        expires_at = self._clock() + timedelta(seconds=lifetime)
        later(self._requester(RequestPasswordReset(user_id, uuid.uuid4(), expires_at), ctx))

    def reset_password(self, token: str, new_password: str, ctx: CommandContext) -> CommandResult:
        """Set ``new_password`` (already policy-checked) through the link's pending reset."""
        claims = self._claims(token, "password-reset")
        try:
            reset_id = UUID(claims.nonce)
        except ValueError as error:
            raise InvalidToken() from error
        new_hash = self._hasher.hash(new_password)
        result = self._execute(ResetPassword(claims.user_id, reset_id, new_hash), ctx)
        email = result.detail.get("email")
        if isinstance(email, str):
            self._throttle.succeeded(account_key(email))
        return result

    def _claims(self, token: str, purpose: EmailPurpose) -> EmailTokenClaims:
        try:
            return self.tokens.verify(token, purpose)
        except InvalidEmailToken as error:
            raise InvalidToken(str(error)) from error

    def _execute(self, command: Command, ctx: CommandContext) -> CommandResult:
        try:
            return self._bus.execute(command, ctx)
        except (PasswordResetNotPending, EmailVerificationOutdated) as error:
            raise InvalidToken(str(error)) from error
        except (NotFound, UserDeactivated, UserForgotten) as error:
            # A signed link for a user who is gone or deactivated: say no more than that.
            raise InvalidToken() from error

    def _requester(self, command: RequestPasswordReset, ctx: CommandContext) -> Callable[[], None]:
        def request() -> None:
            try:
                self._bus.execute(command, ctx)
            except DomainError as error:  # a deactivated user cannot reset: expected
                log.info("password_reset_refused", user_id=str(command.user_id), reason=error.code)
            except Exception as error:  # after the answer: nobody to tell but the log
                log.warning("password_reset_not_recorded", error=repr(error))

        return request
