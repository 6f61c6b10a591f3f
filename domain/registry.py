"""Names under which aggregates and events are stored: "<Aggregate>" and "<Aggregate><Event>".

The event store keeps these names (not Python topics), so classes can move between modules
without rewriting history. Renaming an entry here is a schema change.
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from domain.account import Account
from domain.payment import Payment
from domain.session import Session
from domain.transfer import Transfer
from domain.user import User

AGGREGATE_TYPES: dict[str, type[Aggregate]] = {
    "User": User,
    "Account": Account,
    "Payment": Payment,
    "Transfer": Transfer,
    "Session": Session,
}

# Listed explicitly: the library also generates a "Created" class on each aggregate, which we
# never trigger and must not store.
_EVENTS_BY_AGGREGATE: dict[str, tuple[type[Aggregate.Event], ...]] = {
    "User": (
        User.Registered,
        User.ProfileChanged,
        User.Deactivated,
        User.PersonalDataForgotten,
        User.PasswordChanged,
        User.TotpEnrolmentStarted,
        User.MfaEnabled,
        User.MfaDisabled,
        User.RecoveryCodeUsed,
        User.LoginSucceeded,
        User.LoginFailed,
        User.RoleGranted,
        User.RoleRevoked,
        User.SessionsRevoked,
        User.EmailVerified,
        User.PasswordResetRequested,
        User.PasswordReset,
        User.NotificationPreferencesChanged,
        User.NotificationsRead,
    ),
    "Account": (
        Account.Opened,
        Account.Credited,
        Account.Debited,
        Account.FundsHeld,
        Account.HoldReleased,
        Account.Frozen,
        Account.Unfrozen,
        Account.Closed,
    ),
    "Payment": (
        Payment.Authorized,
        Payment.Captured,
        Payment.Voided,
        Payment.Refunded,
    ),
    "Transfer": (Transfer.Completed,),
    "Session": (
        Session.Started,
        Session.Refreshed,
        Session.RefreshTokenReused,
        Session.Revoked,
    ),
}

EVENT_TYPES: dict[str, type[Aggregate.Event]] = {
    f"{aggregate_name}{event_class.__name__}": event_class
    for aggregate_name, event_classes in _EVENTS_BY_AGGREGATE.items()
    for event_class in event_classes
}

_NAMES_BY_EVENT_CLASS: dict[type[object], tuple[str, str]] = {
    event_class: (aggregate_name, f"{aggregate_name}{event_class.__name__}")
    for aggregate_name, event_classes in _EVENTS_BY_AGGREGATE.items()
    for event_class in event_classes
}


class UnknownEventType(LookupError):
    """An event (or stored type name) that is not in the registry: a programming error."""


def event_type_name(event: object) -> str:
    """The stored type name of an event (or event class), e.g. "AccountCredited"."""
    return _names_of(event)[1]


def stream_type_of(event: object) -> str:
    """The stored aggregate (stream) type of an event (or event class), e.g. "Account"."""
    return _names_of(event)[0]


def event_class_for(type_name: str) -> type[Aggregate.Event]:
    """The event class stored under ``type_name``."""
    try:
        return EVENT_TYPES[type_name]
    except KeyError:
        raise UnknownEventType(f"No event type named {type_name!r}.") from None


def schema_version_of(type_name: str) -> int:
    """The current schema version of the event type stored under ``type_name``."""
    version = getattr(event_class_for(type_name), "SCHEMA_VERSION", None)
    if not isinstance(version, int):
        raise TypeError(f"Event type {type_name!r} declares no int SCHEMA_VERSION.")
    return version


def _names_of(event: object) -> tuple[str, str]:
    event_class = event if isinstance(event, type) else type(event)
    try:
        return _NAMES_BY_EVENT_CLASS[event_class]
    except KeyError:
        raise UnknownEventType(f"{event_class.__qualname__} is not a stored event.") from None
