"""The users read model follows the e-mail events: verification (undone by a new address),
preferences and language, reset lines in the inbox, and forgetting that leaves nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from domain.preferences import OPTIONAL_EMAIL_KINDS
from domain.user import User
from projections.mongo_projection import MONGO_PROJECTION
from projections.search_projection import SEARCH_PROJECTION
from tests.projections.scenario import Ledger
from tests.projections.support import MemoryReadModel

SOON = datetime(2026, 11, 29, 13, 0, tzinfo=UTC)


def projected(ledger: Ledger) -> MemoryReadModel:
    model = MemoryReadModel(MONGO_PROJECTION)
    model.apply(ledger.envelopes)
    assert model.last is not None and not model.last.rejected
    return model


def a_user(ledger: Ledger) -> User:
    user = User(email="ada@example.com", full_name="Ada", language="pt")
    ledger.users[str(user.id)] = user
    ledger.record(user)
    return user


def test_a_new_user_is_unverified_with_every_optional_kind_on_in_their_language() -> None:
    ledger = Ledger()
    user = a_user(ledger)
    doc = projected(ledger).docs[str(user.id)]
    assert doc["email_verified"] is False and doc["language"] == "pt"
    assert doc["notification_preferences"] == dict.fromkeys(OPTIONAL_EMAIL_KINDS, True)


def test_verification_shows_until_the_address_changes() -> None:
    ledger = Ledger()
    user = a_user(ledger)
    user.verify_email(1)
    ledger.record(user)
    model = projected(ledger)
    assert model.docs[str(user.id)]["email_verified"] is True
    assert [line["message"] for line in model.lines("notifications")] == [
        "Your e-mail address was verified"
    ]
    user.change_profile(full_name="Ada King")
    ledger.record(user)
    assert projected(ledger).docs[str(user.id)]["email_verified"] is True
    user.change_profile(email="ada.king@example.com")
    ledger.record(user)
    assert projected(ledger).docs[str(user.id)]["email_verified"] is False


def test_preferences_and_a_reset_reach_the_document_and_the_inbox() -> None:
    ledger = Ledger()
    user = a_user(ledger)
    user.change_notification_preferences({"payment_captured": False}, "en")
    reset_id = uuid4()
    user.request_password_reset(reset_id, SOON + timedelta(minutes=30))
    user.reset_password(reset_id, "hash", SOON)
    ledger.record(user)
    model = projected(ledger)
    doc = model.docs[str(user.id)]
    assert doc["notification_preferences"]["payment_captured"] is False
    assert doc["language"] == "en" and doc["version"] == user.version
    assert [line["message"] for line in model.lines("notifications")] == ["Your password was reset"]


def test_forgetting_clears_language_preferences_and_verification() -> None:
    ledger = Ledger()
    user = a_user(ledger)
    user.verify_email(1)
    user.change_notification_preferences({"money_received": False}, "pt")
    user.forget_personal_data()
    ledger.record(user)
    doc = projected(ledger).docs[str(user.id)]
    assert (doc["language"], doc["notification_preferences"], doc["email_verified"]) == (
        None,
        None,
        False,
    )


def test_search_takes_the_new_events_without_a_dead_letter() -> None:
    ledger = Ledger()
    user = a_user(ledger)
    user.verify_email(1)
    user.change_notification_preferences({"money_received": False})
    user.request_password_reset(uuid4(), SOON)
    ledger.record(user)
    model = MemoryReadModel(SEARCH_PROJECTION)
    model.apply(ledger.envelopes)
    assert model.last is not None and not model.last.rejected
