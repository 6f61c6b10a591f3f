"""Write routes for accounts: open, deposit, withdraw, and the operator actions freeze,
unfreeze and close."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from commands.messages import (
    CloseAccount,
    DepositFunds,
    FreezeAccount,
    OpenAccount,
    UnfreezeAccount,
    WithdrawFunds,
)
from infra.http.routing import DocstringSummaryRoute
from write_api.deps import CreateDispatch, Dispatch
from write_api.responses import command_responses
from write_api.schemas import AccountOpen, CommandResponse, MoneyMovement, ReasonBody

router = APIRouter(prefix="/v1/accounts", tags=["accounts"], route_class=DocstringSummaryRoute)

_ON_ACCOUNT = command_responses(created=False, problems=(403, 404, 409, 412))


_CREATE = command_responses(created=True, problems=(403, 404, 409))


@router.post("", status_code=201, responses=_CREATE)
async def open_account(body: AccountOpen, send: CreateDispatch) -> CommandResponse:
    """Open an account for a user in one currency."""
    return await send(OpenAccount(owner_id=body.owner_id, currency=body.currency))


@router.post("/{account_id}/deposits", responses=_ON_ACCOUNT)
async def deposit(account_id: UUID, body: MoneyMovement, send: Dispatch) -> CommandResponse:
    """Credit an account."""
    return await send(
        DepositFunds(account_id=account_id, amount=body.amount, reference=body.reference)
    )


@router.post("/{account_id}/withdrawals", responses=_ON_ACCOUNT)
async def withdraw(account_id: UUID, body: MoneyMovement, send: Dispatch) -> CommandResponse:
    """Debit an account; 409 if the available balance does not cover the amount."""
    return await send(
        WithdrawFunds(account_id=account_id, amount=body.amount, reference=body.reference)
    )


@router.post("/{account_id}/freeze", responses=_ON_ACCOUNT)
async def freeze(
    account_id: UUID, send: Dispatch, body: ReasonBody | None = None
) -> CommandResponse:
    """Freeze an account (operator): it accepts no debits until unfrozen."""
    return await send(FreezeAccount(account_id=account_id, reason=body.reason if body else None))


@router.post("/{account_id}/unfreeze", responses=_ON_ACCOUNT)
async def unfreeze(
    account_id: UUID, send: Dispatch, body: ReasonBody | None = None
) -> CommandResponse:
    """Unfreeze a frozen account (operator)."""
    return await send(UnfreezeAccount(account_id=account_id, reason=body.reason if body else None))


@router.post("/{account_id}/close", responses=_ON_ACCOUNT)
async def close(
    account_id: UUID, send: Dispatch, body: ReasonBody | None = None
) -> CommandResponse:
    """Close an account with zero balance and no holds (operator)."""
    return await send(CloseAccount(account_id=account_id, reason=body.reason if body else None))
