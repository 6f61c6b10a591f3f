"""Request and response bodies of the write API.

Schemas check shape and type only (strict integers for money, bounded strings, no unknown
fields); business validity (ISO 4217 membership, email syntax, balances) is the domain's call
and comes back as a problem from the shared mapping.
"""

from __future__ import annotations

from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

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


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserCreate(_Body):
    """Sign-up."""

    email: Email
    full_name: FullName


class UserUpdate(_Body):
    """Profile change; at least one field."""

    email: Email | None = None
    full_name: FullName | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if self.email is None and self.full_name is None:
            raise ValueError("give email, full_name or both")
        return self


class AccountOpen(_Body):
    """Open an account for a user in one currency."""

    owner_id: UUID
    currency: Currency


class MoneyMovement(_Body):
    """A deposit or a withdrawal."""

    amount: Amount
    reference: RequiredText = Field(examples=["salary"])


class TransferCreate(_Body):
    """Move money between two accounts of the same currency."""

    from_account_id: UUID
    to_account_id: UUID
    amount: Amount
    reference: RequiredText = Field(examples=["rent"])


class PaymentCreate(_Body):
    """Authorize a payment: a hold on the payer's account."""

    payer_account_id: UUID
    payee_account_id: UUID
    amount: Amount
    description: Text = Field(examples=["Order 1234"])
    merchant: RequiredText = Field(examples=["Corner Shop"])


class RefundCreate(_Body):
    """Refund part or all of a captured payment."""

    amount: Amount


class ReasonBody(_Body):
    """Why an operator freezes, unfreezes or closes an account."""

    reason: Text | None = None


class CommandResponse(BaseModel):
    """The aggregate a command addressed, its new stream version and the events appended."""

    id: UUID
    version: int = Field(examples=[3])
    events: list[str] = Field(examples=[["AccountCredited"]])
