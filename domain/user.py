"""User aggregate: registration, profile changes, deactivation, erasure of personal data."""

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
    UserDeactivated,
    UserForgotten,
)

UserStatus = Literal["active", "deactivated"]

ROLES: frozenset[str] = frozenset({"customer", "operator", "auditor", "admin"})
DEFAULT_ROLES: tuple[str, ...] = ("customer",)
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
        SCHEMA_VERSION: ClassVar[int] = 1
        email: str
        full_name: str
        roles: list[str]

    class ProfileChanged(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        # None means "unchanged".
        email: str | None
        full_name: str | None

    class Deactivated(Event):
        SCHEMA_VERSION: ClassVar[int] = 1

    class PersonalDataForgotten(Event):
        SCHEMA_VERSION: ClassVar[int] = 1

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
    def __init__(self, email: str, full_name: str, roles: list[str] | None = None) -> None:
        self.email: str | None = email
        self.full_name: str | None = full_name
        self.roles: list[str] = list(DEFAULT_ROLES if roles is None else roles)
        self.status: UserStatus = "active"
        self.personal_data_forgotten: bool = False

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
