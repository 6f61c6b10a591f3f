"""Write routes for card-style payments: authorize (hold), capture, void and refund."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from commands.messages import AuthorizePayment, CapturePayment, RefundPayment, VoidPayment
from infra.http.routing import DocstringSummaryRoute
from write_api.deps import CreateDispatch, Dispatch
from write_api.responses import command_responses
from write_api.schemas import CommandResponse, PaymentCreate, RefundCreate

router = APIRouter(prefix="/v1/payments", tags=["payments"], route_class=DocstringSummaryRoute)

_ON_PAYMENT = command_responses(created=False, problems=(403, 404, 409, 412))


_CREATE = command_responses(created=True, problems=(403, 404, 409))


@router.post("", status_code=201, responses=_CREATE)
async def authorize_payment(body: PaymentCreate, send: CreateDispatch) -> CommandResponse:
    """Authorize a payment: hold the amount on the payer's account."""
    return await send(
        AuthorizePayment(
            payer_account_id=body.payer_account_id,
            payee_account_id=body.payee_account_id,
            amount=body.amount,
            description=body.description,
            merchant=body.merchant,
        )
    )


@router.post("/{payment_id}/capture", responses=_ON_PAYMENT)
async def capture_payment(payment_id: UUID, send: Dispatch) -> CommandResponse:
    """Capture the held amount: debit the payer, credit the payee."""
    return await send(CapturePayment(payment_id=payment_id))


@router.post("/{payment_id}/void", responses=_ON_PAYMENT)
async def void_payment(payment_id: UUID, send: Dispatch) -> CommandResponse:
    """Void an authorized payment: release the hold (only before capture)."""
    return await send(VoidPayment(payment_id=payment_id))


@router.post("/{payment_id}/refunds", responses=_ON_PAYMENT)
async def refund_payment(payment_id: UUID, body: RefundCreate, send: Dispatch) -> CommandResponse:
    """Refund part or all of a captured payment."""
    return await send(RefundPayment(payment_id=payment_id, amount=body.amount))
