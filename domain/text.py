"""Free-text fields (references, reasons, descriptions, merchant names): short strings only."""

from __future__ import annotations

from domain.errors import InvalidText

MAX_TEXT_LENGTH = 200


def check_optional_text(value: object, field: str) -> None:
    """Accept None or a string of at most MAX_TEXT_LENGTH characters."""
    if value is not None:
        check_text(value, field)


def check_text(value: object, field: str) -> None:
    """Accept a string of at most MAX_TEXT_LENGTH characters."""
    if not isinstance(value, str):
        raise InvalidText(f"{field} must be a string, got {type(value).__name__}.")
    if len(value) > MAX_TEXT_LENGTH:
        raise InvalidText(f"{field} must be at most {MAX_TEXT_LENGTH} characters.")
