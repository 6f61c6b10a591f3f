"""Handlers of the auth commands: logins, refresh-token rotation, logout, password change, the
second factor, session revocation and roles.

They need services the plain handlers do not (password verification, TOTP codes, the clock,
the auth policy), so ``auth_handlers(services)`` binds those in and the bus is built with the
result. Credentials are checked here, against the state the command loaded, so a login and a
concurrent password change cannot disagree. A failed login answers ``detail["ok"]`` False and
appends nothing; ``RecordFailedLogin`` records it afterwards (see ``infra.auth.service``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol
from uuid import UUID

from commands.authorization import require_user_or_admin
from commands.context import Principal
from commands.errors import Forbidden, InvalidCode, NotFound, WrongPassword
from commands.handlers import Handler, Outcome
from commands.messages import (
    ChangePassword,
    CompleteMfaLogin,
    ConfirmTotpEnrolment,
    DisableMfa,
    GrantRole,
    LogIn,
    LogOut,
    NewSession,
    RecordFailedLogin,
    RefreshSession,
    RevokeAllSessions,
    RevokeRole,
    RevokeSession,
    StartTotpEnrolment,
)
from commands.session import Session as UnitOfWork
from domain.errors import DomainError, SessionEnded
from domain.session import Session
from domain.user import User


class Credentials(Protocol):
    """What the handlers need to check secrets (``infra.auth`` provides it)."""

    def verify_password(self, password_hash: str | None, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...

    def hash_password(self, password: str) -> str: ...

    def totp_step(self, secret: str | None, code: str, now: datetime) -> int | None: ...

    def recovery_code_digest(self, user_id: UUID, code: str) -> str: ...


@dataclass(frozen=True)
class AuthPolicy:
    staff_roles_need_mfa: bool
    refresh_token_ttl_s: int


@dataclass(frozen=True)
class AuthServices:
    credentials: Credentials
    policy: AuthPolicy
    clock: Callable[[], datetime]


def _signed_in(user: User, session: Session, policy: AuthPolicy) -> dict[str, Any]:
    return {
        "ok": True,
        "user_id": user.id,
        "session_id": session.id,
        "roles": user.token_roles(staff_roles_need_mfa=policy.staff_roles_need_mfa),
        "amr": list(session.amr),
    }


def auth_handlers(services: AuthServices) -> dict[type[Any], Handler]:
    credentials, policy, clock = services.credentials, services.policy, services.clock

    def start_session(uow: UnitOfWork, user: User, new: NewSession, amr: list[str]) -> Session:
        expires = clock() + timedelta(seconds=policy.refresh_token_ttl_s)
        session = Session(
            id=new.session_id,
            user_id=user.id,
            amr=amr,
            address=new.address,
            user_agent=new.user_agent,
            refresh_digest=new.refresh_digest,
            generation=user.session_generation,
            expires_at=expires.isoformat(),
        )
        uow.add(session)
        return session

    def second_factor(user: User, code: str) -> int | Literal[False] | None:
        """The TOTP step the code matches (None when it is an unused recovery code, which is
        then spent), or False. A step at or before the last one used is a replay."""
        step = credentials.totp_step(user.totp_secret, code, clock())
        if step is not None and step > user.last_totp_step:
            return step
        digest = credentials.recovery_code_digest(user.id, code)
        if digest not in user.recovery_codes:
            return False
        user.use_recovery_code(digest)
        return None

    def failed(user: User, reason: str) -> Outcome:
        # Recorded by a RecordFailedLogin after the answer has gone out (AuthService), so
        # that a wrong password costs no more time than an unknown address.
        return Outcome(user, detail={"ok": False, "reason": reason})

    def record_failed_login(
        cmd: RecordFailedLogin, uow: UnitOfWork, principal: Principal
    ) -> Outcome:
        user = uow.get(User, cmd.user_id)
        if not user.personal_data_forgotten:  # a forgotten user has no key to seal with
            user.record_failed_login(cmd.reason, address=cmd.address, user_agent=cmd.user_agent)
        return Outcome(user)

    def log_in(cmd: LogIn, uow: UnitOfWork, principal: Principal) -> Outcome:
        user = uow.get(User, cmd.user_id)
        if not credentials.verify_password(user.password_hash, cmd.password):
            return failed(user, "password")
        try:
            user.check_can_log_in()
        except DomainError:
            return failed(user, "password")  # the same answer as a wrong password
        assert user.password_hash is not None
        if credentials.needs_rehash(user.password_hash):
            user.change_password(credentials.hash_password(cmd.password), reason="rehashed")
        if user.mfa_enabled:
            return Outcome(user, detail={"ok": True, "mfa_required": True})
        user.record_login(
            cmd.session.session_id,
            ["pwd"],
            address=cmd.session.address,
            user_agent=cmd.session.user_agent,
        )
        session = start_session(uow, user, cmd.session, ["pwd"])
        return Outcome(session, created=True, detail=_signed_in(user, session, policy))

    def complete_mfa_login(cmd: CompleteMfaLogin, uow: UnitOfWork, principal: Principal) -> Outcome:
        user = uow.get(User, cmd.user_id)
        try:
            user.check_can_log_in()
        except DomainError:
            return Outcome(user, detail={"ok": False})
        step = second_factor(user, cmd.code)
        if step is False:
            return failed(user, "second-factor")
        user.record_login(
            cmd.session.session_id,
            ["pwd", "otp"],
            address=cmd.session.address,
            user_agent=cmd.session.user_agent,
            totp_step=step,
        )
        session = start_session(uow, user, cmd.session, ["pwd", "otp"])
        return Outcome(session, created=True, detail=_signed_in(user, session, policy))

    def refresh_session(cmd: RefreshSession, uow: UnitOfWork, principal: Principal) -> Outcome:
        session = uow.get(Session, cmd.session_id)
        user = uow.get(User, session.user_id)
        try:
            user.check_can_log_in()
        except DomainError as error:
            raise SessionEnded() from error
        if not user.session_is_current(session.id, session.generation):
            raise SessionEnded()
        if not session.refresh(cmd.presented_digest, cmd.new_digest, clock()):
            return Outcome(session, detail={"ok": False, "reason": "refresh-token-reused"})
        return Outcome(session, detail=_signed_in(user, session, policy))

    def log_out(cmd: LogOut, uow: UnitOfWork, principal: Principal) -> Outcome:
        session = uow.get(Session, cmd.session_id, addressed=True)
        if principal.session_id != session.id:
            raise Forbidden("only the session itself may log out")
        session.revoke("logout")
        return Outcome(session)

    def change_password(cmd: ChangePassword, uow: UnitOfWork, principal: Principal) -> Outcome:
        user = uow.get(User, cmd.user_id, addressed=True)
        require_user_or_admin(principal, user.id)
        if not credentials.verify_password(user.password_hash, cmd.current_password):
            raise WrongPassword("current_password", "The current password is not correct.")
        user.change_password(cmd.new_password_hash)
        keep = principal.session_id if principal.user_id == user.id else None
        ending = user.revoke_sessions(keep=keep, reason="password-changed")
        end_sessions(uow, ending, "password-changed")
        return Outcome(user)

    def start_totp_enrolment(
        cmd: StartTotpEnrolment, uow: UnitOfWork, principal: Principal
    ) -> Outcome:
        user = uow.get(User, cmd.user_id, addressed=True)
        _require_self(principal, user.id)
        user.start_totp_enrolment(cmd.totp_secret)
        return Outcome(user)

    def confirm_totp_enrolment(
        cmd: ConfirmTotpEnrolment, uow: UnitOfWork, principal: Principal
    ) -> Outcome:
        user = uow.get(User, cmd.user_id, addressed=True)
        _require_self(principal, user.id)
        step = credentials.totp_step(user.pending_totp_secret, cmd.code, clock())
        if step is None or step <= user.last_totp_step:
            raise InvalidCode()
        user.enable_mfa(list(cmd.recovery_code_digests), step)
        return Outcome(user)

    def disable_mfa(cmd: DisableMfa, uow: UnitOfWork, principal: Principal) -> Outcome:
        user = uow.get(User, cmd.user_id, addressed=True)
        _require_self(principal, user.id)
        if not credentials.verify_password(user.password_hash, cmd.password):
            raise WrongPassword("password")
        step = second_factor(user, cmd.code)
        if step is False:
            raise InvalidCode()
        user.disable_mfa(step)
        return Outcome(user)

    def revoke_session(cmd: RevokeSession, uow: UnitOfWork, principal: Principal) -> Outcome:
        require_user_or_admin(principal, cmd.user_id)
        session = uow.get(Session, cmd.session_id, addressed=True)
        if session.user_id != cmd.user_id:
            raise NotFound("Session", cmd.session_id)
        session.revoke("revoked")
        return Outcome(session)

    def revoke_all_sessions(
        cmd: RevokeAllSessions, uow: UnitOfWork, principal: Principal
    ) -> Outcome:
        user = uow.get(User, cmd.user_id, addressed=True)
        require_user_or_admin(principal, user.id)
        ending = user.revoke_sessions(keep=None, reason="revoked-everywhere")
        end_sessions(uow, ending, "revoked-everywhere")
        return Outcome(user)

    def grant_role(cmd: GrantRole, uow: UnitOfWork, principal: Principal) -> Outcome:
        _require_admin(principal)
        user = uow.get(User, cmd.user_id, addressed=True)
        user.grant_role(cmd.role)
        return Outcome(user)

    def revoke_role(cmd: RevokeRole, uow: UnitOfWork, principal: Principal) -> Outcome:
        _require_admin(principal)
        user = uow.get(User, cmd.user_id, addressed=True)
        user.revoke_role(cmd.role)
        return Outcome(user)

    return {
        LogIn: log_in,
        RecordFailedLogin: record_failed_login,
        CompleteMfaLogin: complete_mfa_login,
        RefreshSession: refresh_session,
        LogOut: log_out,
        ChangePassword: change_password,
        StartTotpEnrolment: start_totp_enrolment,
        ConfirmTotpEnrolment: confirm_totp_enrolment,
        DisableMfa: disable_mfa,
        RevokeSession: revoke_session,
        RevokeAllSessions: revoke_all_sessions,
        GrantRole: grant_role,
        RevokeRole: revoke_role,
    }


def end_sessions(uow: UnitOfWork, session_ids: list[UUID], reason: str) -> None:
    """End each session's own stream (a no-op for one that ended already)."""
    for session_id in session_ids:
        uow.get(Session, session_id).revoke(reason)


def _require_self(principal: Principal, user_id: UUID) -> None:
    """A second factor is the user's own business: not even an admin may set one up."""
    if principal.user_id != user_id:
        raise Forbidden("only the user themself may change their second factor")


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("only an admin may change roles")
