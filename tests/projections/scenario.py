"""Realistic event envelopes for projector tests, made by driving the real domain aggregates.

``Ledger`` plays the write side without a database: it runs domain methods and services, turns
the pending events into records exactly as the command layer does (``to_new_event``), stamps
them with a global position, an event id and a deterministic clock, and wraps them in the
relay's envelope (``to_envelope``). The aggregates it keeps are the expected state of the read
models.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from eventsourcing.domain import Aggregate

from commands.event_mapping import to_new_event
from domain import services
from domain.account import Account
from domain.payment import Payment
from domain.transfer import Transfer
from domain.user import User
from event_store.records import NewEvent, RecordedEvent
from event_store.store import EventStore
from projections.envelope import encode_envelope, to_envelope

Envelope = dict[str, Any]
START = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@dataclass
class Ledger:
    envelopes: list[Envelope] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    transfers: dict[str, Transfer] = field(default_factory=dict)
    _position: int = 0

    # -- recording --------------------------------------------------------------------------

    def record(self, *aggregates: Aggregate, command: str = "Test") -> list[Envelope]:
        """Collect the aggregates' pending events (in the order given) as envelopes."""
        correlation_id = str(uuid.uuid4())
        new: list[Envelope] = []
        for aggregate in aggregates:
            for event in aggregate.collect_events():
                self._position += 1
                metadata = {
                    "correlation_id": correlation_id,
                    "causation_id": correlation_id,
                    "command": command,
                }
                draft = to_new_event(event, metadata)
                recorded = RecordedEvent(
                    position=self._position,
                    tx_id=self._position,
                    event_id=uuid.uuid4(),
                    stream_id=draft.stream_id,
                    stream_type=draft.stream_type,
                    version=draft.version,
                    type=draft.type,
                    schema_version=draft.schema_version,
                    data=draft.data,
                    metadata=draft.metadata,
                    recorded_at=START + timedelta(milliseconds=self._position),
                )
                new.append(to_envelope(recorded))
        self.envelopes.extend(new)
        return new

    # -- commands ---------------------------------------------------------------------------

    def register(self, email: str, full_name: str, roles: list[str] | None = None) -> User:
        user = User(email=email, full_name=full_name, roles=roles)
        self.users[str(user.id)] = user
        self.record(user, command="RegisterUser")
        return user

    def open_account(self, owner: User, currency: str = "EUR") -> Account:
        account = services.open_account(owner, currency)
        self.accounts[str(account.id)] = account
        self.record(account, command="OpenAccount")
        return account

    def deposit(self, account: Account, amount: int, reference: str = "deposit") -> None:
        account.credit(amount, account.currency, reference)
        self.record(account, command="DepositFunds")

    def withdraw(self, account: Account, amount: int, reference: str = "withdrawal") -> None:
        account.debit(amount, account.currency, reference)
        self.record(account, command="WithdrawFunds")

    def transfer(self, source: Account, target: Account, amount: int, reference: str) -> Transfer:
        transfer = services.transfer_funds(source, target, amount, reference)
        self.transfers[str(transfer.id)] = transfer
        self.record(source, target, transfer, command="TransferFunds")
        return transfer

    def authorize(
        self, payer: Account, payee: Account, amount: int, description: str, merchant: str
    ) -> Payment:
        payment = services.authorize_payment(payer, payee, amount, description, merchant)
        self.payments[str(payment.id)] = payment
        self.record(payment, payer, command="AuthorizePayment")
        return payment

    def capture(self, payment: Payment) -> None:
        payer, payee = self._parties(payment)
        services.capture_payment(payment, payer, payee)
        self.record(payment, payer, payee, command="CapturePayment")

    def void(self, payment: Payment) -> None:
        payer, _ = self._parties(payment)
        services.void_payment(payment, payer)
        self.record(payment, payer, command="VoidPayment")

    def refund(self, payment: Payment, amount: int) -> None:
        payer, payee = self._parties(payment)
        services.refund_payment(payment, payer, payee, amount)
        self.record(payment, payer, payee, command="RefundPayment")

    def freeze(self, account: Account, reason: str) -> None:
        account.freeze(reason)
        self.record(account, command="FreezeAccount")

    def unfreeze(self, account: Account, reason: str) -> None:
        account.unfreeze(reason)
        self.record(account, command="UnfreezeAccount")

    def close(self, account: Account, reason: str) -> None:
        account.close(reason)
        self.record(account, command="CloseAccount")

    def change_profile(
        self, user: User, email: str | None = None, full_name: str | None = None
    ) -> None:
        user.change_profile(email=email, full_name=full_name)
        self.record(user, command="ChangeProfile")

    def mark_read(self, user: User, up_to_position: int) -> None:
        user.mark_notifications_read(up_to_position)
        self.record(user, command="MarkNotificationsRead")

    def deactivate(self, user: User) -> None:
        user.deactivate()
        self.record(user, command="DeactivateUser")

    def forget(self, user: User) -> None:
        user.forget_personal_data()
        self.record(user, command="ForgetPersonalData")

    def _parties(self, payment: Payment) -> tuple[Account, Account]:
        return (
            self.accounts[str(payment.payer_account_id)],
            self.accounts[str(payment.payee_account_id)],
        )


@dataclass
class MixedStory:
    """The cast of ``mixed_story``: who is who, for assertions."""

    ledger: Ledger
    ada: User
    bob: User
    shop: User
    ada_eur: Account
    bob_eur: Account
    shop_eur: Account
    spare: Account
    captured: Payment
    voided: Payment
    pending: Payment
    transfer: Transfer


def mixed_story() -> MixedStory:
    """Every event type at least once: users, accounts, money movements, holds, payments in
    every state, a transfer, freeze/unfreeze/close, profile change, deactivation, forgetting."""
    ledger = Ledger()
    ada = ledger.register("ada@example.com", "Ada Lovelace")
    bob = ledger.register("bob@example.com", "Bob Babbage")
    shop = ledger.register("till@shop.example", "Corner Shop", roles=["customer"])
    ada_eur = ledger.open_account(ada, "EUR")
    bob_eur = ledger.open_account(bob, "EUR")
    shop_eur = ledger.open_account(shop, "EUR")
    spare = ledger.open_account(ada, "USD")
    ledger.deposit(ada_eur, 100_00, "salary")
    ledger.deposit(bob_eur, 50_00, "gift")
    ledger.withdraw(ada_eur, 10_00, "cash")
    captured = ledger.authorize(ada_eur, shop_eur, 30_00, "Weekly groceries", "Corner Shop")
    voided = ledger.authorize(ada_eur, shop_eur, 5_00, "Newspaper", "Corner Shop")
    pending = ledger.authorize(bob_eur, shop_eur, 7_50, "Coffee beans", "Bean There")
    ledger.capture(captured)
    ledger.void(voided)
    ledger.refund(captured, 10_00)
    ledger.refund(captured, 20_00)
    transfer = ledger.transfer(ada_eur, bob_eur, 15_00, "rent share")
    ledger.freeze(bob_eur, "suspicious login")
    ledger.unfreeze(bob_eur, "verified")
    ledger.close(spare, "not needed")
    ledger.change_profile(ada, full_name="Ada King")
    ledger.mark_read(ada, 12)
    ledger.change_profile(bob, email="bob@babbage.example")
    ledger.deactivate(bob)
    ledger.forget(bob)
    return MixedStory(
        ledger,
        ada,
        bob,
        shop,
        ada_eur,
        bob_eur,
        shop_eur,
        spare,
        captured,
        voided,
        pending,
        transfer,
    )


def busy_ledger(events: int, *, seed: int = 7, users: int = 40) -> Ledger:
    """At least ``events`` events of random but valid activity over ``users`` users."""
    rng = random.Random(seed)
    ledger = Ledger()
    people = [ledger.register(f"user{i}@example.com", f"User {i}") for i in range(users)]
    accounts = [ledger.open_account(user, "EUR") for user in people]
    open_payments: list[Payment] = []
    captured: list[Payment] = []
    while len(ledger.envelopes) < events:
        action = rng.random()
        account = rng.choice(accounts)
        if action < 0.35:
            ledger.deposit(account, rng.randint(1, 500_00), f"dep-{len(ledger.envelopes)}")
        elif action < 0.45 and account.available > 100:
            ledger.withdraw(account, rng.randint(1, account.available // 2), "atm")
        elif action < 0.65 and account.available > 100:
            payee = rng.choice([a for a in accounts if a is not account])
            amount = rng.randint(1, account.available // 2)
            open_payments.append(
                ledger.authorize(account, payee, amount, "order", f"Merchant {rng.randint(1, 9)}")
            )
        elif action < 0.78 and open_payments:
            payment = open_payments.pop(rng.randrange(len(open_payments)))
            if rng.random() < 0.8:
                ledger.capture(payment)
                captured.append(payment)
            else:
                ledger.void(payment)
        elif action < 0.85 and captured:
            payment = rng.choice(captured)
            payee = ledger.accounts[str(payment.payee_account_id)]
            amount = min(payment.refundable, payee.available)
            if amount > 0:
                ledger.refund(payment, rng.randint(1, amount))
        elif action < 0.95 and account.available > 100:
            target = rng.choice([a for a in accounts if a is not account])
            ledger.transfer(account, target, rng.randint(1, account.available // 2), "split")
        else:
            ledger.change_profile(rng.choice(people), full_name=f"Renamed {rng.randint(1, 99)}")
    return ledger


def encoded(envelope: Envelope) -> bytes:
    return encode_envelope(envelope)


def append_envelopes(store: EventStore, envelopes: Sequence[Envelope], batch: int = 2000) -> None:
    """Store ``envelopes`` as the write side would have (a store seeded for benches and drills),
    ``batch`` events per append; a ``UserRegistered`` claims its subject's personal-data key."""
    for start in range(0, len(envelopes), batch):
        events = [
            NewEvent(
                stream_id=uuid.UUID(e["stream_id"]),
                stream_type=e["stream_type"],
                version=e["version"],
                type=e["type"],
                data=e["data"],
                schema_version=e["schema_version"],
                metadata=e["metadata"],
            )
            for e in envelopes[start : start + batch]
        ]
        store.append(
            events, new_subjects=[e.stream_id for e in events if e.type == "UserRegistered"]
        )
