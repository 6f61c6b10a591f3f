"""User aggregate: registration, profile changes, deactivation, erasure of personal data, and
the user's credentials and security record: password hash, second factor (TOTP and recovery
codes), roles, logins and failed logins, and the revocation of all sessions.

The domain never sees a password or a TOTP code: the write side hashes and verifies them
(``infra.auth``) and hands the domain the outcome. Password hashes, TOTP secrets and recovery
code digests are personal data, sealed with the user's key (``event_store.personal_data``).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal, Self
from uuid import UUID

from eventsourcing.domain import Aggregate, CanInitAggregate, event

from domain.errors import (
    InvalidEmail,
    InvalidInput,
    InvalidName,
    InvalidRole,
    MfaAlreadyEnabled,
    MfaNotEnabled,
    NoTotpEnrolment,
    RoleNotHeld,
    UserDeactivated,
    UserForgotten,
)

UserStatus = Literal["active", "deactivated"]

ROLES: frozenset[str] = frozenset({"customer", "operator", "auditor", "admin"})
DEFAULT_ROLES: tuple[str, ...] = ("customer",)
STAFF_ROLES: frozenset[str] = frozenset({"operator", "auditor", "admin"})
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 254
# A sanity check, not RFC 5322: one "@", no whitespace, a dot in the domain part.
_EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def normalize_email(value: object) -> str:
    """Return the email stripped and lower-cased, or raise InvalidEmail."""
    if not isinstance(value, str):
        raise InvalidEmail("The email address must be a string.")
    email = value.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL_PATTERN.fullmatch(email):
        # The message never quotes the value: it reaches problem bodies and logs, and an
        # address (even a mistyped one) is personal data.
        raise InvalidEmail(
            f"The email address is not valid (one @, a dot in the domain, no spaces,"
            f" at most {MAX_EMAIL_LENGTH} characters)."
        )
    return email


def normalize_full_name(value: object) -> str:
    """Return the full name stripped, or raise InvalidName."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidName("The full name must be a non-empty string.")
    full_name = value.strip()
    if len(full_name) > MAX_NAME_LENGTH:
        raise InvalidName(f"The full name must be at most {MAX_NAME_LENGTH} characters.")
    return full_name


def normalize_roles(value: object) -> list[str]:
    """Return the roles without duplicates (order kept), ["customer"] for None."""
    if value is None:
        return list(DEFAULT_ROLES)
    if not isinstance(value, list | tuple | set | frozenset) or not value:
        raise InvalidRole("Roles must be a non-empty list.")
    unknown = [role for role in value if role not in ROLES]
    if unknown:
        raise InvalidRole(f"Unknown roles {unknown!r}; allowed: {sorted(ROLES)}.")
    return list(dict.fromkeys(value))


class User(Aggregate):
    """A person who signs in; owns accounts. Email uniqueness is enforced by the write side."""

    class Event(Aggregate.Event):
        # Re-declared so typing.get_type_hints() reports UUID, not the library's TypeVar.
        originator_id: UUID

    class Registered(Event, Aggregate.Created):
        # v2 added password_hash (None for users registered before passwords existed).
        SCHEMA_VERSION: ClassVar[int] = 2
        email: str
        full_name: str
        roles: list[str]
        password_hash: str | None

    class ProfileChanged(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        # None means "unchanged".
        email: str | None
        full_name: str | None

    class Deactivated(Event):
        SCHEMA_VERSION: ClassVar[int] = 1

    class PersonalDataForgotten(Event):
        SCHEMA_VERSION: ClassVar[int] = 1

    # Personal fields read back as None once the user is forgotten (their key is gone).
    class PasswordChanged(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        password_hash: str | None
        reason: str  # "changed" by the user, or "rehashed" with today's hashing parameters

    class TotpEnrolmentStarted(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        totp_secret: str | None

    class MfaEnabled(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        recovery_codes: str | None  # the codes' SHA-256 digests, comma-separated
        totp_step: int

    class MfaDisabled(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        totp_step: int | None

    class RecoveryCodeUsed(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        code_digest: str

    class LoginSucceeded(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        session_id: UUID
        amr: list[str]
        address: str | None
        user_agent: str | None
        totp_step: int | None

    class LoginFailed(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        reason: str  # "password" or "second-factor"
        address: str | None
        user_agent: str | None

    class RoleGranted(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        role: str

    class RoleRevoked(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        role: str

    class SessionsRevoked(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        keep_session_id: UUID | None
        reason: str

    @classmethod
    def _create(
        cls,
        event_class: type[CanInitAggregate[UUID]],
        *,
        id: UUID | None = None,
        **kwargs: Any,
    ) -> Self:
        # __init__ is replayed for every stored Registered event, so the command input is
        # validated and normalised here, once, before the event exists (see domain/__init__).
        kwargs["email"] = normalize_email(kwargs.get("email"))
        kwargs["full_name"] = normalize_full_name(kwargs.get("full_name"))
        kwargs["roles"] = normalize_roles(kwargs.get("roles"))
        return super()._create(event_class, id=id, **kwargs)

    @event(Registered)
    def __init__(
        self,
        email: str,
        full_name: str,
        roles: list[str] | None = None,
        password_hash: str | None = None,
    ) -> None:
        self.email: str | None = email
        self.full_name: str | None = full_name
        self.roles: list[str] = list(DEFAULT_ROLES if roles is None else roles)
        self.status: UserStatus = "active"
        self.personal_data_forgotten: bool = False
        self.password_hash: str | None = password_hash
        self.pending_totp_secret: str | None = None
        self.totp_secret: str | None = None
        self.recovery_codes: list[str] = []
        self.last_totp_step: int = -1
        # Sessions started under an earlier generation are revoked, except ``kept_session``.
        self.session_generation: int = 0
        self.kept_session: UUID | None = None
        # Sessions of the current generation (some may have ended on their own since).
        self.session_ids: list[UUID] = []

    @property
    def mfa_enabled(self) -> bool:
        return self.totp_secret is not None

    def token_roles(self, *, staff_roles_need_mfa: bool) -> list[str]:
        """The roles a token may carry: staff roles only once a second factor is on."""
        if self.mfa_enabled or not staff_roles_need_mfa:
            return sorted(self.roles)
        return sorted(role for role in self.roles if role not in STAFF_ROLES)

    def session_is_current(self, session_id: UUID, generation: int) -> bool:
        """Whether a session started in ``generation`` survived every "revoke all sessions"."""
        return generation == self.session_generation or session_id == self.kept_session

    # -- invariants -------------------------------------------------------------------------

    def check_is_not_forgotten(self) -> None:
        if self.personal_data_forgotten:
            raise UserForgotten(f"User {self.id} has had their personal data forgotten.")

    def check_is_active(self) -> None:
        if self.status == "deactivated":
            raise UserDeactivated(f"User {self.id} is deactivated.")

    def check_can_open_account(self) -> None:
        self.check_is_not_forgotten()
        self.check_is_active()

    def check_can_change_profile(self) -> None:
        self.check_is_not_forgotten()
        self.check_is_active()

    def check_can_deactivate(self) -> None:
        self.check_is_active()

    def check_can_forget_personal_data(self) -> None:
        self.check_is_not_forgotten()

    def check_can_log_in(self) -> None:
        """Whether a login may be attempted at all (the credentials are checked elsewhere)."""
        self.check_is_not_forgotten()
        self.check_is_active()

    # -- commands: validate, then trigger the event ---------------------------------------------

    def change_profile(self, *, email: str | None = None, full_name: str | None = None) -> None:
        self.check_can_change_profile()
        new_email = None if email is None else normalize_email(email)
        new_full_name = None if full_name is None else normalize_full_name(full_name)
        if new_email is None and new_full_name is None:
            raise InvalidInput("A profile change needs an email or a full name.")
        self._profile_changed(email=new_email, full_name=new_full_name)

    def deactivate(self) -> None:
        self.check_can_deactivate()
        self._deactivated()

    def forget_personal_data(self) -> None:
        self.check_can_forget_personal_data()
        self._personal_data_forgotten()

    # -- credentials --------------------------------------------------------------------------

    def change_password(self, password_hash: str, *, reason: str = "changed") -> None:
        self.check_can_log_in()
        self._password_changed(password_hash=password_hash, reason=reason)

    def start_totp_enrolment(self, totp_secret: str) -> None:
        self.check_can_log_in()
        if self.mfa_enabled:
            raise MfaAlreadyEnabled()
        self._totp_enrolment_started(totp_secret=totp_secret)

    def enable_mfa(self, recovery_code_digests: list[str], totp_step: int) -> None:
        """Turn the pending TOTP secret on; the caller has checked a code of it at
        ``totp_step`` (``check_totp_step_unused`` first)."""
        self.check_can_log_in()
        if self.mfa_enabled:
            raise MfaAlreadyEnabled()
        if self.pending_totp_secret is None:
            raise NoTotpEnrolment()
        self.check_totp_step_unused(totp_step)
        self._mfa_enabled(recovery_codes=",".join(recovery_code_digests), totp_step=totp_step)

    def disable_mfa(self, totp_step: int | None) -> None:
        if not self.mfa_enabled:
            raise MfaNotEnabled()
        if totp_step is not None:
            self.check_totp_step_unused(totp_step)
        self._mfa_disabled(totp_step=totp_step)

    def check_totp_step_unused(self, step: int) -> None:
        """A TOTP code is good once: a step at or before the last one used is a replay."""
        if step <= self.last_totp_step:
            raise InvalidInput("This code has been used already; wait for the next one.")

    def use_recovery_code(self, code_digest: str) -> None:
        if code_digest not in self.recovery_codes:
            raise InvalidInput("Unknown or already used recovery code.")
        self._recovery_code_used(code_digest=code_digest)

    def record_login(
        self,
        session_id: UUID,
        amr: list[str],
        *,
        address: str | None,
        user_agent: str | None,
        totp_step: int | None = None,
    ) -> None:
        self.check_can_log_in()
        if totp_step is not None:
            self.check_totp_step_unused(totp_step)
        self._login_succeeded(
            session_id=session_id,
            amr=amr,
            address=address,
            user_agent=user_agent,
            totp_step=totp_step,
        )

    def record_failed_login(
        self, reason: str, *, address: str | None, user_agent: str | None
    ) -> None:
        self._login_failed(reason=reason, address=address, user_agent=user_agent)

    def grant_role(self, role: str) -> None:
        self.check_can_log_in()
        normalize_roles([role])
        if role not in self.roles:
            self._role_granted(role=role)

    def revoke_role(self, role: str) -> None:
        normalize_roles([role])
        if role not in self.roles:
            raise RoleNotHeld()
        if role == "customer":
            raise InvalidRole("The customer role is every user's and cannot be revoked.")
        self._role_revoked(role=role)

    def revoke_sessions(self, *, keep: UUID | None, reason: str) -> list[UUID]:
        """Revoke every session but ``keep``; returns the ones to end (the caller ends each
        session's own stream too, so that nothing shows it as active)."""
        ending = [sid for sid in self.session_ids if sid != keep]
        self._sessions_revoked(keep_session_id=keep, reason=reason)
        return ending

    # -- event application: runs on trigger and on replay, so it never validates -----------

    @event(ProfileChanged)
    def _profile_changed(self, email: str | None, full_name: str | None) -> None:
        if email is not None:
            self.email = email
        if full_name is not None:
            self.full_name = full_name

    @event(Deactivated)
    def _deactivated(self) -> None:
        self.status = "deactivated"

    @event(PersonalDataForgotten)
    def _personal_data_forgotten(self) -> None:
        self.email = None
        self.full_name = None
        self.personal_data_forgotten = True
        self.password_hash = None
        self.pending_totp_secret = None
        self.totp_secret = None
        self.recovery_codes = []

    @event(PasswordChanged)
    def _password_changed(self, password_hash: str | None, reason: str) -> None:
        self.password_hash = password_hash

    @event(TotpEnrolmentStarted)
    def _totp_enrolment_started(self, totp_secret: str | None) -> None:
        self.pending_totp_secret = totp_secret

    @event(MfaEnabled)
    def _mfa_enabled(self, recovery_codes: str | None, totp_step: int) -> None:
        self.totp_secret = self.pending_totp_secret
        self.pending_totp_secret = None
        # None once forgotten (sealed and unreadable): no codes left.
        self.recovery_codes = recovery_codes.split(",") if recovery_codes else []
        self.last_totp_step = max(self.last_totp_step, totp_step)

    @event(MfaDisabled)
    def _mfa_disabled(self, totp_step: int | None) -> None:
        self.totp_secret = None
        self.pending_totp_secret = None
        self.recovery_codes = []
        if totp_step is not None:
            self.last_totp_step = max(self.last_totp_step, totp_step)

    @event(RecoveryCodeUsed)
    def _recovery_code_used(self, code_digest: str) -> None:
        self.recovery_codes = [code for code in self.recovery_codes if code != code_digest]

    @event(LoginSucceeded)
    def _login_succeeded(
        self,
        session_id: UUID,
        amr: list[str],
        address: str | None,
        user_agent: str | None,
        totp_step: int | None,
    ) -> None:
        if totp_step is not None:
            self.last_totp_step = max(self.last_totp_step, totp_step)
        self.session_ids = [*self.session_ids, session_id]

    @event(LoginFailed)
    def _login_failed(self, reason: str, address: str | None, user_agent: str | None) -> None:
        pass

    @event(RoleGranted)
    def _role_granted(self, role: str) -> None:
        self.roles = [*self.roles, role]

    @event(RoleRevoked)
    def _role_revoked(self, role: str) -> None:
        self.roles = [r for r in self.roles if r != role]

    @event(SessionsRevoked)
    def _sessions_revoked(self, keep_session_id: UUID | None, reason: str) -> None:
        self.session_generation += 1
        self.kept_session = keep_session_id
        self.session_ids = [] if keep_session_id is None else [keep_session_id]
