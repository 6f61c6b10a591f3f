"""Which events become which e-mails, to whom. Pure: no I/O.

A rule names the recipient (a user id) and the mail's kind, plus the facts the mail needs that
are not personal (amounts already formatted, ids, the merchant, the payer/payee role). Facts that
are personal (the recipient's address and name, a login's device) are read from the event store
when the mail is sent, so the outbox never holds them and forgetting a user leaves nothing behind.

Captures and refunds mail both parties once, as "payment captured/refunded"; the account entries
they cause (referenced ``payment:<id>`` / ``refund:<id>``) do not mail again as money received or
sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from projections.notifications import format_amount
from projections.notifier.public_events import PaymentFacts

# Events whose mails are about a user's own stream (the recipient is the stream's user).
_USER_EVENTS = {
    "UserRegistered": "verify_email",
    "UserLoginSucceeded": "new_device_login",
    "UserPasswordChanged": "password_changed",
    "UserMfaEnabled": "mfa_changed",
    "UserMfaDisabled": "mfa_changed",
    "UserPasswordResetRequested": "password_reset",
    "UserProfileChanged": "verify_email",
}
ACCOUNT_EVENTS = frozenset({"AccountCredited", "AccountDebited"})
PAYMENT_EVENTS = frozenset({"PaymentCaptured", "PaymentRefunded"})


@dataclass(frozen=True)
class MailIntent:
    user_id: str
    kind: str
    details: dict[str, Any] = field(default_factory=dict)


def needs_mail(event_type: str) -> bool:
    return (
        event_type in _USER_EVENTS or event_type in ACCOUNT_EVENTS or event_type in PAYMENT_EVENTS
    )


def mails_for(
    envelope: Mapping[str, Any],
    *,
    owners: Mapping[str, str],
    payment: PaymentFacts | None,
    large_withdrawal_minor: int,
) -> list[MailIntent]:
    """The mails an event causes. ``owners`` maps the account ids involved to their owners."""
    kind, data = envelope["type"], envelope["data"]
    stream_id = str(envelope["stream_id"])
    if kind in _USER_EVENTS:
        return _user_mail(kind, stream_id, data)
    if kind in ACCOUNT_EVENTS:
        reference = data.get("reference") or ""
        if reference.startswith(("payment:", "refund:")) or stream_id not in owners:
            return []
        amount = int(data["amount"])
        details = {
            "amount": format_amount(amount, str(data["currency"])),
            "account_id": stream_id,
            "reference": data.get("reference"),
        }
        if kind == "AccountCredited":
            return [MailIntent(owners[stream_id], "money_received", details)]
        if amount >= large_withdrawal_minor:
            return [MailIntent(owners[stream_id], "large_withdrawal", details)]
        return []
    if kind in PAYMENT_EVENTS and payment is not None:
        mail_kind = "payment_captured" if kind == "PaymentCaptured" else "payment_refunded"
        formatted = format_amount(int(data["amount"]), payment.currency)
        intents = []
        for role, account in (
            ("payer", payment.payer_account_id),
            ("payee", payment.payee_account_id),
        ):
            if account in owners:
                details = {
                    "amount": formatted,
                    "payment_id": stream_id,
                    "merchant": payment.merchant,
                    "role": role,
                }
                intents.append(MailIntent(owners[account], mail_kind, details))
        return intents
    return []


def _user_mail(kind: str, user_id: str, data: Mapping[str, Any]) -> list[MailIntent]:
    mail_kind = _USER_EVENTS[kind]
    if kind == "UserPasswordChanged" and data.get("reason") == "rehashed":
        return []  # a re-hash at login is not a change the user made
    if kind == "UserProfileChanged" and data.get("email") is None:
        return []  # only a new address needs verifying
    details: dict[str, Any] = {}
    if kind in ("UserMfaEnabled", "UserMfaDisabled"):
        details["enabled"] = kind == "UserMfaEnabled"
    if kind == "UserPasswordResetRequested":
        details["reset_id"] = str(data["reset_id"])
    return [MailIntent(user_id, mail_kind, details)]
