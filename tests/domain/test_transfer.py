"""Transfer rules: two different accounts, one currency, source debited, target credited."""

from __future__ import annotations

import pytest

from domain.account import Account
from domain.errors import (
    AccountClosed,
    AccountFrozen,
    CurrencyMismatch,
    InsufficientFunds,
    InvalidAmount,
    SameAccount,
)
from domain.services import transfer_funds
from domain.transfer import Transfer
from tests.domain.factories import an_account, event_names


def test_a_transfer_debits_the_source_credits_the_target_and_records_a_transfer() -> None:
    source, target = an_account(balance=1000), an_account()

    transfer = transfer_funds(source, target, 400, "rent share")

    assert (source.balance, target.balance) == (600, 400)
    assert (transfer.from_account_id, transfer.to_account_id) == (source.id, target.id)
    assert (transfer.amount, transfer.currency, transfer.reference) == (400, "EUR", "rent share")
    assert event_names(source)[-1] == "Debited"
    assert event_names(target)[-1] == "Credited"
    (completed,) = transfer.collect_events()
    assert isinstance(completed, Transfer.Completed)


def test_a_transfer_to_the_same_account_is_refused() -> None:
    account = an_account(balance=1000)
    with pytest.raises(SameAccount):
        transfer_funds(account, account, 1, None)


def test_a_transfer_between_currencies_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        transfer_funds(an_account(balance=1000), an_account("USD"), 1, None)


def test_a_transfer_beyond_the_sources_available_balance_is_refused() -> None:
    with pytest.raises(InsufficientFunds):
        transfer_funds(an_account(balance=10), an_account(), 11, None)


def test_a_transfer_of_an_invalid_amount_is_refused() -> None:
    with pytest.raises(InvalidAmount):
        transfer_funds(an_account(balance=10), an_account(), -1, None)


def test_a_transfer_from_a_frozen_account_is_refused() -> None:
    source = an_account(balance=10)
    source.freeze(None)
    with pytest.raises(AccountFrozen):
        transfer_funds(source, an_account(), 1, None)


def test_a_transfer_to_a_frozen_account_is_accepted() -> None:
    target = an_account()
    target.freeze(None)
    transfer_funds(an_account(balance=10), target, 10, None)
    assert target.balance == 10


def test_a_transfer_to_a_closed_account_is_refused_and_leaves_the_source_untouched() -> None:
    source, target = an_account(balance=10), an_account()
    target.close(None)
    with pytest.raises(AccountClosed):
        transfer_funds(source, target, 5, None)
    assert (source.balance, event_names(source)) == (10, ["Opened", "Credited"])


def test_a_transfer_record_needs_two_different_accounts() -> None:
    account: Account = an_account()
    with pytest.raises(SameAccount):
        Transfer(
            from_account_id=account.id,
            to_account_id=account.id,
            amount=1,
            currency="EUR",
            reference=None,
        )
