"""Read route for payments."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from infra.http.auth import CurrentPrincipal
from infra.http.routing import DocstringSummaryRoute
from read_api.access import scope_of
from read_api.deps import MongoDep
from read_api.errors import ResourceNotFound, read_problem_responses
from read_api.freshness import FreshDep
from read_api.schemas import PaymentPublic

router = APIRouter(prefix="/v1/payments", tags=["payments"], route_class=DocstringSummaryRoute)


@router.get("/{payment_id}", responses=read_problem_responses(404, 504))
async def get_payment(
    payment_id: UUID, principal: CurrentPrincipal, mongo: MongoDep, fresh: FreshDep
) -> PaymentPublic:
    """A payment (yours when one of your accounts is payer or payee; any for auditors)."""
    doc = await fresh.load("payment", payment_id, lambda: mongo.payment(payment_id))
    scope = scope_of(principal)
    parties = [str(doc.get("payer_account_id")), str(doc.get("payee_account_id"))]
    if not scope.everything and not await mongo.owns_any(scope.owner_id, parties):
        raise ResourceNotFound("payment", payment_id)
    return PaymentPublic.model_validate(doc)
