"""Account rules: movements, holds, freezing, closing."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid4

import pytest

from domain.account import Account
from domain.errors import (
    AccountAlreadyFrozen,
    AccountClosed,
    AccountFrozen,
    AccountNotEmpty,
    AccountNotFrozen,
    CurrencyMismatch,
    DomainError,
    DuplicateHold,
    InsufficientFunds,
    InvalidAmount,
    InvalidText,
    UnknownCurrency,
    UnknownHold,
)
from tests.domain.factories import an_account, event_names


def test_an_account_opens_empty_and_open_in_its_currency() -> None:
    owner_id = uuid4()
    account = Account(owner_id=owner_id, currency="USD")
    assert (account.owner_id, account.currency) == (owner_id, "USD")
    assert (account.balance, account.available, account.holds, account.status) == (0, 0, {}, "open")
    assert event_names(account) == ["Opened"]


def test_an_account_in_an_unknown_currency_is_refused() -> None:
    with pytest.raises(UnknownCurrency):
        Account(owner_id=uuid4(), currency="XYZ")


def test_a_credit_raises_the_balance() -> None:
    account = an_account()
    account.credit(2500, "EUR", "salary")
    assert (account.balance, account.available) == (2500, 2500)
    credited = account.collect_events()[-1]
    assert isinstance(credited, Account.Credited)
    assert (credited.amount, credited.currency, credited.reference) == (2500, "EUR", "salary")


@pytest.mark.parametrize("amount", [0, -100, 10**15 + 1, True])
def test_a_credit_of_an_invalid_amount_is_refused(amount: int) -> None:
    with pytest.raises(InvalidAmount):
        an_account().credit(amount, "EUR", None)


def test_a_credit_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        an_account(currency="EUR").credit(100, "USD", None)


def test_a_reference_longer_than_200_characters_is_refused() -> None:
    with pytest.raises(InvalidText):
        an_account().credit(100, "EUR", "x" * 201)


def test_a_debit_within_the_available_balance_lowers_the_balance() -> None:
    account = an_account(balance=1000)
    account.debit(1000, "EUR", "rent")
    assert account.balance == 0
    assert event_names(account)[-1] == "Debited"


def test_a_debit_beyond_the_available_balance_is_refused() -> None:
    account = an_account(balance=1000)
    with pytest.raises(InsufficientFunds):
        account.debit(1001, "EUR", None)
    assert account.balance == 1000


def test_a_debit_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        an_account(currency="EUR", balance=1000).debit(10, "USD", None)


def test_a_hold_lowers_the_available_balance_but_not_the_balance() -> None:
    account = an_account(balance=1000)
    hold_id = uuid4()

    account.hold(hold_id, 300, "EUR")

    assert (account.balance, account.available, account.holds) == (1000, 700, {str(hold_id): 300})
    held = account.collect_events()[-1]
    assert isinstance(held, Account.FundsHeld)
    assert (held.hold_id, held.amount, held.currency) == (hold_id, 300, "EUR")


def test_a_debit_beyond_the_balance_left_available_by_holds_is_refused() -> None:
    account = an_account(balance=1000)
    account.hold(uuid4(), 600, "EUR")
    with pytest.raises(InsufficientFunds):
        account.debit(500, "EUR", None)


def test_a_hold_beyond_the_available_balance_is_refused() -> None:
    account = an_account(balance=1000)
    account.hold(uuid4(), 600, "EUR")
    with pytest.raises(InsufficientFunds):
        account.hold(uuid4(), 401, "EUR")


def test_a_second_hold_with_the_same_id_is_refused() -> None:
    account = an_account(balance=1000)
    hold_id = uuid4()
    account.hold(hold_id, 100, "EUR")
    with pytest.raises(DuplicateHold):
        account.hold(hold_id, 100, "EUR")


def test_a_hold_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        an_account(currency="EUR", balance=1000).hold(uuid4(), 100, "GBP")


def test_releasing_a_hold_restores_the_available_balance() -> None:
    account = an_account(balance=1000)
    hold_id = uuid4()
    account.hold(hold_id, 300, "EUR")

    account.release_hold(hold_id)

    assert (account.balance, account.available, account.holds) == (1000, 1000, {})
    released = account.collect_events()[-1]
    assert isinstance(released, Account.HoldReleased)
    assert (released.hold_id, released.amount) == (hold_id, 300)


def test_releasing_an_unknown_hold_is_refused() -> None:
    with pytest.raises(UnknownHold):
        an_account(balance=1000).release_hold(uuid4())


def test_settling_a_hold_releases_it_then_debits_the_held_amount() -> None:
    account = an_account(balance=1000)
    hold_id = uuid4()
    account.hold(hold_id, 300, "EUR")

    account.settle_hold(hold_id, "payment")

    assert (account.balance, account.available, account.holds) == (700, 700, {})
    assert event_names(account)[-2:] == ["HoldReleased", "Debited"]


def test_settling_an_unknown_hold_is_refused() -> None:
    with pytest.raises(UnknownHold):
        an_account(balance=1000).settle_hold(uuid4(), None)


def frozen_account_with_hold() -> tuple[Account, UUID]:
    account = an_account(balance=1000)
    hold_id = uuid4()
    account.hold(hold_id, 300, "EUR")
    account.freeze("suspicious activity")
    return account, hold_id


def test_freezing_marks_the_account_frozen() -> None:
    account, _ = frozen_account_with_hold()
    assert account.status == "frozen"
    frozen = account.collect_events()[-1]
    assert isinstance(frozen, Account.Frozen)
    assert frozen.reason == "suspicious activity"


def test_a_frozen_account_refuses_debits() -> None:
    account, _ = frozen_account_with_hold()
    with pytest.raises(AccountFrozen):
        account.debit(1, "EUR", None)


def test_a_frozen_account_refuses_new_holds() -> None:
    account, _ = frozen_account_with_hold()
    with pytest.raises(AccountFrozen):
        account.hold(uuid4(), 1, "EUR")


def test_a_frozen_account_refuses_to_settle_a_hold() -> None:
    account, hold_id = frozen_account_with_hold()
    with pytest.raises(AccountFrozen):
        account.settle_hold(hold_id, None)


def test_a_frozen_account_accepts_credits() -> None:
    account, _ = frozen_account_with_hold()
    account.credit(50, "EUR", None)
    assert account.balance == 1050


def test_a_frozen_account_can_release_a_hold() -> None:
    account, hold_id = frozen_account_with_hold()
    account.release_hold(hold_id)
    assert account.available == 1000


def test_freezing_a_frozen_account_is_refused() -> None:
    account, _ = frozen_account_with_hold()
    with pytest.raises(AccountAlreadyFrozen):
        account.freeze(None)


def test_unfreezing_an_account_that_is_not_frozen_is_refused() -> None:
    with pytest.raises(AccountNotFrozen):
        an_account().unfreeze(None)


def test_an_unfrozen_account_accepts_debits_again() -> None:
    account, _ = frozen_account_with_hold()
    account.unfreeze("cleared")
    account.debit(700, "EUR", None)
    assert (account.status, account.balance, account.available) == ("open", 300, 0)


def test_an_empty_account_can_be_closed() -> None:
    account = an_account()
    account.close("customer request")
    assert account.status == "closed"
    assert event_names(account)[-1] == "Closed"


def test_an_empty_frozen_account_can_be_closed() -> None:
    account = an_account()
    account.freeze(None)
    account.close(None)
    assert account.status == "closed"


def test_closing_an_account_with_a_balance_is_refused() -> None:
    with pytest.raises(AccountNotEmpty):
        an_account(balance=1).close(None)


def test_closing_an_account_with_a_hold_is_refused() -> None:
    account = an_account(balance=100)
    account.hold(uuid4(), 100, "EUR")
    # The whole balance is held, so a debit can't empty the account either.
    with pytest.raises(InsufficientFunds):
        account.debit(100, "EUR", None)
    with pytest.raises(AccountNotEmpty):
        account.close(None)


@pytest.mark.parametrize(
    "command",
    [
        lambda a: a.credit(1, "EUR", None),
        lambda a: a.debit(1, "EUR", None),
        lambda a: a.hold(uuid4(), 1, "EUR"),
        lambda a: a.release_hold(uuid4()),
        lambda a: a.settle_hold(uuid4(), None),
        lambda a: a.freeze(None),
        lambda a: a.unfreeze(None),
        lambda a: a.close(None),
    ],
    ids=["credit", "debit", "hold", "release", "settle", "freeze", "unfreeze", "close"],
)
def test_a_closed_account_accepts_nothing(command: Callable[[Account], None]) -> None:
    account = an_account()
    account.close(None)
    version = account.version
    with pytest.raises(AccountClosed):
        command(account)
    assert account.version == version


def test_a_refused_command_records_no_event() -> None:
    account = an_account(balance=10)
    version = account.version
    with pytest.raises(DomainError):
        account.debit(11, "EUR", None)
    assert account.version == version
    assert event_names(account) == ["Opened", "Credited"]
