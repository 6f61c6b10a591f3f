"""Account aggregate: balance, holds and status of one single-currency account.

Invariants: available = balance - holds is never negative; every movement is in the account's
currency; a frozen account takes credits and hold releases but no debits or new holds; a closed
account takes nothing; an account closes only when its balance is zero and it has no holds.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self
from uuid import UUID

from eventsourcing.domain import Aggregate, CanInitAggregate, event

from domain.errors import (
    AccountAlreadyFrozen,
    AccountClosed,
    AccountFrozen,
    AccountNotEmpty,
    AccountNotFrozen,
    CurrencyMismatch,
    DuplicateHold,
    InsufficientFunds,
    UnknownHold,
)
from domain.money import check_amount, check_currency
from domain.text import check_optional_text

AccountStatus = Literal["open", "frozen", "closed"]


class Account(Aggregate):
    """One account of one owner in one currency; amounts are int minor units."""

    class Event(Aggregate.Event):
        # Re-declared so typing.get_type_hints() reports UUID, not the library's TypeVar.
        originator_id: UUID

    class Opened(Event, Aggregate.Created):
        SCHEMA_VERSION: ClassVar[int] = 1
        owner_id: UUID
        currency: str

    class Credited(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        amount: int
        currency: str
        reference: str | None

    class Debited(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        amount: int
        currency: str
        reference: str | None

    class FundsHeld(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        hold_id: UUID
        amount: int
        currency: str

    class HoldReleased(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        hold_id: UUID
        amount: int

    class Frozen(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        reason: str | None

    class Unfrozen(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        reason: str | None

    class Closed(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        reason: str | None

    @classmethod
    def _create(
        cls,
        event_class: type[CanInitAggregate[UUID]],
        *,
        id: UUID | None = None,
        **kwargs: Any,
    ) -> Self:
        # __init__ is replayed for every stored Opened event, so the command input is
        # validated here, once, before the event exists (see domain/__init__).
        check_currency(kwargs.get("currency"))
        return super()._create(event_class, id=id, **kwargs)

    @event(Opened)
    def __init__(self, owner_id: UUID, currency: str) -> None:
        self.owner_id: UUID = owner_id
        self.currency: str = currency
        self.balance: int = 0
        # Keyed by str(hold_id) so the state stays JSON-friendly (snapshots, read models).
        self.holds: dict[str, int] = {}
        self.status: AccountStatus = "open"

    @property
    def available(self) -> int:
        return self.balance - sum(self.holds.values())

    # -- invariants -------------------------------------------------------------------------

    def check_is_not_closed(self) -> None:
        if self.status == "closed":
            raise AccountClosed(f"Account {self.id} is closed.")

    def check_is_not_frozen(self) -> None:
        if self.status == "frozen":
            raise AccountFrozen(f"Account {self.id} is frozen.")

    def check_currency_matches(self, currency: object) -> None:
        check_currency(currency)
        if currency != self.currency:
            raise CurrencyMismatch(f"Account {self.id} holds {self.currency}, not {currency}.")

    def check_has_available(self, amount: int) -> None:
        if amount > self.available:
            raise InsufficientFunds(
                f"Account {self.id} has {self.available} available, {amount} needed."
            )

    def check_has_hold(self, hold_id: UUID) -> None:
        if str(hold_id) not in self.holds:
            raise UnknownHold(f"Account {self.id} has no hold {hold_id}.")

    def check_can_credit(self, amount: int, currency: str, reference: str | None) -> None:
        check_amount(amount)
        self.check_currency_matches(currency)
        check_optional_text(reference, "reference")
        self.check_is_not_closed()

    def check_can_debit(self, amount: int, currency: str, reference: str | None) -> None:
        check_amount(amount)
        self.check_currency_matches(currency)
        check_optional_text(reference, "reference")
        self.check_is_not_closed()
        self.check_is_not_frozen()
        self.check_has_available(amount)

    def check_can_hold(self, hold_id: UUID, amount: int, currency: str) -> None:
        check_amount(amount)
        self.check_currency_matches(currency)
        self.check_is_not_closed()
        self.check_is_not_frozen()
        if str(hold_id) in self.holds:
            raise DuplicateHold(f"Account {self.id} already has a hold {hold_id}.")
        self.check_has_available(amount)

    def check_can_release_hold(self, hold_id: UUID) -> None:
        self.check_is_not_closed()
        self.check_has_hold(hold_id)

    def check_can_settle_hold(self, hold_id: UUID, reference: str | None) -> None:
        # Settling debits the account, so a frozen account refuses it (the hold can still be
        # released). The held funds are covered by the balance, so no funds check is needed.
        check_optional_text(reference, "reference")
        self.check_is_not_closed()
        self.check_is_not_frozen()
        self.check_has_hold(hold_id)

    def check_can_freeze(self, reason: str | None) -> None:
        check_optional_text(reason, "reason")
        self.check_is_not_closed()
        if self.status == "frozen":
            raise AccountAlreadyFrozen(f"Account {self.id} is already frozen.")

    def check_can_unfreeze(self, reason: str | None) -> None:
        check_optional_text(reason, "reason")
        self.check_is_not_closed()
        if self.status != "frozen":
            raise AccountNotFrozen(f"Account {self.id} is not frozen.")

    def check_can_close(self, reason: str | None) -> None:
        check_optional_text(reason, "reason")
        self.check_is_not_closed()
        if self.balance != 0 or self.holds:
            raise AccountNotEmpty(
                f"Account {self.id} has balance {self.balance} and {len(self.holds)} holds."
            )

    # -- commands: validate, then trigger the event ---------------------------------------------

    def credit(self, amount: int, currency: str, reference: str | None = None) -> None:
        self.check_can_credit(amount, currency, reference)
        self._credited(amount=amount, currency=currency, reference=reference)

    def debit(self, amount: int, currency: str, reference: str | None = None) -> None:
        self.check_can_debit(amount, currency, reference)
        self._debited(amount=amount, currency=currency, reference=reference)

    def hold(self, hold_id: UUID, amount: int, currency: str) -> None:
        self.check_can_hold(hold_id, amount, currency)
        self._funds_held(hold_id=hold_id, amount=amount, currency=currency)

    def release_hold(self, hold_id: UUID) -> None:
        self.check_can_release_hold(hold_id)
        self._hold_released(hold_id=hold_id, amount=self.holds[str(hold_id)])

    def settle_hold(self, hold_id: UUID, reference: str | None = None) -> None:
        """Turn a hold into a debit of the held amount: HoldReleased, then Debited."""
        self.check_can_settle_hold(hold_id, reference)
        amount = self.holds[str(hold_id)]
        self._hold_released(hold_id=hold_id, amount=amount)
        self._debited(amount=amount, currency=self.currency, reference=reference)

    def freeze(self, reason: str | None = None) -> None:
        self.check_can_freeze(reason)
        self._frozen(reason=reason)

    def unfreeze(self, reason: str | None = None) -> None:
        self.check_can_unfreeze(reason)
        self._unfrozen(reason=reason)

    def close(self, reason: str | None = None) -> None:
        self.check_can_close(reason)
        self._closed(reason=reason)

    # -- event application: runs on trigger and on replay, so it never validates -----------

    @event(Credited)
    def _credited(self, amount: int, currency: str, reference: str | None) -> None:
        self.balance += amount

    @event(Debited)
    def _debited(self, amount: int, currency: str, reference: str | None) -> None:
        self.balance -= amount

    @event(FundsHeld)
    def _funds_held(self, hold_id: UUID, amount: int, currency: str) -> None:
        self.holds[str(hold_id)] = amount

    @event(HoldReleased)
    def _hold_released(self, hold_id: UUID, amount: int) -> None:
        self.holds.pop(str(hold_id), None)

    @event(Frozen)
    def _frozen(self, reason: str | None) -> None:
        self.status = "frozen"

    @event(Unfrozen)
    def _unfrozen(self, reason: str | None) -> None:
        self.status = "open"

    @event(Closed)
    def _closed(self, reason: str | None) -> None:
        self.status = "closed"
