"""Command messages: what a caller asks the system to do, named in the imperative."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class RegisterUser:
    email: str
    full_name: str
    password_hash: str | None = None  # hashed by the caller: hashing is slow, retries are not
    language: str | None = None  # of the user's e-mails; None: the default


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
class ChangeNotificationPreferences:
    user_id: UUID
    email: dict[str, bool] = field(default_factory=dict)  # kind -> on; kinds left out stay
    language: str | None = None  # None: unchanged


@dataclass(frozen=True)
class MarkNotificationsRead:
    user_id: UUID
    up_to_position: int


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


# -- auth (handled by commands.auth_handlers) -----------------------------------------------


@dataclass(frozen=True)
class NewSession:
    """What a successful login starts: the session's id, its first refresh token's digest and
    where the login came from."""

    session_id: UUID
    refresh_digest: str
    address: str | None
    user_agent: str | None


@dataclass(frozen=True)
class LogIn:
    user_id: UUID
    password: str = field(repr=False)
    session: NewSession


@dataclass(frozen=True)
class RecordFailedLogin:
    user_id: UUID
    reason: str
    address: str | None
    user_agent: str | None


@dataclass(frozen=True)
class CompleteMfaLogin:
    user_id: UUID
    code: str = field(repr=False)
    session: NewSession


@dataclass(frozen=True)
class RefreshSession:
    session_id: UUID
    presented_digest: str
    new_digest: str


@dataclass(frozen=True)
class LogOut:
    session_id: UUID


@dataclass(frozen=True)
class ChangePassword:
    user_id: UUID
    current_password: str = field(repr=False)
    new_password_hash: str = field(repr=False)


@dataclass(frozen=True)
class StartTotpEnrolment:
    user_id: UUID
    totp_secret: str = field(repr=False)


@dataclass(frozen=True)
class ConfirmTotpEnrolment:
    user_id: UUID
    code: str = field(repr=False)
    recovery_code_digests: tuple[str, ...] = field(repr=False)


@dataclass(frozen=True)
class DisableMfa:
    user_id: UUID
    password: str = field(repr=False)
    code: str = field(repr=False)


@dataclass(frozen=True)
class RevokeSession:
    user_id: UUID
    session_id: UUID


@dataclass(frozen=True)
class RevokeAllSessions:
    user_id: UUID


# -- account recovery by e-mail (handled by commands.recovery_handlers) ---------------------


@dataclass(frozen=True)
class VerifyEmail:
    """The nonce of a verification link: the user version at which the address was set."""

    user_id: UUID
    email_version: int


@dataclass(frozen=True)
class RequestPasswordReset:
    user_id: UUID
    reset_id: UUID
    expires_at: datetime


@dataclass(frozen=True)
class ResetPassword:
    user_id: UUID
    reset_id: UUID  # the nonce of the reset link
    new_password_hash: str = field(repr=False)


@dataclass(frozen=True)
class GrantRole:
    user_id: UUID
    role: str


@dataclass(frozen=True)
class RevokeRole:
    user_id: UUID
    role: str


Command = (
    RegisterUser
    | ChangeProfile
    | DeactivateUser
    | ForgetPersonalData
    | ChangeNotificationPreferences
    | MarkNotificationsRead
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
    | LogIn
    | RecordFailedLogin
    | CompleteMfaLogin
    | RefreshSession
    | LogOut
    | ChangePassword
    | StartTotpEnrolment
    | ConfirmTotpEnrolment
    | DisableMfa
    | RevokeSession
    | RevokeAllSessions
    | VerifyEmail
    | RequestPasswordReset
    | ResetPassword
    | GrantRole
    | RevokeRole
)
