"""Stored names of aggregates and events, and the shape of every event class."""

from __future__ import annotations

import dataclasses
import typing
from uuid import UUID

import pytest

from domain.account import Account
from domain.registry import (
    AGGREGATE_TYPES,
    EVENT_TYPES,
    UnknownEventType,
    event_class_for,
    event_type_name,
    schema_version_of,
    stream_type_of,
)
from domain.session import Session
from domain.upcasting import UPCASTERS
from domain.user import User
from tests.domain.factories import an_account

EXPECTED_EVENT_TYPES = {
    "UserRegistered": User.Registered,
    "UserProfileChanged": User.ProfileChanged,
    "UserDeactivated": User.Deactivated,
    "UserPersonalDataForgotten": User.PersonalDataForgotten,
    "UserPasswordChanged": User.PasswordChanged,
    "UserTotpEnrolmentStarted": User.TotpEnrolmentStarted,
    "UserMfaEnabled": User.MfaEnabled,
    "UserMfaDisabled": User.MfaDisabled,
    "UserRecoveryCodeUsed": User.RecoveryCodeUsed,
    "UserLoginSucceeded": User.LoginSucceeded,
    "UserLoginFailed": User.LoginFailed,
    "UserRoleGranted": User.RoleGranted,
    "UserRoleRevoked": User.RoleRevoked,
    "UserSessionsRevoked": User.SessionsRevoked,
    "UserEmailVerified": User.EmailVerified,
    "UserPasswordResetRequested": User.PasswordResetRequested,
    "UserPasswordReset": User.PasswordReset,
    "UserNotificationPreferencesChanged": User.NotificationPreferencesChanged,
    "UserNotificationsRead": User.NotificationsRead,
    "SessionStarted": Session.Started,
    "SessionRefreshed": Session.Refreshed,
    "SessionRefreshTokenReused": Session.RefreshTokenReused,
    "SessionRevoked": Session.Revoked,
    "AccountOpened": Account.Opened,
    "AccountCredited": Account.Credited,
    "AccountDebited": Account.Debited,
    "AccountFundsHeld": Account.FundsHeld,
    "AccountHoldReleased": Account.HoldReleased,
    "AccountFrozen": Account.Frozen,
    "AccountUnfrozen": Account.Unfrozen,
    "AccountClosed": Account.Closed,
}


def test_aggregate_types_are_stored_under_their_class_names() -> None:
    assert {name: cls.__name__ for name, cls in AGGREGATE_TYPES.items()} == {
        "User": "User",
        "Account": "Account",
        "Payment": "Payment",
        "Transfer": "Transfer",
        "Session": "Session",
    }


def test_event_types_are_stored_as_aggregate_name_plus_event_class_name() -> None:
    assert set(EVENT_TYPES) == set(EXPECTED_EVENT_TYPES) | {
        "PaymentAuthorized",
        "PaymentCaptured",
        "PaymentVoided",
        "PaymentRefunded",
        "TransferCompleted",
    }
    for name, event_class in EXPECTED_EVENT_TYPES.items():
        assert EVENT_TYPES[name] is event_class


def test_the_name_and_stream_type_of_a_triggered_event_come_from_the_registry() -> None:
    opened, credited = an_account(balance=5).collect_events()
    assert (event_type_name(credited), stream_type_of(credited)) == ("AccountCredited", "Account")
    assert event_type_name(opened) == "AccountOpened"
    assert event_type_name(Account.Credited) == "AccountCredited"
    assert event_class_for("AccountCredited") is type(credited)


def test_the_library_generated_created_event_is_not_a_stored_event() -> None:
    with pytest.raises(UnknownEventType):
        event_type_name(Account.Created)
    with pytest.raises(UnknownEventType):
        event_class_for("AccountCreated")


@pytest.mark.parametrize("type_name", sorted(EVENT_TYPES))
def test_every_schema_version_above_1_has_an_upcaster_from_each_earlier_one(
    type_name: str,
) -> None:
    for version in range(1, schema_version_of(type_name)):
        UPCASTERS.upcast(type_name, version, {})  # raises without an upcaster for a step
    assert schema_version_of("UserRegistered") == 3  # v2 added password_hash, v3 language


@pytest.mark.parametrize("type_name", sorted(EVENT_TYPES))
def test_every_event_field_has_a_resolvable_type_and_ids_are_uuids(type_name: str) -> None:
    event_class = EVENT_TYPES[type_name]
    hints = typing.get_type_hints(event_class)
    for field in dataclasses.fields(event_class):  # type: ignore[arg-type]
        assert field.name in hints
        if field.name.endswith("_id"):
            assert hints[field.name] in (UUID, UUID | None)
