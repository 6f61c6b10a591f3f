"""What a user's profile may hold: the e-mail address, the full name, the roles and the
language, each validated and normalised before an event records it (``domain.user`` calls
these once, for new input; replayed events are never re-judged)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from domain.errors import InvalidEmail, InvalidName, InvalidRole
from domain.preferences import DEFAULT_LANGUAGE, normalize_language

ROLES: frozenset[str] = frozenset({"customer", "operator", "auditor", "admin"})
DEFAULT_ROLES: tuple[str, ...] = ("customer",)
STAFF_ROLES: frozenset[str] = frozenset({"operator", "auditor", "admin"})
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


def normalized_registration(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A registration's fields with the e-mail address, full name, roles and language (the
    default when not given) normalised; any other field as it is."""
    language = fields.get("language")
    return {
        **fields,
        "email": normalize_email(fields.get("email")),
        "full_name": normalize_full_name(fields.get("full_name")),
        "roles": normalize_roles(fields.get("roles")),
        "language": DEFAULT_LANGUAGE if language is None else normalize_language(language),
    }
