"""Who is asking, and the request facts that travel with a command into event metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

ROLES = frozenset({"customer", "operator", "auditor", "admin"})


@dataclass(frozen=True)
class Principal:
    """The authenticated caller; ``user_id`` is None for anonymous sign-up."""

    user_id: UUID | None
    roles: frozenset[str] = field(default_factory=frozenset)
    session_id: UUID | None = None  # the login session of one of our own tokens

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def has_any(self, *roles: str) -> bool:
        return self.is_admin or any(role in self.roles for role in roles)


ANONYMOUS = Principal(user_id=None)


@dataclass(frozen=True)
class CommandContext:
    """Request facts: correlation and causation ids, idempotency key and the request's
    fingerprint (to tell a true repeat from a reused key), and the ``If-Match`` version."""

    principal: Principal
    correlation_id: str
    causation_id: str
    idempotency_key: str | None = None
    request_fingerprint: str | None = None
    expected_version: int | None = None
    client_address: str | None = None

    @property
    def idempotency_scope(self) -> str:
        return idempotency_scope(self.principal, self.client_address)


def idempotency_scope(principal: Principal, client_address: str | None) -> str:
    """Keys are per caller: two users may pick the same key without colliding."""
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    return f"anonymous:{client_address or 'unknown'}"
