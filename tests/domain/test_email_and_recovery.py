"""The user's e-mail rules without servers: an address starts unverified and a verification
only confirms the address it was sent for; a password reset is used once, only while it is the
latest and unexpired, and is voided by a newer request, a password change or a new address;
e-mail preferences never turn security mails off; forgetting leaves no language."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.errors import (
    EmailVerificationOutdated,
    InvalidNotificationPreference,
    PasswordResetNotPending,
    UnsupportedLanguage,
    UserDeactivated,
    UserForgotten,
)
from domain.preferences import EMAIL_KINDS, OPTIONAL_EMAIL_KINDS, SECURITY_EMAIL_KINDS
from domain.user import User
from infra.audit_trail import state_of
from tests.domain.factories import a_user, event_names, replay

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=30)


def a_user_asking_for_a_reset() -> tuple[User, UUID]:
    user = a_user()
    reset_id = uuid4()
    user.request_password_reset(reset_id, LATER)
    return user, reset_id


# -- verification ---------------------------------------------------------------------------


def test_a_new_address_is_unverified_until_its_link_names_the_version_that_set_it() -> None:
    user = a_user()
    assert (user.email_verified, user.email_version) == (False, 1)
    user.verify_email(1)
    assert user.email_verified
    assert event_names(user) == ["Registered", "EmailVerified"]


def test_verifying_again_records_nothing() -> None:
    user = a_user()
    user.verify_email(1)
    user.verify_email(1)
    assert event_names(user) == ["Registered", "EmailVerified"]


def test_a_link_sent_to_an_old_address_cannot_verify_the_new_one() -> None:
    user = a_user()
    user.verify_email(1)
    user.change_profile(email="ada.king@example.com")  # version 3
    assert not user.email_verified
    with pytest.raises(EmailVerificationOutdated):
        user.verify_email(1)
    user.verify_email(3)
    assert user.email_verified


def test_a_link_for_an_address_set_before_the_current_one_stays_refused_even_if_it_returns() -> (
    None
):
    user = a_user()  # ada@ at version 1
    user.change_profile(email="ada.king@example.com")  # version 2
    user.change_profile(email="ada@example.com")  # version 3: the first address again
    with pytest.raises(EmailVerificationOutdated):
        user.verify_email(1)


def test_the_same_address_again_is_no_change_and_keeps_the_verification() -> None:
    user = a_user()
    user.verify_email(1)
    user.change_profile(email=" ADA@example.com ")
    assert event_names(user) == ["Registered", "EmailVerified"]
    user.change_profile(email="ada@example.com", full_name="Ada King")
    changed = user.pending_events[-1]
    assert isinstance(changed, User.ProfileChanged)
    assert (changed.email, changed.full_name) == (None, "Ada King")
    assert user.email_verified


def test_deactivated_and_forgotten_users_cannot_verify() -> None:
    deactivated, forgotten = a_user(), a_user()
    deactivated.deactivate()
    forgotten.forget_personal_data()
    with pytest.raises(UserDeactivated):
        deactivated.verify_email(1)
    with pytest.raises(UserForgotten):
        forgotten.verify_email(1)


# -- password reset ---------------------------------------------------------------------------


def test_a_reset_sets_the_new_hash_and_is_used_up() -> None:
    user, reset_id = a_user_asking_for_a_reset()
    user.reset_password(reset_id, "new-hash", NOW)
    assert user.password_hash == "new-hash" and user.pending_reset_id is None
    assert event_names(user)[-2:] == ["PasswordResetRequested", "PasswordReset"]
    with pytest.raises(PasswordResetNotPending):
        user.reset_password(reset_id, "again", NOW)


def test_a_newer_request_voids_the_older_one() -> None:
    user, older = a_user_asking_for_a_reset()
    newer = uuid4()
    user.request_password_reset(newer, LATER)
    with pytest.raises(PasswordResetNotPending):
        user.reset_password(older, "h", NOW)
    user.reset_password(newer, "h", NOW)


def test_an_expired_reset_is_refused() -> None:
    user, reset_id = a_user_asking_for_a_reset()
    with pytest.raises(PasswordResetNotPending, match="expired"):
        user.reset_password(reset_id, "h", LATER)
    assert user.password_hash is None


def test_a_password_change_or_a_new_address_voids_a_pending_reset() -> None:
    changed, reset_id = a_user_asking_for_a_reset()
    changed.change_password("changed-hash")
    with pytest.raises(PasswordResetNotPending):
        changed.reset_password(reset_id, "h", NOW)

    moved, reset_id = a_user_asking_for_a_reset()
    moved.change_profile(email="elsewhere@example.com")
    with pytest.raises(PasswordResetNotPending):
        moved.reset_password(reset_id, "h", NOW)


def test_a_rehash_at_login_keeps_a_pending_reset() -> None:
    user, reset_id = a_user_asking_for_a_reset()
    user.change_password("rehashed", reason="rehashed")
    user.reset_password(reset_id, "h", NOW)


def test_deactivated_and_forgotten_users_cannot_reset() -> None:
    deactivated, reset_id = a_user_asking_for_a_reset()
    deactivated.deactivate()
    with pytest.raises(UserDeactivated):
        deactivated.reset_password(reset_id, "h", NOW)
    with pytest.raises(UserDeactivated):
        deactivated.request_password_reset(uuid4(), LATER)

    forgotten, reset_id = a_user_asking_for_a_reset()
    forgotten.forget_personal_data()
    with pytest.raises(UserForgotten):
        forgotten.reset_password(reset_id, "h", NOW)
    with pytest.raises(UserForgotten):
        forgotten.request_password_reset(uuid4(), LATER)


# -- preferences and language -----------------------------------------------------------------


def test_kinds_are_optional_or_security_never_both() -> None:
    assert set(OPTIONAL_EMAIL_KINDS).isdisjoint(SECURITY_EMAIL_KINDS)
    assert set(EMAIL_KINDS) == set(OPTIONAL_EMAIL_KINDS) | set(SECURITY_EMAIL_KINDS)


def test_every_optional_kind_starts_on_and_the_language_defaults_to_english() -> None:
    user = a_user()
    assert user.email_preferences == dict.fromkeys(OPTIONAL_EMAIL_KINDS, True)
    assert user.language == "en"
    assert User(email="p@example.com", full_name="P", language="pt").language == "pt"
    with pytest.raises(UnsupportedLanguage):
        User(email="p@example.com", full_name="P", language="fr")


def test_turning_kinds_off_keeps_the_others_and_records_the_whole_map() -> None:
    user = a_user()
    user.change_notification_preferences({"money_received": False}, "pt")
    user.change_notification_preferences({"large_withdrawal": False, "verify_email": True})
    event = user.pending_events[-1]
    assert isinstance(event, User.NotificationPreferencesChanged)
    assert event.email == {
        "money_received": False,
        "payment_captured": True,
        "payment_refunded": True,
        "large_withdrawal": False,
    }
    assert event.language == "pt"


def test_a_security_kind_cannot_be_turned_off_and_unknown_kinds_are_refused() -> None:
    user = a_user()
    with pytest.raises(InvalidNotificationPreference) as refused:
        user.change_notification_preferences({"new_device_login": False})
    assert refused.value.field == "email.new_device_login"
    with pytest.raises(InvalidNotificationPreference) as unknown:
        user.change_notification_preferences({"newsletter": True})
    assert unknown.value.field == "email.newsletter"
    with pytest.raises(UnsupportedLanguage):
        user.change_notification_preferences({}, "klingon")
    assert event_names(user) == ["Registered"]


def test_preferences_that_change_nothing_record_nothing() -> None:
    user = a_user()
    user.change_notification_preferences({"money_received": True, "password_reset": True}, "en")
    assert event_names(user) == ["Registered"]


def test_forgetting_clears_the_language_preferences_verification_and_pending_reset() -> None:
    user, _ = a_user_asking_for_a_reset()
    user.verify_email(1)
    user.change_notification_preferences({"money_received": False}, "pt")
    user.forget_personal_data()
    assert user.language is None and not user.email_verified and user.pending_reset_id is None
    assert user.email_preferences == dict.fromkeys(OPTIONAL_EMAIL_KINDS, True)
    with pytest.raises(UserForgotten):
        user.change_notification_preferences({"money_received": False})


def test_replaying_the_events_gives_the_same_state() -> None:
    user, reset_id = a_user_asking_for_a_reset()
    user.verify_email(1)
    user.change_notification_preferences({"payment_refunded": False}, "pt")
    user.change_profile(email="ada.king@example.com")
    user.verify_email(user.email_version)
    user.request_password_reset(newer := uuid4(), LATER)
    user.reset_password(newer, "h", NOW)
    replayed = replay(user.collect_events())
    assert vars(replayed) == vars(user)
    assert replayed.email_verified and replayed.language == "pt"
    assert replayed.email_preferences["payment_refunded"] is False
    assert reset_id != newer


def test_the_audit_trail_can_show_the_new_state() -> None:
    user, reset_id = a_user_asking_for_a_reset()
    user.change_notification_preferences({"money_received": False}, "pt")
    state = json.loads(json.dumps(state_of(user)))
    assert state["pending_reset_id"] == str(reset_id)
    assert state["reset_expires_at"] == "2026-11-30T12:30:00Z"
    assert state["email_preferences"]["money_received"] is False


def test_the_inbox_read_mark_only_moves_forward_and_survives_replay() -> None:
    user = a_user()
    user.mark_notifications_read(40)
    user.mark_notifications_read(40)  # a repeat
    user.mark_notifications_read(12)  # an older tab's mark
    user.mark_notifications_read(41)
    assert event_names(user).count("NotificationsRead") == 2
    assert user.notifications_read_up_to == 41
    assert replay(user.collect_events()).notifications_read_up_to == 41


def test_a_forgotten_user_has_no_inbox_to_mark() -> None:
    user = a_user()
    user.forget_personal_data()
    with pytest.raises(UserForgotten):
        user.mark_notifications_read(1)
