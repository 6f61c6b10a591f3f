"""Response bodies of the query API, validated from the read-model documents.

Read models carry more than a response shows (``_id``, projector bookkeeping); unknown keys are
ignored. Times are RFC 3339 UTC, money int minor units, ids UUID strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar
from uuid import UUID

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from domain.preferences import Language

UserStatus = Literal["active", "deactivated"]
AccountStatus = Literal["open", "frozen", "closed"]
PaymentStatus = Literal["authorized", "captured", "voided", "partially_refunded", "refunded"]
EntryKind = Literal["credit", "debit"]

_VERSION = "Version of the stream this document reflects (use it as `min_version`)."
_CURSOR = "Pass as `cursor` to get the next page; null on the last page."


class _ReadModel(BaseModel):
    model_config = ConfigDict(extra="ignore")


class UserPublic(_ReadModel):
    """A user; email and full name are null once their personal data is forgotten."""

    id: UUID
    email: str | None = Field(examples=["ada@example.com"])
    full_name: str | None = Field(examples=["Ada Lovelace"])
    status: UserStatus
    roles: list[str] = Field(examples=[["customer"]])
    personal_data_forgotten: bool = False
    mfa_enabled: bool = Field(default=False, description="Whether a second factor is on.")
    email_verified: bool = Field(
        default=False, description="Whether the current e-mail address has been confirmed."
    )
    notifications_read_up_to: int = Field(
        default=0, description="Inbox lines at or below this position are read."
    )
    version: int = Field(description=_VERSION)
    created_at: datetime
    updated_at: datetime


class NotificationPreferencesPublic(BaseModel):
    """Which e-mails a user gets, and in which language."""

    email: dict[str, bool] = Field(
        description="Every e-mail kind: on or off. Security kinds are always on.",
        examples=[{"money_received": True, "payment_captured": False, "new_device_login": True}],
    )
    language: Language | None = Field(description="Null once personal data is forgotten.")
    version: int = Field(description=_VERSION)


class AccountPublic(_ReadModel):
    """An account; ``available`` = ``balance`` - ``held``."""

    id: UUID
    owner_id: UUID
    currency: str = Field(examples=["EUR"])
    balance: int = Field(description="Minor units.")
    available: int = Field(description="Minor units: balance minus held funds.")
    held: int = Field(default=0, description="Minor units held by open payment authorisations.")
    holds: dict[str, int] = Field(
        default_factory=dict, description="Open holds: hold (payment) id → amount."
    )
    status: AccountStatus
    version: int = Field(description=_VERSION)
    created_at: datetime
    updated_at: datetime


class EntryPublic(_ReadModel):
    """A statement line: one credit or debit of an account."""

    id: UUID = Field(
        validation_alias=AliasChoices("id", "_id"), description="Id of the event it records."
    )
    account_id: UUID
    version: int = Field(description="Account stream version of the movement.")
    kind: EntryKind
    amount: int
    currency: str
    reference: str | None = None
    balance_after: int
    recorded_at: datetime


class PaymentPublic(_ReadModel):
    """A payment between two accounts."""

    id: UUID
    payer_account_id: UUID
    payee_account_id: UUID
    amount: int
    currency: str
    captured: int = 0
    refunded: int = 0
    status: PaymentStatus
    description: str | None = None
    merchant: str | None = None
    version: int = Field(description=_VERSION)
    created_at: datetime
    updated_at: datetime


class NotificationPublic(_ReadModel):
    """One line of a user's inbox, addressed to the user or to one of their accounts."""

    id: str = Field(validation_alias=AliasChoices("id", "_id"))
    account_id: UUID | None = None
    user_id: UUID | None = None
    kind: str = Field(description="Event type that caused it.", examples=["AccountCredited"])
    message: str
    amount: int | None = None
    currency: str | None = None
    payment_id: UUID | None = None
    position: int = Field(description="Global event position (newest has the highest).")
    read: bool = Field(
        default=False, description="At or below the user's read mark (`notifications/read`)."
    )
    created_at: datetime


ItemT = TypeVar("ItemT", bound=BaseModel)


class Page(BaseModel, Generic[ItemT]):
    """One page of a list, newest first."""

    items: list[ItemT]
    next_cursor: str | None = Field(description=_CURSOR)


class AccountList(BaseModel):
    """A user's accounts, oldest first."""

    items: list[AccountPublic]


class PaymentFacets(BaseModel):
    """Counts of the whole result (all pages) by value."""

    status: dict[str, int] = Field(examples=[{"captured": 3, "authorized": 1}])
    currency: dict[str, int] = Field(examples=[{"EUR": 4}])


class PaymentSearchResults(BaseModel):
    """A page of payment search results, newest first, with facet counts."""

    items: list[PaymentPublic]
    total: int = Field(description="Matching payments over all pages.")
    facets: PaymentFacets
    next_cursor: str | None = Field(description=_CURSOR)


class UserSearchResults(BaseModel):
    """A page of user search results, newest first."""

    items: list[UserPublic]
    total: int = Field(description="Matching users over all pages.")
    next_cursor: str | None = Field(description=_CURSOR)


class SessionPublic(_ReadModel):
    """An active login session."""

    id: UUID = Field(description="The session id (the `sid` claim of its access tokens).")
    created_at: datetime = Field(description="When the login happened.")
    last_used_at: datetime = Field(description="When its refresh token was last used.")
    expires_at: datetime = Field(description="When it ends at the latest.")
    user_agent: str | None
    address: str | None = Field(description="The client address of the login.")
    amr: list[str] = Field(examples=[["pwd", "otp"]])
    current: bool = Field(description="Whether it is the session of the token asking.")


class SessionList(BaseModel):
    items: list[SessionPublic]
