"""Command messages: what a caller asks the system to do, named in the imperative."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class RegisterUser:
    email: str
    full_name: str


@dataclass(frozen=True)
class ChangeProfile:
    user_id: UUID
    email: str | None = None
    full_name: str | None = None


@dataclass(frozen=True)
class DeactivateUser:
    user_id: UUID


@dataclass(frozen=True)
class ForgetPersonalData:
    user_id: UUID


@dataclass(frozen=True)
class OpenAccount:
    owner_id: UUID
    currency: str


@dataclass(frozen=True)
class DepositFunds:
    account_id: UUID
    amount: int
    reference: str | None = None


@dataclass(frozen=True)
class WithdrawFunds:
    account_id: UUID
    amount: int
    reference: str | None = None


@dataclass(frozen=True)
class FreezeAccount:
    account_id: UUID
    reason: str | None = None


@dataclass(frozen=True)
class UnfreezeAccount:
    account_id: UUID
    reason: str | None = None


@dataclass(frozen=True)
class CloseAccount:
    account_id: UUID
    reason: str | None = None


@dataclass(frozen=True)
class TransferFunds:
    from_account_id: UUID
    to_account_id: UUID
    amount: int
    reference: str | None = None


@dataclass(frozen=True)
class AuthorizePayment:
    payer_account_id: UUID
    payee_account_id: UUID
    amount: int
    description: str
    merchant: str


@dataclass(frozen=True)
class CapturePayment:
    payment_id: UUID


@dataclass(frozen=True)
class VoidPayment:
    payment_id: UUID


@dataclass(frozen=True)
class RefundPayment:
    payment_id: UUID
    amount: int


Command = (
    RegisterUser
    | ChangeProfile
    | DeactivateUser
    | ForgetPersonalData
    | OpenAccount
    | DepositFunds
    | WithdrawFunds
    | FreezeAccount
    | UnfreezeAccount
    | CloseAccount
    | TransferFunds
    | AuthorizePayment
    | CapturePayment
    | VoidPayment
    | RefundPayment
)
