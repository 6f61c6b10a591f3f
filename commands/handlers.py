"""One handler per command: load, authorize, let the domain decide, return the addressed
aggregate. Handlers never save; the bus appends what the session collected."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.domain import Aggregate

from commands.authorization import (
    require_any_owner_or_admin,
    require_operator,
    require_user_or_admin,
)
from commands.context import Principal
from commands.messages import (
    AuthorizePayment,
    CapturePayment,
    ChangeNotificationPreferences,
    ChangeProfile,
    CloseAccount,
    DeactivateUser,
    DepositFunds,
    ForgetPersonalData,
    FreezeAccount,
    MarkNotificationsRead,
    OpenAccount,
    RefundPayment,
    RegisterUser,
    TransferFunds,
    UnfreezeAccount,
    VoidPayment,
    WithdrawFunds,
)
from commands.session import Session
from domain import services
from domain.account import Account
from domain.payment import Payment
from domain.session import Session as LoginSession
from domain.user import User

EMAIL_CLAIM = "user_email"


def email_claim_value(email: str) -> str:
    """The claims table holds a digest, so it stores no readable personal data."""
    return hashlib.sha256(email.encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """The aggregate the command addressed (its id and version are the response), and what
    else the caller must learn (``CommandResult.detail``)."""

    target: Aggregate
    created: bool = False
    detail: dict[str, Any] = field(default_factory=dict)


def register_user(cmd: RegisterUser, session: Session, principal: Principal) -> Outcome:
    user = User(
        email=cmd.email,
        full_name=cmd.full_name,
        roles=["customer"],
        password_hash=cmd.password_hash,
        language=cmd.language,
    )
    session.add(user)
    session.new_subjects.append(user.id)
    assert user.email is not None
    session.claim(EMAIL_CLAIM, email_claim_value(user.email), user.id)
    return Outcome(user, created=True)


def change_profile(cmd: ChangeProfile, session: Session, principal: Principal) -> Outcome:
    user = session.get(User, cmd.user_id, addressed=True)
    require_user_or_admin(principal, user.id)
    old_email = user.email
    user.change_profile(email=cmd.email, full_name=cmd.full_name)
    if user.email != old_email and user.email is not None and old_email is not None:
        session.release(EMAIL_CLAIM, email_claim_value(old_email), user.id)
        session.claim(EMAIL_CLAIM, email_claim_value(user.email), user.id)
    return Outcome(user)


def change_notification_preferences(
    cmd: ChangeNotificationPreferences, session: Session, principal: Principal
) -> Outcome:
    user = session.get(User, cmd.user_id, addressed=True)
    require_user_or_admin(principal, user.id)
    user.change_notification_preferences(cmd.email, cmd.language)
    return Outcome(user)


def mark_notifications_read(
    cmd: MarkNotificationsRead, session: Session, principal: Principal
) -> Outcome:
    user = session.get(User, cmd.user_id, addressed=True)
    require_user_or_admin(principal, user.id)
    user.mark_notifications_read(cmd.up_to_position)
    return Outcome(user)


def deactivate_user(cmd: DeactivateUser, session: Session, principal: Principal) -> Outcome:
    user = session.get(User, cmd.user_id, addressed=True)
    require_user_or_admin(principal, user.id)
    user.deactivate()
    return Outcome(user)


def forget_personal_data(
    cmd: ForgetPersonalData, session: Session, principal: Principal
) -> Outcome:
    user = session.get(User, cmd.user_id, addressed=True)
    require_user_or_admin(principal, user.id)
    email = user.email
    # Every session ends: the user is gone, and ended sessions drop their address in the
    # read model. (Without sessions there is nothing to record.)
    if user.session_ids:
        for session_id in user.revoke_sessions(keep=None, reason="personal-data-forgotten"):
            session.get(LoginSession, session_id).revoke("personal-data-forgotten")
    user.forget_personal_data()
    session.forgotten_subjects.append(user.id)
    if email is not None:
        session.release(EMAIL_CLAIM, email_claim_value(email), user.id)
    return Outcome(user)


def open_account(cmd: OpenAccount, session: Session, principal: Principal) -> Outcome:
    owner = session.get(User, cmd.owner_id)
    require_user_or_admin(principal, owner.id)
    account = services.open_account(owner, cmd.currency)
    session.add(account)
    return Outcome(account, created=True)


def deposit_funds(cmd: DepositFunds, session: Session, principal: Principal) -> Outcome:
    account = session.get(Account, cmd.account_id, addressed=True)
    require_any_owner_or_admin(principal, account.owner_id)
    account.credit(cmd.amount, account.currency, cmd.reference)
    return Outcome(account)


def withdraw_funds(cmd: WithdrawFunds, session: Session, principal: Principal) -> Outcome:
    account = session.get(Account, cmd.account_id, addressed=True)
    require_any_owner_or_admin(principal, account.owner_id)
    account.debit(cmd.amount, account.currency, cmd.reference)
    return Outcome(account)


def freeze_account(cmd: FreezeAccount, session: Session, principal: Principal) -> Outcome:
    require_operator(principal)
    account = session.get(Account, cmd.account_id, addressed=True)
    account.freeze(cmd.reason)
    return Outcome(account)


def unfreeze_account(cmd: UnfreezeAccount, session: Session, principal: Principal) -> Outcome:
    require_operator(principal)
    account = session.get(Account, cmd.account_id, addressed=True)
    account.unfreeze(cmd.reason)
    return Outcome(account)


def close_account(cmd: CloseAccount, session: Session, principal: Principal) -> Outcome:
    require_operator(principal)
    account = session.get(Account, cmd.account_id, addressed=True)
    account.close(cmd.reason)
    return Outcome(account)


def transfer_funds(cmd: TransferFunds, session: Session, principal: Principal) -> Outcome:
    source = session.get(Account, cmd.from_account_id)
    require_any_owner_or_admin(principal, source.owner_id)
    target = session.get(Account, cmd.to_account_id)
    transfer = services.transfer_funds(source, target, cmd.amount, cmd.reference)
    session.add(transfer)
    return Outcome(transfer, created=True)


def authorize_payment(cmd: AuthorizePayment, session: Session, principal: Principal) -> Outcome:
    payer = session.get(Account, cmd.payer_account_id)
    require_any_owner_or_admin(principal, payer.owner_id)
    payee = session.get(Account, cmd.payee_account_id)
    payment = services.authorize_payment(payer, payee, cmd.amount, cmd.description, cmd.merchant)
    session.add(payment)
    return Outcome(payment, created=True)


def _payment_parties(session: Session, payment_id: Any) -> tuple[Payment, Account, Account]:
    payment = session.get(Payment, payment_id, addressed=True)
    payer = session.get(Account, payment.payer_account_id)
    payee = session.get(Account, payment.payee_account_id)
    return payment, payer, payee


def capture_payment(cmd: CapturePayment, session: Session, principal: Principal) -> Outcome:
    payment, payer, payee = _payment_parties(session, cmd.payment_id)
    require_any_owner_or_admin(principal, payer.owner_id, payee.owner_id)
    services.capture_payment(payment, payer, payee)
    return Outcome(payment)


def void_payment(cmd: VoidPayment, session: Session, principal: Principal) -> Outcome:
    payment, payer, payee = _payment_parties(session, cmd.payment_id)
    require_any_owner_or_admin(principal, payer.owner_id, payee.owner_id)
    services.void_payment(payment, payer)
    return Outcome(payment)


def refund_payment(cmd: RefundPayment, session: Session, principal: Principal) -> Outcome:
    payment, payer, payee = _payment_parties(session, cmd.payment_id)
    require_any_owner_or_admin(principal, payee.owner_id)
    services.refund_payment(payment, payer, payee, cmd.amount)
    return Outcome(payment)


Handler = Callable[[Any, Session, Principal], Outcome]

HANDLERS: dict[type[Any], Handler] = {
    RegisterUser: register_user,
    ChangeProfile: change_profile,
    ChangeNotificationPreferences: change_notification_preferences,
    MarkNotificationsRead: mark_notifications_read,
    DeactivateUser: deactivate_user,
    ForgetPersonalData: forget_personal_data,
    OpenAccount: open_account,
    DepositFunds: deposit_funds,
    WithdrawFunds: withdraw_funds,
    FreezeAccount: freeze_account,
    UnfreezeAccount: unfreeze_account,
    CloseAccount: close_account,
    TransferFunds: transfer_funds,
    AuthorizePayment: authorize_payment,
    CapturePayment: capture_payment,
    VoidPayment: void_payment,
    RefundPayment: refund_payment,
}
