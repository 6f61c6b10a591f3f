"""Handlers of account recovery by e-mail: confirming an address, asking for a password reset,
and completing one.

The link a user follows has been checked before the command exists (``infra.auth.recovery``:
our signature, its purpose, its expiry); it names the user and carries a nonce, and here the
nonce meets the user's state (``domain.user``). Nobody is logged in for these: the signed link
is the authority, so the principal is not consulted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from commands.auth_handlers import end_sessions
from commands.context import Principal
from commands.handlers import Handler, Outcome
from commands.messages import RequestPasswordReset, ResetPassword, VerifyEmail
from commands.session import Session as UnitOfWork
from domain.user import User


def recovery_handlers(clock: Callable[[], datetime]) -> dict[type[Any], Handler]:
    """The handlers, with ``clock`` to judge a reset's expiry by."""

    def verify_email(cmd: VerifyEmail, uow: UnitOfWork, principal: Principal) -> Outcome:
        user = uow.get(User, cmd.user_id, addressed=True)
        user.verify_email(cmd.email_version)
        return Outcome(user)

    def request_password_reset(
        cmd: RequestPasswordReset, uow: UnitOfWork, principal: Principal
    ) -> Outcome:
        user = uow.get(User, cmd.user_id)
        user.request_password_reset(cmd.reset_id, cmd.expires_at)
        return Outcome(user)

    def reset_password(cmd: ResetPassword, uow: UnitOfWork, principal: Principal) -> Outcome:
        user = uow.get(User, cmd.user_id, addressed=True)
        user.reset_password(cmd.reset_id, cmd.new_password_hash, clock())
        # Whoever held the old password (or a stolen session) is logged out everywhere.
        ending = user.revoke_sessions(keep=None, reason="password-reset")
        end_sessions(uow, ending, "password-reset")
        # The caller clears the login lock of this address (it never leaves the process).
        return Outcome(user, detail={"email": user.email})

    return {
        VerifyEmail: verify_email,
        RequestPasswordReset: request_password_reset,
        ResetPassword: reset_password,
    }
