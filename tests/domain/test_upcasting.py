"""Upcasting old event data to the current schema version."""

from __future__ import annotations

from typing import Any

import pytest

from domain.upcasting import UpcasterRegistry, UpcastingError, upcast, upcaster


def a_registry_where_user_registered_is_at_version_3() -> UpcasterRegistry:
    registry = UpcasterRegistry(current_version=lambda type_name: 3)

    @upcaster("UserRegistered", from_version=1, registry=registry)
    def split_name(data: dict[str, Any]) -> dict[str, Any]:
        data["full_name"] = data.pop("name")
        return data

    @registry.upcaster("UserRegistered", from_version=2)
    def add_roles(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "roles": ["customer"]}

    return registry


def test_current_data_is_returned_unchanged() -> None:
    data = {"email": "a@b.co", "full_name": "A", "roles": ["customer"], "password_hash": "h"}
    data["language"] = "pt"
    assert upcast("UserRegistered", 3, data) == data


def test_a_user_registered_before_passwords_existed_has_none() -> None:
    data = {"email": "a@b.co", "full_name": "A", "roles": ["customer"]}
    assert upcast("UserRegistered", 1, data) == {**data, "password_hash": None, "language": "en"}


def test_a_user_registered_before_languages_existed_gets_english() -> None:
    data = {"email": "a@b.co", "full_name": "A", "roles": ["customer"], "password_hash": "h"}
    assert upcast("UserRegistered", 2, data) == {**data, "language": "en"}


def test_old_data_passes_through_each_upcaster_in_version_order() -> None:
    registry = a_registry_where_user_registered_is_at_version_3()

    upcasted = registry.upcast("UserRegistered", 1, {"email": "a@b.co", "name": "A"})

    assert upcasted == {"email": "a@b.co", "full_name": "A", "roles": ["customer"]}


def test_upcasting_starts_at_the_stored_version() -> None:
    registry = a_registry_where_user_registered_is_at_version_3()
    assert registry.upcast("UserRegistered", 2, {"full_name": "A"}) == {
        "full_name": "A",
        "roles": ["customer"],
    }


def test_upcasting_leaves_the_callers_data_intact() -> None:
    registry = a_registry_where_user_registered_is_at_version_3()
    stored = {"email": "a@b.co", "name": "A"}
    registry.upcast("UserRegistered", 1, stored)
    assert stored == {"email": "a@b.co", "name": "A"}


def test_a_missing_upcaster_is_an_error() -> None:
    registry = UpcasterRegistry(current_version=lambda type_name: 2)
    with pytest.raises(UpcastingError):
        registry.upcast("AccountCredited", 1, {})


def test_data_from_a_newer_schema_version_is_an_error() -> None:
    with pytest.raises(UpcastingError):
        upcast("AccountCredited", 2, {})


def test_registering_two_upcasters_for_the_same_step_is_refused() -> None:
    registry = a_registry_where_user_registered_is_at_version_3()
    with pytest.raises(ValueError):
        registry.register("UserRegistered", 1, lambda data: data)


def test_test_local_registrations_leave_the_global_registry_alone() -> None:
    a_registry_where_user_registered_is_at_version_3()
    assert upcast("UserRegistered", 1, {"name": "A"}) == {
        "name": "A",
        "password_hash": None,
        "language": "en",
    }
