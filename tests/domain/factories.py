"""Builders for domain unit tests: aggregates in a given state, and replay of their events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar, cast
from uuid import uuid4

from eventsourcing.domain import Aggregate

from domain.account import Account
from domain.user import User

A = TypeVar("A", bound=Aggregate)


def a_user(
    email: str = "ada@example.com", full_name: str = "Ada Lovelace", roles: list[str] | None = None
) -> User:
    return User(email=email, full_name=full_name, roles=roles)


def an_account(currency: str = "EUR", balance: int = 0) -> Account:
    account = Account(owner_id=uuid4(), currency=currency)
    if balance:
        account.credit(balance, currency, "opening deposit")
    return account


def event_names(aggregate: Aggregate) -> list[str]:
    """Class names of the aggregate's pending events, without collecting them."""
    return [type(e).__name__ for e in aggregate.pending_events]


def replay(events: Sequence[Any], aggregate: A | None = None) -> A:
    """Rebuild an aggregate by mutating from its events, as a repository would."""
    result: Any = aggregate
    for domain_event in events:
        result = domain_event.mutate(result)
    assert result is not None
    return cast(A, result)
