"""Transfer aggregate: the record of one completed move of money between two accounts.

The account side (source debited, target credited) is coordinated by domain/services.py; the
lead's command handler appends the three aggregates' events in one transaction.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self
from uuid import UUID

from eventsourcing.domain import Aggregate, CanInitAggregate, event

from domain.errors import SameAccount
from domain.money import check_amount, check_currency
from domain.text import check_optional_text


class Transfer(Aggregate):
    """A completed transfer; created in its final state, it has no further commands."""

    class Event(Aggregate.Event):
        # Re-declared so typing.get_type_hints() reports UUID, not the library's TypeVar.
        originator_id: UUID

    class Completed(Event, Aggregate.Created):
        SCHEMA_VERSION: ClassVar[int] = 1
        from_account_id: UUID
        to_account_id: UUID
        amount: int
        currency: str
        reference: str | None

    @classmethod
    def _create(
        cls,
        event_class: type[CanInitAggregate[UUID]],
        *,
        id: UUID | None = None,
        **kwargs: Any,
    ) -> Self:
        # __init__ is replayed for every stored Completed event, so the command input is
        # validated here, once, before the event exists (see domain/__init__).
        check_amount(kwargs.get("amount"))
        check_currency(kwargs.get("currency"))
        check_optional_text(kwargs.get("reference"), "reference")
        if kwargs.get("from_account_id") == kwargs.get("to_account_id"):
            raise SameAccount("A transfer needs two different accounts.")
        return super()._create(event_class, id=id, **kwargs)

    @event(Completed)
    def __init__(
        self,
        from_account_id: UUID,
        to_account_id: UUID,
        amount: int,
        currency: str,
        reference: str | None = None,
    ) -> None:
        self.from_account_id: UUID = from_account_id
        self.to_account_id: UUID = to_account_id
        self.amount: int = amount
        self.currency: str = currency
        self.reference: str | None = reference
