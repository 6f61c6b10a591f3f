"""Payment aggregate: a card-style payment from a payer account to a payee (merchant) account.

Lifecycle: authorized (a hold on the payer) -> captured (money moved) -> partially_refunded /
refunded; or authorized -> voided (hold released). The account side of each step is coordinated
by domain/services.py; this aggregate only records the payment's own state.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self
from uuid import UUID

from eventsourcing.domain import Aggregate, CanInitAggregate, event

from domain.errors import InvalidPaymentState, RefundExceedsCaptured, SameAccount
from domain.money import check_amount, check_currency
from domain.text import check_text

PaymentStatus = Literal["authorized", "captured", "voided", "partially_refunded", "refunded"]


class Payment(Aggregate):
    """One payment; its id is also the id of the hold it places on the payer account."""

    class Event(Aggregate.Event):
        # Re-declared so typing.get_type_hints() reports UUID, not the library's TypeVar.
        originator_id: UUID

    class Authorized(Event, Aggregate.Created):
        SCHEMA_VERSION: ClassVar[int] = 1
        payer_account_id: UUID
        payee_account_id: UUID
        amount: int
        currency: str
        description: str
        merchant: str

    class Captured(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        amount: int

    class Voided(Event):
        SCHEMA_VERSION: ClassVar[int] = 1

    class Refunded(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        amount: int

    @classmethod
    def _create(
        cls,
        event_class: type[CanInitAggregate[UUID]],
        *,
        id: UUID | None = None,
        **kwargs: Any,
    ) -> Self:
        # __init__ is replayed for every stored Authorized event, so the command input is
        # validated here, once, before the event exists (see domain/__init__).
        check_amount(kwargs.get("amount"))
        check_currency(kwargs.get("currency"))
        check_text(kwargs.get("description"), "description")
        check_text(kwargs.get("merchant"), "merchant")
        if kwargs.get("payer_account_id") == kwargs.get("payee_account_id"):
            raise SameAccount("A payment's payer and payee must be different accounts.")
        return super()._create(event_class, id=id, **kwargs)

    @event(Authorized)
    def __init__(
        self,
        payer_account_id: UUID,
        payee_account_id: UUID,
        amount: int,
        currency: str,
        description: str,
        merchant: str,
    ) -> None:
        self.payer_account_id: UUID = payer_account_id
        self.payee_account_id: UUID = payee_account_id
        self.amount: int = amount
        self.currency: str = currency
        self.description: str = description
        self.merchant: str = merchant
        self.captured: int = 0
        self.refunded: int = 0
        self.status: PaymentStatus = "authorized"

    @property
    def refundable(self) -> int:
        """What may still be refunded: captured minus already refunded."""
        return self.captured - self.refunded

    # -- invariants -------------------------------------------------------------------------

    def check_is_authorized(self, operation: str) -> None:
        if self.status != "authorized":
            raise InvalidPaymentState(
                f"Payment {self.id} is {self.status}; "
                f"only an authorized payment can be {operation}."
            )

    def check_can_capture(self) -> None:
        self.check_is_authorized("captured")

    def check_can_void(self) -> None:
        self.check_is_authorized("voided")

    def check_can_refund(self, amount: int) -> None:
        check_amount(amount)
        if self.status not in ("captured", "partially_refunded"):
            raise InvalidPaymentState(
                f"Payment {self.id} is {self.status}; only a captured payment can be refunded."
            )
        if amount > self.refundable:
            raise RefundExceedsCaptured(
                f"Payment {self.id} has {self.refundable} left to refund, {amount} requested."
            )

    # -- commands: validate, then trigger the event ---------------------------------------------

    def capture(self) -> None:
        self.check_can_capture()
        self._captured(amount=self.amount)

    def void(self) -> None:
        self.check_can_void()
        self._voided()

    def refund(self, amount: int) -> None:
        self.check_can_refund(amount)
        self._refunded(amount=amount)

    # -- event application: runs on trigger and on replay, so it never validates -----------

    @event(Captured)
    def _captured(self, amount: int) -> None:
        self.captured = amount
        self.status = "captured"

    @event(Voided)
    def _voided(self) -> None:
        self.status = "voided"

    @event(Refunded)
    def _refunded(self, amount: int) -> None:
        self.refunded += amount
        self.status = "refunded" if self.refunded >= self.captured else "partially_refunded"
