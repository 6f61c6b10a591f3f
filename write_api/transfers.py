"""Write route for transfers between two accounts."""

from __future__ import annotations

from fastapi import APIRouter

from commands.messages import TransferFunds
from infra.http.routing import DocstringSummaryRoute
from write_api.deps import CreateDispatch
from write_api.responses import command_responses
from write_api.schemas import CommandResponse, TransferCreate

router = APIRouter(prefix="/v1/transfers", tags=["transfers"], route_class=DocstringSummaryRoute)


_CREATE = command_responses(created=True, problems=(403, 404, 409))


@router.post("", status_code=201, responses=_CREATE)
async def transfer(body: TransferCreate, send: CreateDispatch) -> CommandResponse:
    """Move money atomically between two accounts of the same currency."""
    return await send(
        TransferFunds(
            from_account_id=body.from_account_id,
            to_account_id=body.to_account_id,
            amount=body.amount,
            reference=body.reference,
        )
    )
