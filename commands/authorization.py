"""Who may do what. Roles come from the token; ownership from the aggregates.

- customer: their own user, their own accounts, payments they pay; refunds only as the payee
  (a payer must not be able to pull money back from a merchant);
- operator: freeze, unfreeze and close any account;
- admin: everything. (auditor only reads; it has no write permission.)
"""

from __future__ import annotations

from uuid import UUID

from commands.context import Principal
from commands.errors import Forbidden


def require_authenticated(principal: Principal) -> UUID:
    if principal.user_id is None:
        raise Forbidden("this command needs an authenticated user")
    return principal.user_id


def require_user_or_admin(principal: Principal, user_id: UUID) -> None:
    if principal.is_admin:
        return
    if "customer" not in principal.roles or principal.user_id != user_id:
        raise Forbidden("only the user themself or an admin may do this")


def require_any_owner_or_admin(principal: Principal, *owner_ids: UUID) -> None:
    if principal.is_admin:
        return
    if "customer" not in principal.roles or principal.user_id not in owner_ids:
        raise Forbidden("only the account's owner or an admin may do this")


def require_operator(principal: Principal) -> None:
    if not principal.has_any("operator"):
        raise Forbidden("only an operator or an admin may do this")
