"""Domain services: pure functions that coordinate several aggregates for one command.

They mutate the aggregates passed in and return any new one; nothing is saved here. Every
participant's check_* method runs before any aggregate changes, so a refused command leaves all
of them untouched (no half-applied pending events for a caller to discard).
"""

from __future__ import annotations

from domain.account import Account
from domain.errors import SameAccount
from domain.money import check_amount
from domain.payment import Payment
from domain.text import check_optional_text
from domain.transfer import Transfer
from domain.user import User


def payment_reference(payment: Payment) -> str:
    """Reference on the account entries of a capture: names the payment."""
    return f"payment:{payment.id}"


def refund_reference(payment: Payment) -> str:
    """Reference on the account entries of a refund: names the refunded payment."""
    return f"refund:{payment.id}"


def open_account(owner: User, currency: str) -> Account:
    owner.check_can_open_account()
    return Account(owner_id=owner.id, currency=currency)


def transfer_funds(
    source: Account, target: Account, amount: int, reference: str | None
) -> Transfer:
    check_amount(amount)
    check_optional_text(reference, "reference")
    if source.id == target.id:
        raise SameAccount("A transfer needs two different accounts.")
    target.check_currency_matches(source.currency)
    source.check_can_debit(amount, source.currency, reference)
    target.check_can_credit(amount, target.currency, reference)
    transfer = Transfer(
        from_account_id=source.id,
        to_account_id=target.id,
        amount=amount,
        currency=source.currency,
        reference=reference,
    )
    source.debit(amount, source.currency, reference)
    target.credit(amount, target.currency, reference)
    return transfer


def authorize_payment(
    payer: Account, payee: Account, amount: int, description: str, merchant: str
) -> Payment:
    """Create the payment and hold its amount on the payer (hold id = payment id)."""
    # Creating the Payment validates the input and touches no account; if a later check
    # fails, the caller simply never sees it.
    payment = Payment(
        payer_account_id=payer.id,
        payee_account_id=payee.id,
        amount=amount,
        currency=payer.currency,
        description=description,
        merchant=merchant,
    )
    payee.check_currency_matches(payer.currency)
    payee.check_is_not_closed()
    payer.check_can_hold(payment.id, amount, payer.currency)
    payer.hold(payment.id, amount, payer.currency)
    return payment


def capture_payment(payment: Payment, payer: Account, payee: Account) -> None:
    """Settle the payer's hold (HoldReleased + Debited) and credit the payee."""
    _check_parties(payment, payer, payee)
    reference = payment_reference(payment)
    payment.check_can_capture()
    payer.check_can_settle_hold(payment.id, reference)
    payee.check_can_credit(payment.amount, payment.currency, reference)
    payment.capture()
    payer.settle_hold(payment.id, reference)
    payee.credit(payment.amount, payment.currency, reference)


def void_payment(payment: Payment, payer: Account) -> None:
    """Void an authorized payment and release its hold (allowed on a frozen payer)."""
    _check_parties(payment, payer, None)
    payment.check_can_void()
    payer.check_can_release_hold(payment.id)
    payment.void()
    payer.release_hold(payment.id)


def refund_payment(payment: Payment, payer: Account, payee: Account, amount: int) -> None:
    """Move (part of) a captured payment back: payee debited, payer credited."""
    _check_parties(payment, payer, payee)
    reference = refund_reference(payment)
    payment.check_can_refund(amount)
    payee.check_can_debit(amount, payment.currency, reference)
    payer.check_can_credit(amount, payment.currency, reference)
    payment.refund(amount)
    payee.debit(amount, payment.currency, reference)
    payer.credit(amount, payment.currency, reference)


def _check_parties(payment: Payment, payer: Account, payee: Account | None) -> None:
    # Passing the wrong account is a caller bug, not a business refusal.
    if payer.id != payment.payer_account_id:
        raise ValueError(f"Account {payer.id} is not the payer of payment {payment.id}.")
    if payee is not None and payee.id != payment.payee_account_id:
        raise ValueError(f"Account {payee.id} is not the payee of payment {payment.id}.")
