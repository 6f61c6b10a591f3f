"""Shared helpers of the projector tests: an in-memory read model that applies
fold results the way the sinks do (for pure tests), and the expected documents computed from the
domain aggregates (an oracle independent of the projection code)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.account import Account
from domain.payment import Payment
from domain.transfer import Transfer
from domain.user import User
from projections.fold import FoldResult, fold_batch
from projections.operations import Document, Envelope, Projection
from tests.polling import wait_for  # noqa: F401 - the projector tests import it from here


@dataclass
class MemoryReadModel:
    """Applies fold results with the sinks' semantics: stream documents replaced only from the
    version they were loaded at, insert-once lines never overwritten."""

    projection: Projection
    docs: dict[str, Document] = field(default_factory=dict)
    inserts: dict[str, dict[str, Document]] = field(default_factory=dict)
    last: FoldResult | None = None

    def apply(self, envelopes: Sequence[Envelope]) -> FoldResult:
        streams = {e["stream_id"] for e in envelopes}
        current = {sid: self.docs[sid] for sid in streams if sid in self.docs}
        result = fold_batch(list(envelopes), current, self.projection)
        for kind, doc in result.inserts:
            self.inserts.setdefault(kind, {}).setdefault(doc["_id"], doc)
        for change in result.changes:
            stored = self.docs.get(change.stream_id)
            stored_version = None if stored is None else stored["version"]
            if stored_version == change.loaded_version:
                self.docs[change.stream_id] = change.doc
        self.last = result
        return result

    def apply_in_batches(self, envelopes: Sequence[Envelope], sizes: Iterable[int]) -> None:
        start = 0
        for size in sizes:
            if start >= len(envelopes):
                return
            self.apply(envelopes[start : start + size])
            start += size
        if start < len(envelopes):
            self.apply(envelopes[start:])

    def lines(self, kind: str) -> list[Document]:
        return list(self.inserts.get(kind, {}).values())

    def snapshot(self) -> dict[str, Any]:
        return {"docs": self.docs, "inserts": self.inserts}


def expected_user(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "email": user.email,
        "full_name": user.full_name,
        "status": user.status,
        "roles": list(user.roles),
        "personal_data_forgotten": user.personal_data_forgotten,
        "notifications_read_up_to": user.notifications_read_up_to,
        "version": user.version,
    }


def expected_account(account: Account) -> dict[str, Any]:
    held = sum(account.holds.values())
    return {
        "id": str(account.id),
        "owner_id": str(account.owner_id),
        "currency": account.currency,
        "balance": account.balance,
        "available": account.available,
        "held": held,
        "holds": dict(account.holds),
        "status": account.status,
        "version": account.version,
    }


def expected_payment(payment: Payment) -> dict[str, Any]:
    return {
        "id": str(payment.id),
        "payer_account_id": str(payment.payer_account_id),
        "payee_account_id": str(payment.payee_account_id),
        "amount": payment.amount,
        "currency": payment.currency,
        "captured": payment.captured,
        "refunded": payment.refunded,
        "status": payment.status,
        "description": payment.description,
        "merchant": payment.merchant,
        "version": payment.version,
    }


def expected_transfer(transfer: Transfer) -> dict[str, Any]:
    return {
        "id": str(transfer.id),
        "from_account_id": str(transfer.from_account_id),
        "to_account_id": str(transfer.to_account_id),
        "amount": transfer.amount,
        "currency": transfer.currency,
        "reference": transfer.reference,
        "version": transfer.version,
    }


def subset(doc: dict[str, Any] | None, keys: Iterable[str]) -> dict[str, Any] | None:
    """``doc`` restricted to ``keys`` (to compare with an expected_* dict)."""
    if doc is None:
        return None
    return {key: doc.get(key) for key in keys}
