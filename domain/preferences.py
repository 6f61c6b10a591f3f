"""Which e-mails a user gets, and in which language.

Every e-mail the notifier sends is of one kind. Security kinds tell the user about something
done to their account (or are the only way to finish what they asked for: a verification or
reset link); they are always sent, so a hijacker cannot silence them. The other kinds can be
turned off. The names are the contract between the API (``PUT .../notification-preferences``),
the ``UserNotificationPreferencesChanged`` event, the read model and the notifier.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, cast, get_args

from domain.errors import InvalidNotificationPreference, UnsupportedLanguage

# Kinds a user may turn off (on by default).
OPTIONAL_EMAIL_KINDS: tuple[str, ...] = (
    "money_received",
    "payment_captured",
    "payment_refunded",
    "large_withdrawal",
)
# Kinds that are always sent.
SECURITY_EMAIL_KINDS: tuple[str, ...] = (
    "new_device_login",
    "password_changed",
    "mfa_changed",
    "webhook_endpoint_disabled",
    "verify_email",
    "password_reset",
)
EMAIL_KINDS: tuple[str, ...] = OPTIONAL_EMAIL_KINDS + SECURITY_EMAIL_KINDS

Language = Literal["en", "pt"]
LANGUAGES: tuple[str, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "en"


def default_email_preferences() -> dict[str, bool]:
    """Every optional kind on (security kinds are not stored: they cannot be off)."""
    return dict.fromkeys(OPTIONAL_EMAIL_KINDS, True)


def merged_email_preferences(
    current: Mapping[str, bool], changes: Mapping[str, object]
) -> dict[str, bool]:
    """``current`` with ``changes`` applied; kinds left out keep their setting. A security
    kind may be given as true (it is on anyway), never as false."""
    merged = {kind: bool(current.get(kind, True)) for kind in OPTIONAL_EMAIL_KINDS}
    for kind, value in changes.items():
        field = f"email.{kind}"
        if not isinstance(value, bool):
            raise InvalidNotificationPreference(field, "Each setting must be true or false.")
        if kind in SECURITY_EMAIL_KINDS:
            if not value:
                raise InvalidNotificationPreference(
                    field, "Security e-mails are always sent and cannot be turned off."
                )
            continue
        if kind not in OPTIONAL_EMAIL_KINDS:
            raise InvalidNotificationPreference(
                # Kinds are our own names, not user data, so the message may show them.
                field,
                f"Unknown e-mail kind; known kinds: {', '.join(EMAIL_KINDS)}.",
            )
        merged[kind] = value
    return merged


def normalize_language(value: object) -> Language:
    """The language, or UnsupportedLanguage."""
    if isinstance(value, str) and value in LANGUAGES:
        return cast(Language, value)
    raise UnsupportedLanguage(f"The language must be one of: {', '.join(LANGUAGES)}.")
