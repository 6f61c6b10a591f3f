"""Payment rules: authorize (hold), capture, void, refund, coordinated with the accounts."""

from __future__ import annotations

import pytest

from domain.account import Account
from domain.errors import (
    AccountClosed,
    AccountFrozen,
    CurrencyMismatch,
    InsufficientFunds,
    InvalidAmount,
    InvalidPaymentState,
    InvalidText,
    RefundExceedsCaptured,
    SameAccount,
)
from domain.payment import Payment
from domain.services import (
    authorize_payment,
    capture_payment,
    payment_reference,
    refund_payment,
    void_payment,
)
from tests.domain.factories import an_account, event_names


def authorized(amount: int = 300) -> tuple[Payment, Account, Account]:
    payer = an_account(balance=1000)
    payee = an_account()
    payment = authorize_payment(payer, payee, amount, "2 coffees", "Café Nero")
    return payment, payer, payee


def captured(amount: int = 300) -> tuple[Payment, Account, Account]:
    payment, payer, payee = authorized(amount)
    capture_payment(payment, payer, payee)
    return payment, payer, payee


def versions(*aggregates: Payment | Account) -> list[int]:
    return [aggregate.version for aggregate in aggregates]


def test_authorizing_a_payment_holds_its_amount_on_the_payer_under_the_payment_id() -> None:
    payment, payer, payee = authorized(300)

    assert payment.status == "authorized"
    assert (payment.amount, payment.currency, payment.captured, payment.refunded) == (
        300,
        "EUR",
        0,
        0,
    )
    assert (payment.payer_account_id, payment.payee_account_id) == (payer.id, payee.id)
    assert (payment.description, payment.merchant) == ("2 coffees", "Café Nero")
    assert payer.holds == {str(payment.id): 300}
    assert (payer.balance, payer.available) == (1000, 700)
    assert event_names(payee) == ["Opened"]
    assert event_names(payment) == ["Authorized"]


def test_authorizing_a_payment_to_the_same_account_is_refused() -> None:
    account = an_account(balance=1000)
    with pytest.raises(SameAccount):
        authorize_payment(account, account, 100, "", "shop")


def test_authorizing_a_payment_between_currencies_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        authorize_payment(an_account(balance=1000), an_account("USD"), 100, "", "shop")


def test_authorizing_a_payment_to_a_closed_payee_is_refused() -> None:
    payee = an_account()
    payee.close(None)
    with pytest.raises(AccountClosed):
        authorize_payment(an_account(balance=1000), payee, 100, "", "shop")


def test_authorizing_a_payment_to_a_frozen_payee_is_accepted() -> None:
    payee = an_account()
    payee.freeze(None)
    payment = authorize_payment(an_account(balance=1000), payee, 100, "", "shop")
    assert payment.status == "authorized"


def test_authorizing_a_payment_beyond_the_payers_available_balance_is_refused() -> None:
    payer = an_account(balance=99)
    with pytest.raises(InsufficientFunds):
        authorize_payment(payer, an_account(), 100, "", "shop")
    assert event_names(payer) == ["Opened", "Credited"]


def test_authorizing_a_payment_from_a_frozen_payer_is_refused() -> None:
    payer = an_account(balance=1000)
    payer.freeze(None)
    with pytest.raises(AccountFrozen):
        authorize_payment(payer, an_account(), 100, "", "shop")


def test_authorizing_a_payment_of_an_invalid_amount_is_refused() -> None:
    with pytest.raises(InvalidAmount):
        authorize_payment(an_account(balance=1000), an_account(), 0, "", "shop")


def test_authorizing_a_payment_with_an_overlong_description_is_refused() -> None:
    with pytest.raises(InvalidText):
        authorize_payment(an_account(balance=1000), an_account(), 1, "x" * 201, "shop")


def test_capturing_moves_the_held_money_from_payer_to_payee() -> None:
    payment, payer, payee = captured(300)

    assert (payment.status, payment.captured) == ("captured", 300)
    assert (payer.balance, payer.available, payer.holds) == (700, 700, {})
    assert (payee.balance, payee.available) == (300, 300)
    assert event_names(payer)[-2:] == ["HoldReleased", "Debited"]
    assert event_names(payee)[-1] == "Credited"
    debited = payer.collect_events()[-1]
    assert isinstance(debited, Account.Debited)
    assert debited.reference == payment_reference(payment)


def test_capturing_twice_is_refused() -> None:
    payment, payer, payee = captured()
    with pytest.raises(InvalidPaymentState):
        capture_payment(payment, payer, payee)


def test_capturing_a_voided_payment_is_refused() -> None:
    payment, payer, payee = authorized()
    void_payment(payment, payer)
    with pytest.raises(InvalidPaymentState):
        capture_payment(payment, payer, payee)


def test_capturing_from_a_frozen_payer_is_refused_and_changes_nothing() -> None:
    payment, payer, payee = authorized()
    payer.freeze(None)
    before = versions(payment, payer, payee)
    with pytest.raises(AccountFrozen):
        capture_payment(payment, payer, payee)
    assert versions(payment, payer, payee) == before


def test_capturing_to_a_closed_payee_is_refused_and_changes_nothing() -> None:
    payment, payer, payee = authorized()
    payee.close(None)
    before = versions(payment, payer, payee)
    with pytest.raises(AccountClosed):
        capture_payment(payment, payer, payee)
    assert versions(payment, payer, payee) == before
    assert payment.status == "authorized"


def test_capturing_with_accounts_that_are_not_the_payments_is_a_programming_error() -> None:
    payment, payer, _ = authorized()
    with pytest.raises(ValueError):
        capture_payment(payment, payer, an_account())


def test_voiding_releases_the_hold() -> None:
    payment, payer, _ = authorized()

    void_payment(payment, payer)

    assert payment.status == "voided"
    assert (payer.balance, payer.available, payer.holds) == (1000, 1000, {})
    assert event_names(payer)[-1] == "HoldReleased"


def test_voiding_a_payment_of_a_frozen_payer_is_allowed() -> None:
    payment, payer, _ = authorized()
    payer.freeze(None)
    void_payment(payment, payer)
    assert payer.available == 1000


def test_voiding_a_captured_payment_is_refused() -> None:
    payment, payer, _ = captured()
    with pytest.raises(InvalidPaymentState):
        void_payment(payment, payer)


def test_a_partial_refund_moves_money_back_and_marks_the_payment_partially_refunded() -> None:
    payment, payer, payee = captured(300)

    refund_payment(payment, payer, payee, 100)

    assert (payment.status, payment.refunded, payment.refundable) == (
        "partially_refunded",
        100,
        200,
    )
    assert (payer.balance, payee.balance) == (800, 200)


def test_refunding_the_rest_marks_the_payment_refunded() -> None:
    payment, payer, payee = captured(300)
    refund_payment(payment, payer, payee, 100)

    refund_payment(payment, payer, payee, 200)

    assert (payment.status, payment.refunded) == ("refunded", 300)
    assert (payer.balance, payee.balance) == (1000, 0)


def test_refunding_more_than_captured_minus_refunded_is_refused() -> None:
    payment, payer, payee = captured(300)
    refund_payment(payment, payer, payee, 100)
    with pytest.raises(RefundExceedsCaptured):
        refund_payment(payment, payer, payee, 201)


def test_refunding_an_uncaptured_payment_is_refused() -> None:
    payment, payer, payee = authorized()
    with pytest.raises(InvalidPaymentState):
        refund_payment(payment, payer, payee, 1)


def test_refunding_a_fully_refunded_payment_is_refused() -> None:
    payment, payer, payee = captured(300)
    refund_payment(payment, payer, payee, 300)
    with pytest.raises(InvalidPaymentState):
        refund_payment(payment, payer, payee, 1)


def test_a_refund_the_payee_cannot_cover_is_refused_and_changes_nothing() -> None:
    payment, payer, payee = captured(300)
    payee.debit(250, "EUR", "payout")
    before = versions(payment, payer, payee)
    with pytest.raises(InsufficientFunds):
        refund_payment(payment, payer, payee, 100)
    assert versions(payment, payer, payee) == before


def test_a_refund_from_a_frozen_payee_is_refused() -> None:
    payment, payer, payee = captured(300)
    payee.freeze(None)
    with pytest.raises(AccountFrozen):
        refund_payment(payment, payer, payee, 100)
