"""The events of the User stream: what each one records, and its schema version.

``domain.user`` declares them on the ``User`` aggregate (``User.Registered`` ...); the
eventsourcing library subclasses each there, and those subclasses are the classes stored under
"User<Name>" (``domain.registry``). Fields listed in ``event_store.personal_data`` are sealed with
the user's key and read back as None once the user is forgotten.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate


class UserEvent(Aggregate.Event):
    # Re-declared so typing.get_type_hints() reports UUID, not the library's TypeVar.
    originator_id: UUID


class Registered(UserEvent, Aggregate.Created):
    # v2 added password_hash (None for users registered before passwords existed), v3 the
    # language of the user's e-mails.
    SCHEMA_VERSION: ClassVar[int] = 3
    email: str
    full_name: str
    roles: list[str]
    password_hash: str | None
    language: str | None


class ProfileChanged(UserEvent):
    SCHEMA_VERSION: ClassVar[int] = 1
    # None means "unchanged".
    email: str | None
    full_name: str | None


class Deactivated(UserEvent):
    SCHEMA_VERSION: ClassVar[int] = 1


class PersonalDataForgotten(UserEvent):
    SCHEMA_VERSION: ClassVar[int] = 1


# Personal fields read back as None once the user is forgotten (their key is gone).
class PasswordChanged(UserEvent):
    SCHEMA_VERSION: ClassVar[int] = 1
    password_hash: str | None
    reason: str  # "changed" by the user, or "rehashed" with today's hashing parameters


class TotpEnrolmentStarted(UserEvent):
    SCHEMA_VERSION: ClassVar[int] = 1
    totp_secret: str | None


class MfaEnabled(UserEvent):
    SCHEMA_VERSION: ClassVar[int] = 1
    recovery_codes: str | None  # the codes' SHA-256 digests, comma-separated
    totp_step: int


class MfaDisabled(UserEvent):
    SCHEMA_VERSION: ClassVar[int] = 1
    totp_step: int | None


class RecoveryCodeUsed(UserEvent):
    SCHEMA_VERSION: ClassVar[int] = 1
    code_digest: str


class LoginSucceeded(UserEvent):
    SCHEMA_VERSION: ClassVar[int] = 1
    session_id: UUID
    amr: list[str]
    address: str | None
    user_agent: str | None
    totp_step: int | None


class LoginFailed(UserEvent):
    SCHEMA_VERSION: ClassVar[int] = 1
    reason: str  # "password" or "second-factor"
    address: str | None
    user_agent: str | None


class RoleGranted(UserEvent):
    SCHEMA_VERSION: ClassVar[int] = 1
    role: str


class RoleRevoked(UserEvent):
    SCHEMA_VERSION: ClassVar[int] = 1
    role: str


class SessionsRevoked(UserEvent):
    SCHEMA_VERSION: ClassVar[int] = 1
    keep_session_id: UUID | None
    reason: str


class EmailVerified(UserEvent):
    SCHEMA_VERSION: ClassVar[int] = 1
    email_version: int  # the version of the user at which the verified address was set


class PasswordResetRequested(UserEvent):
    SCHEMA_VERSION: ClassVar[int] = 1
    reset_id: UUID  # not a secret: the link is only good with our signature on it
    expires_at: str  # RFC 3339


class PasswordReset(UserEvent):
    SCHEMA_VERSION: ClassVar[int] = 1
    reset_id: UUID
    password_hash: str | None


class NotificationPreferencesChanged(UserEvent):
    SCHEMA_VERSION: ClassVar[int] = 1
    email: dict[str, bool]  # every optional kind -> on/off (security kinds: always on)
    language: str | None


class NotificationsRead(UserEvent):
    SCHEMA_VERSION: ClassVar[int] = 1
    up_to_position: int  # every inbox line at or below this event-store position is read
