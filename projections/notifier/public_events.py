"""The public event types merchants subscribe to, and the webhook body each internal event becomes.

Pure: no I/O. The body is our documented, versioned contract, not the internal envelope:
``{"type", "id", "api_version", "created_at", "data"}``. ``data`` names the object (payment,
account, transfer), its amounts in integer minor units with their ISO 4217 currency, and
``version``, the object's stream version: deliveries are not ordered (a retried delivery never
holds back later ones), so a receiver that cares orders and de-duplicates by
``(data.object_id, data.version)``. No personal data: ids, amounts, references and the payment's
description and merchant, which both parties of a payment already see.

Facts an event does not carry (which accounts a payment moves money between, who owns an account)
are looked up by the caller and passed in as ``PaymentFacts`` and account ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

API_VERSION = "2026-11-30"
PING = "webhook.ping"

# Internal event type -> public type. Only these are ever sent.
PUBLIC_TYPES: Mapping[str, str] = {
    "AccountOpened": "account.opened",
    "AccountCredited": "account.credited",
    "AccountDebited": "account.debited",
    "AccountFrozen": "account.frozen",
    "AccountUnfrozen": "account.unfrozen",
    "AccountClosed": "account.closed",
    "PaymentAuthorized": "payment.authorized",
    "PaymentCaptured": "payment.captured",
    "PaymentVoided": "payment.voided",
    "PaymentRefunded": "payment.refunded",
    "TransferCompleted": "transfer.completed",
}
EVENT_TYPES: tuple[str, ...] = (*PUBLIC_TYPES.values(), PING)
ALL = "*"


@dataclass(frozen=True)
class PaymentFacts:
    """What PaymentAuthorized said, needed by every later event of the payment."""

    payer_account_id: str
    payee_account_id: str
    amount: int
    currency: str
    description: str
    merchant: str


@dataclass(frozen=True)
class PublicEvent:
    """One public event: its body, and the accounts whose owners are entitled to it."""

    type: str
    body: dict[str, Any]
    account_ids: tuple[str, ...]


def is_public(event_type: str) -> bool:
    return event_type in PUBLIC_TYPES


def payment_facts(authorized_data: Mapping[str, Any]) -> PaymentFacts:
    return PaymentFacts(
        payer_account_id=str(authorized_data["payer_account_id"]),
        payee_account_id=str(authorized_data["payee_account_id"]),
        amount=int(authorized_data["amount"]),
        currency=str(authorized_data["currency"]),
        description=str(authorized_data.get("description", "")),
        merchant=str(authorized_data.get("merchant", "")),
    )


def body(public_type: str, event_id: str, created_at: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": public_type,
        "id": f"evt_{event_id.replace('-', '')}",
        "api_version": API_VERSION,
        "created_at": created_at,
        "data": data,
    }


def public_event(envelope: Mapping[str, Any], payment: PaymentFacts | None) -> PublicEvent:
    """The public form of a public event. ``payment`` is required for Payment events other
    than PaymentAuthorized (which carries its own facts)."""
    kind = envelope["type"]
    public_type = PUBLIC_TYPES[kind]
    data: Mapping[str, Any] = envelope["data"]
    stream_id, version = str(envelope["stream_id"]), int(envelope["version"])
    created_at = str(envelope.get("recorded_at", ""))
    if kind.startswith("Account"):
        fields = _account_fields(kind, data)
        payload = {"object": "account", "object_id": stream_id, "account_id": stream_id, **fields}
        parties: tuple[str, ...] = (stream_id,)
    elif kind.startswith("Payment"):
        facts = payment_facts(data) if kind == "PaymentAuthorized" else payment
        if facts is None:
            raise ValueError(f"{kind} needs the payment's authorization facts")
        payload = {
            "object": "payment",
            "object_id": stream_id,
            "payment_id": stream_id,
            "payer_account_id": facts.payer_account_id,
            "payee_account_id": facts.payee_account_id,
            "authorized_amount": facts.amount,
            "currency": facts.currency,
            "description": facts.description,
            "merchant": facts.merchant,
        }
        if "amount" in data and kind != "PaymentAuthorized":
            payload["amount"] = int(data["amount"])
        parties = _distinct(facts.payer_account_id, facts.payee_account_id)
    else:  # TransferCompleted
        payload = {
            "object": "transfer",
            "object_id": stream_id,
            "transfer_id": stream_id,
            "from_account_id": str(data["from_account_id"]),
            "to_account_id": str(data["to_account_id"]),
            "amount": int(data["amount"]),
            "currency": str(data["currency"]),
            "reference": data.get("reference"),
        }
        parties = _distinct(payload["from_account_id"], payload["to_account_id"])
    payload["version"] = version
    return PublicEvent(
        public_type, body(public_type, str(envelope["event_id"]), created_at, payload), parties
    )


def ping_body(endpoint_id: str, ping_id: str, created_at: str) -> dict[str, Any]:
    return body(PING, ping_id, created_at, {"object": "webhook_endpoint", "object_id": endpoint_id})


def _account_fields(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    if kind in ("AccountCredited", "AccountDebited"):
        return {
            "amount": int(data["amount"]),
            "currency": str(data["currency"]),
            "reference": data.get("reference"),
        }
    if kind == "AccountOpened":
        return {"currency": str(data["currency"])}
    return {"reason": data.get("reason")}


def _distinct(*account_ids: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(account_ids))


_EXAMPLE_DATA: Mapping[str, dict[str, Any]] = {
    "AccountOpened": {"owner_id": "9a3c1f4e-8d52-4c1e-a8f0-3b7e2d6c5a10", "currency": "EUR"},
    "AccountCredited": {"amount": 2500, "currency": "EUR", "reference": "invoice 2026-118"},
    "AccountDebited": {"amount": 1200, "currency": "EUR", "reference": None},
    "AccountFrozen": {"reason": "chargeback review"},
    "AccountUnfrozen": {"reason": None},
    "AccountClosed": {"reason": None},
    "PaymentAuthorized": {
        "payer_account_id": "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58",
        "payee_account_id": "c81d4e2f-3a6b-4f90-8e17-d2a5b9c0e473",
        "amount": 4999,
        "currency": "EUR",
        "description": "Order 1042",
        "merchant": "Padaria Central",
    },
    "PaymentCaptured": {"amount": 4999},
    "PaymentVoided": {},
    "PaymentRefunded": {"amount": 1000},
    "TransferCompleted": {
        "from_account_id": "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58",
        "to_account_id": "c81d4e2f-3a6b-4f90-8e17-d2a5b9c0e473",
        "amount": 15000,
        "currency": "EUR",
        "reference": "rent",
    },
}


def examples() -> dict[str, dict[str, Any]]:
    """One example body per public type (documentation: README, ``GET
    /v1/webhooks/event-types``), made by the same code as real deliveries."""
    payment = payment_facts(_EXAMPLE_DATA["PaymentAuthorized"])
    result = {}
    versions = {"PaymentVoided": 2, "PaymentRefunded": 3, "TransferCompleted": 1}
    per_stream: dict[str, int] = {}
    for n, (kind, data) in enumerate(_EXAMPLE_DATA.items(), start=1):
        stream = "c81d4e2f-3a6b-4f90-8e17-d2a5b9c0e473"
        if kind.startswith("Payment"):
            stream = "0d7a6b5c-4e3f-4a2b-9c1d-8e7f6a5b4c3d"
        elif kind.startswith("Transfer"):
            stream = "7e6d5c4b-3a29-4817-a6b5-c4d3e2f1a0b9"
        per_stream[stream] = per_stream.get(stream, 0) + 1
        envelope = {
            "event_id": f"3f2e1d0c-0000-4000-8000-{n:012d}",
            "stream_id": stream,
            "version": versions.get(kind, per_stream[stream]),
            "type": kind,
            "recorded_at": "2026-11-30T12:00:00.000000Z",
            "data": data,
        }
        event = public_event(envelope, payment)
        result[event.type] = event.body
    result[PING] = ping_body(
        "e1d2c3b4-a5f6-4789-9abc-def012345678",
        "3f2e1d0c-0000-4000-8000-999999999999",
        "2026-11-30T12:00:00Z",
    )
    return result
