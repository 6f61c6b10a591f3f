"""The MongoDB read-model projection: a pure fold from one event envelope and the current
document of its stream to the stream's new document plus insert-once lines.

Documents (see the pipeline spec): users, accounts, payments, transfers are stream documents
(``_id`` = ``id`` = stream id, ``version`` = last applied stream version, ``created_at`` /
``updated_at`` = recorded_at of the first / last event); account_entries (one statement line per
credit or debit, ``_id`` = event id) and notifications (``_id`` = ``event_id:recipient``) are
inserted once. Stream-version bookkeeping (skip duplicates, refuse gaps) is the runner's fold
(``projections.fold``); ``project`` trusts that it gets the next event of the stream.
"""

from __future__ import annotations

from domain.upcasting import upcast
from projections.documents import Data, Handler, created, evolved, existing
from projections.mongo_users import USER_HANDLERS
from projections.notifications import format_amount, notification, with_reason, with_reference
from projections.operations import (
    Document,
    Envelope,
    InsertKind,
    Projected,
    Projection,
    ProjectionError,
    UnknownEventType,
)

STREAM_TYPES = frozenset({"User", "Account", "Payment", "Transfer", "Session"})

# Logical collection of each stream type's documents (the sink maps them to physical names).
PRIMARY_COLLECTIONS: dict[str, str] = {
    "User": "users",
    "Account": "accounts",
    "Payment": "payments",
    "Transfer": "transfers",
    "Session": "sessions",
}


def project(envelope: Envelope, current: Document | None) -> Projected:
    """The effect of ``envelope`` on its stream's document ``current`` (None if absent).

    Raises ProjectionError (UnknownEventType for a type we do not know) for an event that
    cannot be projected.
    """
    event_type = envelope["type"]
    try:
        stream_type, handler = HANDLERS[event_type]
    except KeyError:
        raise UnknownEventType(f"unknown event type {event_type!r}") from None
    if envelope["stream_type"] != stream_type:
        raise ProjectionError(
            f"{event_type} belongs to {stream_type} streams, not {envelope['stream_type']!r}"
        )
    data = upcast(event_type, int(envelope.get("schema_version") or 1), envelope["data"])
    return handler(envelope, data, current)


MONGO_PROJECTION = Projection(name="mongo", stream_types=STREAM_TYPES, project=project)


# -- accounts -------------------------------------------------------------------------------


def _account_opened(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    doc = created(
        envelope,
        current,
        owner_id=data["owner_id"],
        currency=data["currency"],
        balance=0,
        available=0,
        held=0,
        holds={},
        status="open",
    )
    line = notification(
        envelope, account_id=doc["id"], message=f"Account opened in {data['currency']}"
    )
    return Projected(doc, [("notifications", line)])


def _account_doc(
    envelope: Envelope, current: Document, balance: int, holds: dict[str, int]
) -> Document:
    held = sum(holds.values())
    return evolved(
        envelope, current, balance=balance, held=held, available=balance - held, holds=holds
    )


def _movement(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    account = existing(envelope, current)
    kind = "credit" if envelope["type"] == "AccountCredited" else "debit"
    amount = int(data["amount"])
    balance = account["balance"] + (amount if kind == "credit" else -amount)
    doc = _account_doc(envelope, account, balance, dict(account["holds"]))
    currency = data.get("currency") or account["currency"]
    entry = {
        "_id": str(envelope["event_id"]),
        "account_id": account["id"],
        "version": envelope["version"],
        "kind": kind,
        "amount": amount,
        "currency": currency,
        "reference": data.get("reference"),
        "balance_after": balance,
        "recorded_at": envelope.get("recorded_at"),
    }
    verb = "Credited" if kind == "credit" else "Debited"
    line = notification(
        envelope,
        account_id=account["id"],
        message=with_reference(f"{verb} {format_amount(amount, currency)}", data.get("reference")),
        amount=amount,
        currency=currency,
    )
    return Projected(doc, [("account_entries", entry), ("notifications", line)])


def _funds_held(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    account = existing(envelope, current)
    hold_id, amount = str(data["hold_id"]), int(data["amount"])
    doc = _account_doc(envelope, account, account["balance"], {**account["holds"], hold_id: amount})
    currency = data.get("currency") or account["currency"]
    line = notification(
        envelope,
        account_id=account["id"],
        message=f"{format_amount(amount, currency)} held for a payment",
        amount=amount,
        currency=currency,
        payment_id=hold_id,  # payments hold under their own id (domain.services)
    )
    return Projected(doc, [("notifications", line)])


def _hold_released(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    account = existing(envelope, current)
    hold_id = str(data["hold_id"])
    holds = dict(account["holds"])
    # Lenient like the aggregate's own apply method: releasing an unknown hold changes nothing.
    holds.pop(hold_id, None)
    doc = _account_doc(envelope, account, account["balance"], holds)
    amount = int(data["amount"])
    line = notification(
        envelope,
        account_id=account["id"],
        message=f"Hold of {format_amount(amount, account['currency'])} released",
        amount=amount,
        currency=account["currency"],
        payment_id=hold_id,
    )
    return Projected(doc, [("notifications", line)])


def _status_change(status: str, text: str) -> Handler:
    def handle(envelope: Envelope, data: Data, current: Document | None) -> Projected:
        account = existing(envelope, current)
        line = notification(
            envelope, account_id=account["id"], message=with_reason(text, data.get("reason"))
        )
        return Projected(evolved(envelope, account, status=status), [("notifications", line)])

    return handle


# -- payments -------------------------------------------------------------------------------


def _payment_authorized(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    doc = created(
        envelope,
        current,
        payer_account_id=data["payer_account_id"],
        payee_account_id=data["payee_account_id"],
        amount=int(data["amount"]),
        currency=data["currency"],
        captured=0,
        refunded=0,
        status="authorized",
        description=data.get("description"),
        merchant=data.get("merchant"),
    )
    return Projected(doc)


def _payment_lines(
    envelope: Envelope, payment: Document, amount: int, payer: str, payee: str
) -> list[tuple[InsertKind, Document]]:
    """One line for the payer's account and one for the payee's (one if they are the same)."""
    lines: list[tuple[InsertKind, Document]] = []
    for account_id, message in (
        (payment["payer_account_id"], payer),
        (payment["payee_account_id"], payee),
    ):
        line = notification(
            envelope,
            account_id=account_id,
            message=message,
            amount=amount,
            currency=payment["currency"],
            payment_id=payment["id"],
        )
        if all(line["_id"] != other["_id"] for _, other in lines):
            lines.append(("notifications", line))
    return lines


def _payment_captured(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    payment = existing(envelope, current)
    amount = int(data["amount"])
    shown = format_amount(amount, payment["currency"])
    merchant = payment.get("merchant") or "a merchant"
    doc = evolved(envelope, payment, captured=amount, status="captured")
    lines = _payment_lines(
        envelope,
        payment,
        amount,
        payer=f"Payment of {shown} to {merchant} captured",
        payee=f"Payment of {shown} received",
    )
    return Projected(doc, lines)


def _payment_voided(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    payment = existing(envelope, current)
    return Projected(evolved(envelope, payment, status="voided"))


def _payment_refunded(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    payment = existing(envelope, current)
    amount = int(data["amount"])
    refunded = payment["refunded"] + amount
    status = "refunded" if refunded >= payment["captured"] else "partially_refunded"
    doc = evolved(envelope, payment, refunded=refunded, status=status)
    shown = format_amount(amount, payment["currency"])
    merchant = payment.get("merchant") or "a merchant"
    lines = _payment_lines(
        envelope,
        payment,
        amount,
        payer=f"Refund of {shown} from {merchant}",
        payee=f"Refund of {shown} paid out",
    )
    return Projected(doc, lines)


# -- transfers ------------------------------------------------------------------------------


def _transfer_completed(envelope: Envelope, data: Data, current: Document | None) -> Projected:
    doc = created(
        envelope,
        current,
        from_account_id=data["from_account_id"],
        to_account_id=data["to_account_id"],
        amount=int(data["amount"]),
        currency=data["currency"],
        reference=data.get("reference"),
    )
    return Projected(doc)


HANDLERS: dict[str, tuple[str, Handler]] = {
    **USER_HANDLERS,
    "AccountOpened": ("Account", _account_opened),
    "AccountCredited": ("Account", _movement),
    "AccountDebited": ("Account", _movement),
    "AccountFundsHeld": ("Account", _funds_held),
    "AccountHoldReleased": ("Account", _hold_released),
    "AccountFrozen": ("Account", _status_change("frozen", "Account frozen")),
    "AccountUnfrozen": ("Account", _status_change("open", "Account unfrozen")),
    "AccountClosed": ("Account", _status_change("closed", "Account closed")),
    "PaymentAuthorized": ("Payment", _payment_authorized),
    "PaymentCaptured": ("Payment", _payment_captured),
    "PaymentVoided": ("Payment", _payment_voided),
    "PaymentRefunded": ("Payment", _payment_refunded),
    "TransferCompleted": ("Transfer", _transfer_completed),
}
