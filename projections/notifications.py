"""Notification lines: the per-recipient inbox documents and their short human texts.

A line is keyed ``f"{event_id}:{recipient}"`` so that replaying an event never duplicates it.
Texts name amounts and counterparts but never personal data (no e-mail addresses or names), so
forgetting a user's personal data does not require rewriting the inbox.
"""

from __future__ import annotations

from typing import Any

from domain.money import minor_unit_exponent
from projections.operations import Document, Envelope


def format_amount(amount: int, currency: str) -> str:
    """``2500, "EUR"`` -> ``"25.00 EUR"``; exact (integer arithmetic, no float)."""
    exponent = minor_unit_exponent(currency)
    sign = "-" if amount < 0 else ""
    units, minor = divmod(abs(amount), 10**exponent)
    if exponent == 0:
        return f"{sign}{units} {currency}"
    return f"{sign}{units}.{minor:0{exponent}d} {currency}"


def notification(
    envelope: Envelope,
    *,
    message: str,
    account_id: str | None = None,
    user_id: str | None = None,
    amount: int | None = None,
    currency: str | None = None,
    payment_id: str | None = None,
) -> Document:
    recipient = account_id or user_id
    if recipient is None:
        raise ValueError("a notification needs an account or a user")
    line: dict[str, Any] = {
        "_id": f"{envelope['event_id']}:{recipient}",
        "account_id": account_id,
        "user_id": user_id,
        "kind": envelope["type"],
        "message": message,
        "amount": amount,
        "currency": currency,
        "payment_id": payment_id,
        "position": envelope.get("position"),
        "created_at": envelope.get("recorded_at"),
    }
    return line


def with_reason(text: str, reason: str | None) -> str:
    return f"{text}: {reason}" if reason else text


def with_reference(text: str, reference: str | None) -> str:
    return f"{text} ({reference})" if reference else text
