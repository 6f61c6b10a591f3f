"""The MongoDB read model of users and their login sessions (pure folds, see
``mongo_projection``).

A user document shows the profile, status, roles, whether a second factor is on, whether the
current e-mail address is verified, the e-mail preferences (``notification_preferences``: each
optional kind on or off; security kinds are always on) and their ``language``; never a password
hash or a TOTP secret. Forgetting a user clears the language and the preferences too. Security
events that change nothing visible (a login, a failed login, a password change, a reset request)
still advance the document's version, which the version guard needs.
A session document (collection ``sessions``) shows when and from where a session started,
when it was last refreshed and whether it is active; its address and user agent are dropped
when it ends (forgetting a user ends every session of theirs), so only active sessions carry
them.
"""

from __future__ import annotations

from typing import Any

from domain.preferences import default_email_preferences
from projections.documents import Data, Handler, created, evolved, existing
from projections.notifications import notification
from projections.operations import Document, Envelope, Projected


def _user_registered(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    doc = created(
        envelope,
        current,
        email=data["email"],
        full_name=data["full_name"],
        status="active",
        roles=list(data.get("roles") or []),
        personal_data_forgotten=False,
        mfa_enabled=False,
        email_verified=False,
        language=data.get("language"),
        notification_preferences=default_email_preferences(),
        notifications_read_up_to=0,
        session_generation=0,
        kept_session=None,
    )
    return Projected(doc)


def _user_profile_changed(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    user = existing(envelope, current)
    # None means "unchanged" in this event.
    changes = {key: data[key] for key in ("email", "full_name") if data.get(key) is not None}
    if "email" in changes:
        changes["email_verified"] = False  # a new address is unverified
    doc = evolved(envelope, user, **changes)
    # The text must not depend on the personal fields: once a user is forgotten they read back
    # as None, and a rebuild has to produce the same line the live projector wrote.
    line = notification(envelope, user_id=user["id"], message="Your profile was updated")
    return Projected(doc, [("notifications", line)])


def _user_deactivated(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    user = existing(envelope, current)
    line = notification(envelope, user_id=user["id"], message="Your user was deactivated")
    return Projected(evolved(envelope, user, status="deactivated"), [("notifications", line)])


def _user_forgotten(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    user = existing(envelope, current)
    doc = evolved(
        envelope,
        user,
        email=None,
        full_name=None,
        personal_data_forgotten=True,
        email_verified=False,
        language=None,
        notification_preferences=None,
    )
    return Projected(doc)


def _unchanged(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    """A security event with nothing to show: the version still moves on."""
    return Projected(evolved(envelope, existing(envelope, current)))


def _noticed(message: str, **fields: Any) -> Handler:
    """A security event that puts ``message`` in the user's inbox and sets ``fields``."""

    def handle(envelope: Envelope, data: Data, current: Document | None) -> Projected:
        user = existing(envelope, current)
        line = notification(envelope, user_id=user["id"], message=message)
        return Projected(evolved(envelope, user, **fields), [("notifications", line)])

    return handle


def _password_changed(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    user = existing(envelope, current)
    if data.get("reason") == "rehashed":  # our doing, not the user's: nothing to tell
        return Projected(evolved(envelope, user))
    line = notification(envelope, user_id=user["id"], message="Your password was changed")
    return Projected(evolved(envelope, user), [("notifications", line)])


def _notifications_read(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    user = existing(envelope, current)
    return Projected(evolved(envelope, user, notifications_read_up_to=data["up_to_position"]))


def _notification_preferences_changed(
    envelope: Envelope, data: Data, current: Document | None
) -> Projected:
    user = existing(envelope, current)
    doc = evolved(
        envelope,
        user,
        notification_preferences=dict(data["email"]),
        language=data.get("language"),
    )
    return Projected(doc)


def _role_granted(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    user = existing(envelope, current)
    roles = sorted({*user.get("roles", []), data["role"]})
    return Projected(evolved(envelope, user, roles=roles))


def _role_revoked(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    user = existing(envelope, current)
    roles = [role for role in user.get("roles", []) if role != data["role"]]
    return Projected(evolved(envelope, user, roles=roles))


def _sessions_revoked(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    user = existing(envelope, current)
    doc = evolved(
        envelope,
        user,
        session_generation=int(user.get("session_generation", 0)) + 1,
        kept_session=data.get("keep_session_id"),
    )
    return Projected(doc)


# -- sessions -------------------------------------------------------------------------------


def _session_started(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    doc = created(
        envelope,
        current,
        user_id=data["user_id"],
        amr=list(data.get("amr") or []),
        address=data.get("address"),
        user_agent=data.get("user_agent"),
        generation=int(data.get("generation") or 0),
        expires_at=data["expires_at"],
        last_used_at=envelope.get("recorded_at"),
        status="active",
    )
    return Projected(doc)


def _session_refreshed(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    session = existing(envelope, current)
    return Projected(evolved(envelope, session, last_used_at=envelope.get("recorded_at")))


def _session_ended(reason: str | None) -> Handler:
    def handle(envelope: Envelope, data: Data, current: Document | None) -> Projected:
        session = existing(envelope, current)
        doc = evolved(
            envelope,
            session,
            status="ended",
            ended_reason=reason or data.get("reason"),
            address=None,
            user_agent=None,
        )
        return Projected(doc)

    return handle


USER_HANDLERS: dict[str, tuple[str, Handler]] = {
    "UserRegistered": ("User", _user_registered),
    "UserProfileChanged": ("User", _user_profile_changed),
    "UserDeactivated": ("User", _user_deactivated),
    "UserPersonalDataForgotten": ("User", _user_forgotten),
    "UserPasswordChanged": ("User", _password_changed),
    "UserTotpEnrolmentStarted": ("User", _unchanged),
    "UserMfaEnabled": ("User", _noticed("Two-step login was turned on", mfa_enabled=True)),
    "UserMfaDisabled": ("User", _noticed("Two-step login was turned off", mfa_enabled=False)),
    "UserRecoveryCodeUsed": ("User", _unchanged),
    "UserLoginSucceeded": ("User", _unchanged),
    "UserLoginFailed": ("User", _unchanged),
    "UserRoleGranted": ("User", _role_granted),
    "UserRoleRevoked": ("User", _role_revoked),
    "UserSessionsRevoked": ("User", _sessions_revoked),
    "UserEmailVerified": (
        "User",
        _noticed("Your e-mail address was verified", email_verified=True),
    ),
    # Anyone may ask for a reset of any address: nothing to show until it is used.
    "UserPasswordResetRequested": ("User", _unchanged),
    "UserPasswordReset": ("User", _noticed("Your password was reset")),
    "UserNotificationPreferencesChanged": ("User", _notification_preferences_changed),
    "UserNotificationsRead": ("User", _notifications_read),
    "SessionStarted": ("Session", _session_started),
    "SessionRefreshed": ("Session", _session_refreshed),
    "SessionRefreshTokenReused": ("Session", _session_ended("refresh-token-reused")),
    "SessionRevoked": ("Session", _session_ended(None)),
}
