"""User rules: registration, profile changes, deactivation, forgetting personal data."""

from __future__ import annotations

import pytest

from domain.errors import (
    InvalidEmail,
    InvalidInput,
    InvalidName,
    InvalidRole,
    UserDeactivated,
    UserForgotten,
)
from domain.services import open_account
from domain.user import User
from tests.domain.factories import a_user, event_names


def test_registration_records_the_email_lower_cased_and_stripped_and_the_name_stripped() -> None:
    user = User(email="  Ada@Example.COM ", full_name="  Ada Lovelace ", roles=["admin"])

    assert (user.email, user.full_name) == ("ada@example.com", "Ada Lovelace")
    assert user.roles == ["admin"]
    assert user.status == "active"
    assert user.personal_data_forgotten is False
    (registered,) = user.collect_events()
    assert isinstance(registered, User.Registered)
    assert registered.email == "ada@example.com"


def test_registration_without_roles_makes_a_customer() -> None:
    assert a_user().roles == ["customer"]


@pytest.mark.parametrize(
    "email", ["", "ada", "ada@", "@example.com", "ada@example", "a da@example.com", "a@b@c.com"]
)
def test_registration_with_an_invalid_email_is_refused(email: str) -> None:
    with pytest.raises(InvalidEmail):
        a_user(email=email)


@pytest.mark.parametrize("full_name", ["", "   ", "x" * 201])
def test_registration_with_an_empty_or_overlong_name_is_refused(full_name: str) -> None:
    with pytest.raises(InvalidName):
        a_user(full_name=full_name)


def test_a_name_of_exactly_200_characters_is_accepted() -> None:
    assert a_user(full_name="x" * 200).full_name == "x" * 200


@pytest.mark.parametrize("roles", [["customer", "superuser"], []])
def test_registration_with_unknown_or_no_roles_is_refused(roles: list[str]) -> None:
    with pytest.raises(InvalidRole):
        a_user(roles=roles)


def test_duplicate_roles_are_recorded_once() -> None:
    assert a_user(roles=["operator", "auditor", "operator"]).roles == ["operator", "auditor"]


def test_a_profile_change_updates_only_the_given_fields() -> None:
    user = a_user()

    user.change_profile(email=" Ada.King@Example.com")

    assert (user.email, user.full_name) == ("ada.king@example.com", "Ada Lovelace")
    assert event_names(user)[-1] == "ProfileChanged"


def test_a_profile_change_with_an_invalid_email_is_refused() -> None:
    user = a_user()
    with pytest.raises(InvalidEmail):
        user.change_profile(email="not-an-email")
    assert user.email == "ada@example.com"


def test_a_profile_change_without_any_field_is_refused() -> None:
    with pytest.raises(InvalidInput):
        a_user().change_profile()


def test_a_deactivated_user_cannot_change_their_profile() -> None:
    user = a_user()
    user.deactivate()
    with pytest.raises(UserDeactivated):
        user.change_profile(full_name="Someone Else")


def test_deactivation_makes_the_user_deactivated() -> None:
    user = a_user()
    user.deactivate()
    assert user.status == "deactivated"
    assert event_names(user) == ["Registered", "Deactivated"]


def test_deactivating_twice_is_refused() -> None:
    user = a_user()
    user.deactivate()
    with pytest.raises(UserDeactivated):
        user.deactivate()


def test_an_active_user_can_open_an_account() -> None:
    user = a_user()
    account = open_account(user, "EUR")
    assert (account.owner_id, account.currency, account.balance) == (user.id, "EUR", 0)


def test_a_deactivated_user_cannot_open_an_account() -> None:
    user = a_user()
    user.deactivate()
    with pytest.raises(UserDeactivated):
        open_account(user, "EUR")


def test_forgetting_personal_data_erases_email_and_name() -> None:
    user = a_user()

    user.forget_personal_data()

    assert (user.email, user.full_name, user.personal_data_forgotten) == (None, None, True)
    forgotten = user.collect_events()[-1]
    assert isinstance(forgotten, User.PersonalDataForgotten)


def test_a_forgotten_user_cannot_change_their_profile() -> None:
    user = a_user()
    user.forget_personal_data()
    with pytest.raises(UserForgotten):
        user.change_profile(full_name="Ada")


def test_a_forgotten_user_cannot_open_an_account() -> None:
    user = a_user()
    user.forget_personal_data()
    with pytest.raises(UserForgotten):
        open_account(user, "EUR")


def test_forgetting_personal_data_twice_is_refused() -> None:
    user = a_user()
    user.forget_personal_data()
    with pytest.raises(UserForgotten):
        user.forget_personal_data()


def test_a_deactivated_user_can_still_be_forgotten() -> None:
    user = a_user()
    user.deactivate()
    user.forget_personal_data()
    assert user.personal_data_forgotten is True


def test_a_refused_command_records_no_event() -> None:
    user = a_user()
    user.deactivate()
    version = user.version
    for command in (user.deactivate, lambda: user.change_profile(full_name="X")):
        with pytest.raises(UserDeactivated):
            command()
    assert user.version == version
