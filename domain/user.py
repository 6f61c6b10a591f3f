"""User aggregate: registration, profile changes, deactivation, erasure of personal data, and
the user's credentials and security record: password hash, second factor (TOTP and recovery
codes), roles, logins and failed logins, and the revocation of all sessions; e-mail address
verification, password reset by e-mail, and which e-mails the user wants in which language.

The domain never sees a password or a TOTP code: the write side hashes and verifies them
(``infra.auth``) and hands the domain the outcome. Password hashes, TOTP secrets and recovery
code digests are personal data, sealed with the user's key (``event_store.personal_data``).

E-mail links carry a nonce the user's state must still match, so a link outlives nothing it
was sent for: a verification link names the version of the user at which the address was set
(``email_version``: a link sent to an old address cannot verify a new one), a reset link names
the pending reset (``PasswordResetRequested.reset_id``: a newer request, a completed reset, a
password change or a new address each make it useless). The links themselves are signed
elsewhere (``infra.auth.email_tokens``); the domain only sees the nonce.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, Self
from uuid import UUID

from eventsourcing.domain import Aggregate, CanInitAggregate, event

from domain import user_events
from domain.errors import (
    EmailVerificationOutdated,
    InvalidInput,
    InvalidRole,
    MfaAlreadyEnabled,
    MfaNotEnabled,
    NoTotpEnrolment,
    PasswordResetNotPending,
    RoleNotHeld,
    UserDeactivated,
    UserForgotten,
)
from domain.preferences import (
    default_email_preferences,
    merged_email_preferences,
    normalize_language,
)
from domain.profile import (
    DEFAULT_ROLES,
    STAFF_ROLES,
    normalize_email,
    normalize_full_name,
    normalize_roles,
    normalized_registration,
)

UserStatus = Literal["active", "deactivated"]


class User(Aggregate):
    """A person who signs in; owns accounts. Email uniqueness is enforced by the write side."""

    # Declared in domain.user_events; the library subclasses each one here.
    Event = user_events.UserEvent
    Registered = user_events.Registered
    ProfileChanged = user_events.ProfileChanged
    Deactivated = user_events.Deactivated
    PersonalDataForgotten = user_events.PersonalDataForgotten
    PasswordChanged = user_events.PasswordChanged
    TotpEnrolmentStarted = user_events.TotpEnrolmentStarted
    MfaEnabled = user_events.MfaEnabled
    MfaDisabled = user_events.MfaDisabled
    RecoveryCodeUsed = user_events.RecoveryCodeUsed
    LoginSucceeded = user_events.LoginSucceeded
    LoginFailed = user_events.LoginFailed
    RoleGranted = user_events.RoleGranted
    RoleRevoked = user_events.RoleRevoked
    SessionsRevoked = user_events.SessionsRevoked
    EmailVerified = user_events.EmailVerified
    PasswordResetRequested = user_events.PasswordResetRequested
    PasswordReset = user_events.PasswordReset
    NotificationPreferencesChanged = user_events.NotificationPreferencesChanged
    NotificationsRead = user_events.NotificationsRead

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
        return super()._create(event_class, id=id, **normalized_registration(kwargs))

    @event(Registered)
    def __init__(
        self,
        email: str,
        full_name: str,
        roles: list[str] | None = None,
        password_hash: str | None = None,
        language: str | None = None,
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
        # The address was set by the event of this version (Registered is version 1).
        self.email_version: int = 1
        self.email_verified: bool = False
        # The password reset asked for last, until it is used or voided (then both None).
        self.pending_reset_id: UUID | None = None
        self.reset_expires_at: datetime | None = None
        self.email_preferences: dict[str, bool] = default_email_preferences()
        self.language: str | None = language  # None once forgotten
        self.notifications_read_up_to: int = 0  # an event-store position (the inbox's order)

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
        if new_email == self.email:
            # The same address again is no change: recording it would cost the user their
            # verification (a form that always sends every field must not do that).
            new_email = None
            if new_full_name is None:
                return
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

    # -- e-mail: verification, password reset, preferences --------------------------------------

    def verify_email(self, email_version: int) -> None:
        """Confirm the address set at ``email_version`` (the nonce of the verification link);
        idempotent while that address stays."""
        self.check_is_not_forgotten()
        self.check_is_active()
        if email_version != self.email_version:
            raise EmailVerificationOutdated()
        if not self.email_verified:
            self._email_verified(email_version=email_version)

    def request_password_reset(self, reset_id: UUID, expires_at: datetime) -> None:
        """Start a reset (replacing any pending one); a link naming ``reset_id`` completes it."""
        self.check_can_log_in()
        self._password_reset_requested(reset_id=reset_id, expires_at=expires_at.isoformat())

    def reset_password(self, reset_id: UUID, password_hash: str, now: datetime) -> None:
        """Set a new password through the pending reset ``reset_id``, which this uses up. The
        caller revokes the sessions (``revoke_sessions``) in the same command."""
        self.check_can_log_in()
        if self.pending_reset_id != reset_id:
            raise PasswordResetNotPending()
        assert self.reset_expires_at is not None
        if now >= self.reset_expires_at:
            raise PasswordResetNotPending("This password reset has expired.")
        self._password_reset(reset_id=reset_id, password_hash=password_hash)

    def change_notification_preferences(
        self, email: Mapping[str, object], language: str | None = None
    ) -> None:
        """Turn optional e-mail kinds on or off (kinds left out keep their setting) and/or set
        the language (None: unchanged). Nothing is recorded when nothing changes."""
        self.check_can_change_profile()
        merged = merged_email_preferences(self.email_preferences, email)
        new_language = self.language if language is None else normalize_language(language)
        if merged != self.email_preferences or new_language != self.language:
            self._notification_preferences_changed(email=merged, language=new_language)

    def mark_notifications_read(self, up_to_position: int) -> None:
        """Every inbox line at or below ``up_to_position`` is read. A mark never moves back:
        one at or below the current one records nothing (a repeat, or an older tab)."""
        self.check_is_not_forgotten()
        if up_to_position > self.notifications_read_up_to:
            self._notifications_read(up_to_position=up_to_position)

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
            # A new address is unverified, and a reset link sent to the old one is void.
            self.email_version = self.version + 1  # this event's version
            self.email_verified = False
            self._void_pending_reset()
        if full_name is not None:
            self.full_name = full_name

    @event(Deactivated)
    def _deactivated(self) -> None:
        self.status = "deactivated"
        self._void_pending_reset()

    @event(PersonalDataForgotten)
    def _personal_data_forgotten(self) -> None:
        self.email = None
        self.full_name = None
        self.personal_data_forgotten = True
        self.password_hash = None
        self.pending_totp_secret = None
        self.totp_secret = None
        self.recovery_codes = []
        self._void_pending_reset()
        self.email_verified = False
        self.email_preferences = default_email_preferences()
        self.language = None

    @event(PasswordChanged)
    def _password_changed(self, password_hash: str | None, reason: str) -> None:
        self.password_hash = password_hash
        if reason != "rehashed":
            # Whoever changed it knew the password: a reset asked for earlier is moot.
            self._void_pending_reset()

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

    @event(EmailVerified)
    def _email_verified(self, email_version: int) -> None:
        self.email_verified = email_version == self.email_version

    @event(PasswordResetRequested)
    def _password_reset_requested(self, reset_id: UUID, expires_at: str) -> None:
        self.pending_reset_id = reset_id
        self.reset_expires_at = datetime.fromisoformat(expires_at)

    @event(PasswordReset)
    def _password_reset(self, reset_id: UUID, password_hash: str | None) -> None:
        self.password_hash = password_hash
        self._void_pending_reset()

    @event(NotificationPreferencesChanged)
    def _notification_preferences_changed(
        self, email: dict[str, bool], language: str | None
    ) -> None:
        self.email_preferences = dict(email)
        self.language = language

    @event(NotificationsRead)
    def _notifications_read(self, up_to_position: int) -> None:
        self.notifications_read_up_to = up_to_position

    def _void_pending_reset(self) -> None:
        # Not an event of its own: called by the events that void a pending reset.
        self.pending_reset_id = None
        self.reset_expires_at = None
