"""Request and response bodies of the write API.

Schemas check shape and type only (strict integers for money, bounded strings, no unknown
fields); business validity (ISO 4217 membership, email syntax, balances) is the domain's call
and comes back as a problem from the shared mapping.
"""

from __future__ import annotations

from typing import Annotated, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from commands.result import CommandResult
from domain.preferences import SECURITY_EMAIL_KINDS, Language
from infra.auth.passwords import MAX_LENGTH as MAX_PASSWORD
from infra.auth.passwords import MIN_LENGTH as MIN_PASSWORD
from infra.auth.passwords import password_problem

MAX_AMOUNT = 10**15
MAX_TEXT = 200

# strict: 10.5, 10.0, "10" and true are refused, not coerced.
Amount = Annotated[
    int,
    Field(
        strict=True,
        gt=0,
        le=MAX_AMOUNT,
        description="Positive integer in minor units (cents), at most 10^15.",
        examples=[2500],
    ),
]
Currency = Annotated[
    str,
    Field(
        strict=True,
        min_length=3,
        max_length=3,
        description="ISO 4217 alphabetic code.",
        examples=["EUR"],
    ),
]
Text = Annotated[str, Field(strict=True, max_length=MAX_TEXT)]
RequiredText = Annotated[str, Field(strict=True, min_length=1, max_length=MAX_TEXT)]
Email = Annotated[
    str, Field(strict=True, min_length=3, max_length=254, examples=["ada@example.com"])
]
FullName = Annotated[
    str, Field(strict=True, min_length=1, max_length=MAX_TEXT, examples=["Ada Lovelace"])
]


def _acceptable(password: str) -> str:
    problem = password_problem(password)
    if problem is not None:
        raise ValueError(problem)
    return password


# A new password: 12-256 characters, not a common one (infra/auth/passwords.py).
NewPassword = Annotated[
    str,
    Field(
        strict=True,
        min_length=MIN_PASSWORD,
        max_length=MAX_PASSWORD,
        description="12 to 256 characters; common passwords are refused.",
        examples=["correct horse battery staple"],
    ),
    AfterValidator(_acceptable),
]
# A password being checked, not chosen: any length up to the maximum.
GivenPassword = Annotated[str, Field(strict=True, min_length=1, max_length=MAX_PASSWORD)]
Code = Annotated[
    str,
    Field(
        strict=True,
        min_length=1,
        max_length=64,
        description="A 6-digit TOTP code or a recovery code.",
        examples=["123456"],
    ),
]


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserCreate(StrictBody):
    """Sign-up."""

    email: Email
    full_name: FullName
    password: NewPassword
    language: Language = Field(default="en", description="The language of the user's e-mails.")


_OPTIONAL_KIND = Field(default=None, description="Can be turned off.")
_SECURITY_KIND = Field(default=None, description="A security e-mail: always on (only `true`).")


class EmailPreferences(StrictBody):
    """E-mail kinds to turn on (true) or off (false); kinds left out keep their setting.
    The fields are ``domain.preferences.EMAIL_KINDS`` (a test holds them equal)."""

    money_received: StrictBool | None = _OPTIONAL_KIND
    payment_captured: StrictBool | None = _OPTIONAL_KIND
    payment_refunded: StrictBool | None = _OPTIONAL_KIND
    large_withdrawal: StrictBool | None = _OPTIONAL_KIND
    new_device_login: StrictBool | None = _SECURITY_KIND
    password_changed: StrictBool | None = _SECURITY_KIND
    mfa_changed: StrictBool | None = _SECURITY_KIND
    webhook_endpoint_disabled: StrictBool | None = _SECURITY_KIND
    verify_email: StrictBool | None = _SECURITY_KIND
    password_reset: StrictBool | None = _SECURITY_KIND

    @field_validator(*SECURITY_EMAIL_KINDS)
    @classmethod
    def _security_kinds_stay_on(cls, value: bool | None) -> bool | None:
        if value is False:
            raise ValueError("security e-mails are always sent and cannot be turned off")
        return value

    def changes(self) -> dict[str, bool]:
        """The kinds given, as the command takes them."""
        return {kind: value for kind, value in self.model_dump().items() if value is not None}


class NotificationPreferencesUpdate(StrictBody):
    """Which e-mails to get, and in which language (left out: unchanged)."""

    email: EmailPreferences = Field(default_factory=EmailPreferences)
    language: Language | None = None


class NotificationsReadUpdate(StrictBody):
    """Mark the inbox read up to a line's ``position`` (the newest line seen: every line at or
    below it is read)."""

    up_to_position: int = Field(ge=1, le=2**63 - 1, examples=[4211])


class UserUpdate(StrictBody):
    """Profile change; at least one field."""

    email: Email | None = None
    full_name: FullName | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if self.email is None and self.full_name is None:
            raise ValueError("give email, full_name or both")
        return self


class AccountOpen(StrictBody):
    """Open an account for a user in one currency."""

    owner_id: UUID
    currency: Currency


class MoneyMovement(StrictBody):
    """A deposit or a withdrawal."""

    amount: Amount
    reference: RequiredText = Field(examples=["salary"])


class TransferCreate(StrictBody):
    """Move money between two accounts of the same currency."""

    from_account_id: UUID
    to_account_id: UUID
    amount: Amount
    reference: RequiredText = Field(examples=["rent"])


class PaymentCreate(StrictBody):
    """Authorize a payment: a hold on the payer's account."""

    payer_account_id: UUID
    payee_account_id: UUID
    amount: Amount
    description: Text = Field(examples=["Order 1234"])
    merchant: RequiredText = Field(examples=["Corner Shop"])


class RefundCreate(StrictBody):
    """Refund part or all of a captured payment."""

    amount: Amount


class ReasonBody(StrictBody):
    """Why an operator freezes, unfreezes or closes an account."""

    reason: Text | None = None


class CommandResponse(BaseModel):
    """The aggregate a command addressed, its new stream version and the events appended."""

    id: UUID
    version: int = Field(examples=[3])
    events: list[str] = Field(examples=[["AccountCredited"]])
    streams: dict[UUID, int] = Field(
        default_factory=dict,
        description=(
            "The new version of every stream the command appended to (a transfer: both "
            "accounts and the transfer): read each with `min_version` set to it."
        ),
        examples=[{"0b5c7e1a-3f1d-4c2e-9a6b-8d7e6f5a4b3c": 3}],
    )

    @classmethod
    def of(cls, result: CommandResult) -> CommandResponse:
        return cls(
            id=result.id,
            version=result.version,
            events=list(result.events),
            # In one order whatever the source: a repeat answered from its idempotency record
            # (stored as jsonb, which orders keys its own way) must be the first answer's bytes.
            streams=dict(sorted(result.streams.items(), key=lambda item: str(item[0]))),
        )
