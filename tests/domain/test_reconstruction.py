"""Replaying an aggregate's events rebuilds its state, and never re-validates history."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate

from domain.account import Account
from domain.payment import Payment
from domain.services import authorize_payment, capture_payment, refund_payment, transfer_funds
from domain.user import User
from tests.domain.factories import a_user, an_account, replay


def a_busy_user() -> list[Aggregate]:
    user = a_user(roles=["customer", "operator"])
    user.change_profile(email="ada.king@example.com")
    user.change_profile(full_name="Ada King")
    user.deactivate()
    user.forget_personal_data()
    return [user]


def a_busy_account() -> list[Aggregate]:
    account = an_account(balance=1000)
    account.debit(100, "EUR", "fees")
    hold_id, other_hold_id = uuid4(), uuid4()
    account.hold(hold_id, 200, "EUR")
    account.hold(other_hold_id, 50, "EUR")
    account.release_hold(other_hold_id)
    account.settle_hold(hold_id, "settled")
    account.freeze("check")
    account.credit(5, "EUR", None)
    account.unfreeze(None)
    account.debit(705, "EUR", None)
    account.close("done")
    return [account]


def a_refunded_payment_and_a_transfer() -> list[Aggregate]:
    payer, payee, other = an_account(balance=1000), an_account(), an_account()
    payment = authorize_payment(payer, payee, 300, "book", "Bookshop")
    capture_payment(payment, payer, payee)
    refund_payment(payment, payer, payee, 100)
    transfer = transfer_funds(payee, other, 50, "split")
    return [payment, payer, payee, other, transfer]


@pytest.mark.parametrize(
    "scenario", [a_busy_user, a_busy_account, a_refunded_payment_and_a_transfer]
)
def test_replaying_the_collected_events_rebuilds_the_same_state(
    scenario: Callable[[], list[Aggregate]],
) -> None:
    for aggregate in scenario():
        events = aggregate.collect_events()
        rebuilt = replay(events)
        assert rebuilt == aggregate
        assert rebuilt.version == len(events)


def test_replaying_a_registration_does_not_revalidate_the_email() -> None:
    (registered,) = a_user().collect_events()
    legacy = dataclasses.replace(registered, email="no longer valid")  # type: ignore[type-var]

    user: User = replay([legacy])

    assert user.email == "no longer valid"


def test_replaying_an_account_in_a_withdrawn_currency_does_not_revalidate_the_currency() -> None:
    account = Account(owner_id=uuid4(), currency="EUR")
    account.credit(100, "EUR", None)
    opened, credited = account.collect_events()
    legacy = [
        dataclasses.replace(opened, currency="HRK"),  # type: ignore[type-var]
        dataclasses.replace(credited, currency="HRK"),  # type: ignore[type-var]
    ]

    rebuilt: Account = replay(legacy)

    assert (rebuilt.currency, rebuilt.balance) == ("HRK", 100)


def test_replaying_a_debit_does_not_recheck_the_funds_available_today() -> None:
    # A debit that today's rules would refuse (say, an old overdraft) still replays.
    account = an_account(balance=100)
    account.debit(100, "EUR", None)
    opened, _credited, debited = account.collect_events()
    overdraft = dataclasses.replace(debited, originator_version=2)  # type: ignore[type-var]

    rebuilt: Account = replay([opened, overdraft])

    assert rebuilt.balance == -100


def test_replaying_onto_a_partly_rebuilt_aggregate_continues_from_its_version() -> None:
    payer, payee = an_account(balance=1000), an_account()
    payment = authorize_payment(payer, payee, 10, "", "shop")
    first = payment.collect_events()
    capture_payment(payment, payer, payee)
    rest = payment.collect_events()

    rebuilt: Payment = replay(rest, replay(first))

    assert rebuilt == payment
    assert rebuilt.status == "captured"
