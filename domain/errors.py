"""Domain errors: every refusal the domain can express, with a stable kebab-case code.

Two families, which the HTTP layer maps once for the whole app:
- ``InvalidInput``: the command carried a value that can never be valid (HTTP 422).
- ``RuleViolation``: the value is fine but the current state forbids the change (HTTP 409).
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """Base of all domain refusals; ``str(error)`` is a message fit for a human."""

    code: ClassVar[str] = "domain-error"
    default_message: ClassVar[str] = "The domain refused the command."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self)


class InvalidInput(DomainError):
    code = "invalid-input"
    default_message = "The command carried an invalid value."


class InvalidAmount(InvalidInput):
    code = "invalid-amount"
    default_message = "Amounts are positive integers in minor units, at most 10^15."


class UnknownCurrency(InvalidInput):
    code = "unknown-currency"
    default_message = "The currency is not an active ISO 4217 code."


class InvalidEmail(InvalidInput):
    code = "invalid-email"
    default_message = "The email address is not valid."


class InvalidName(InvalidInput):
    code = "invalid-name"
    default_message = "The full name must be non-empty and at most 200 characters."


class InvalidRole(InvalidInput):
    code = "invalid-role"
    default_message = "Roles must be a non-empty subset of customer, operator, auditor, admin."


class InvalidText(InvalidInput):
    code = "invalid-text"
    default_message = "Free text fields are strings of at most 200 characters."


class RuleViolation(DomainError):
    code = "rule-violation"
    default_message = "The command violates a business rule."


class InsufficientFunds(RuleViolation):
    code = "insufficient-funds"
    default_message = "The available balance does not cover the amount."


class CurrencyMismatch(RuleViolation):
    code = "currency-mismatch"
    default_message = "The currency differs from the account's currency."


class AccountFrozen(RuleViolation):
    code = "account-frozen"
    default_message = "The account is frozen."


class AccountClosed(RuleViolation):
    code = "account-closed"
    default_message = "The account is closed."


class AccountNotEmpty(RuleViolation):
    code = "account-not-empty"
    default_message = "Only an account with zero balance and no holds can be closed."


class AccountNotFrozen(RuleViolation):
    code = "account-not-frozen"
    default_message = "The account is not frozen."


class AccountAlreadyFrozen(RuleViolation):
    code = "account-already-frozen"
    default_message = "The account is already frozen."


class UserDeactivated(RuleViolation):
    code = "user-deactivated"
    default_message = "The user is deactivated."


class UserForgotten(RuleViolation):
    code = "user-forgotten"
    default_message = "The user's personal data has been forgotten."


class SameAccount(RuleViolation):
    code = "same-account"
    default_message = "Source and destination must be different accounts."


class UnknownHold(RuleViolation):
    code = "unknown-hold"
    default_message = "The account has no such hold."


class DuplicateHold(RuleViolation):
    code = "duplicate-hold"
    default_message = "The account already has a hold with this id."


class InvalidPaymentState(RuleViolation):
    code = "invalid-payment-state"
    default_message = "The payment's status does not allow this operation."


class RefundExceedsCaptured(RuleViolation):
    code = "refund-exceeds-captured"
    default_message = "The refund exceeds the captured amount not yet refunded."


class MfaAlreadyEnabled(RuleViolation):
    code = "mfa-already-enabled"
    default_message = "A second factor is already enabled."


class MfaNotEnabled(RuleViolation):
    code = "mfa-not-enabled"
    default_message = "No second factor is enabled."


class NoTotpEnrolment(RuleViolation):
    code = "no-totp-enrolment"
    default_message = "Start a TOTP enrolment first."


class RoleNotHeld(RuleViolation):
    code = "role-not-held"
    default_message = "The user does not have this role."


class SessionEnded(RuleViolation):
    code = "session-ended"
    default_message = "The session has been revoked or has expired."


class InvalidNotificationPreference(InvalidInput):
    """Names the offending setting (``email.<kind>``), for the problem's ``errors``."""

    code = "invalid-notification-preference"
    default_message = "The notification preferences are not valid."

    def __init__(self, field: str, message: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnsupportedLanguage(InvalidInput):
    code = "unsupported-language"
    default_message = "The language is not one we write e-mails in."
    field = "language"


class EmailVerificationOutdated(RuleViolation):
    code = "email-verification-outdated"
    default_message = "The link was sent for an e-mail address the user no longer has."


class PasswordResetNotPending(RuleViolation):
    code = "password-reset-not-pending"
    default_message = (
        "This password reset is not pending: it was used, a newer one replaced it, or it expired."
    )
