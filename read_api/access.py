"""Who may read what: the query API's ownership rules, as pure functions of the principal.

- ``auditor`` and ``admin`` read every read model and may search users.
- Everybody else (``customer``, and ``operator`` for what follows) reads only what is theirs:
  their own user and notifications, their own accounts with their statement lines, payments
  where one of their accounts is payer or payee, and search results limited to those payments.
- ``operator`` additionally reads any account and its statement lines (and lists any user's
  accounts): freezing, unfreezing and closing accounts is their job, and closing needs a zero
  balance. Operators do not read other users' profiles, payments or notifications.

What a caller may not see answers 404 like an unknown id (never 403), so ids of other users'
data cannot be probed. 403 is only for an endpoint the caller's roles exclude entirely
(``/v1/search/users``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commands.context import Principal


@dataclass(frozen=True)
class ReadScope:
    """Everything, or only what belongs to user ``owner_id``."""

    everything: bool
    owner_id: str

    def owns(self, user_id: object) -> bool:
        return self.everything or (bool(self.owner_id) and str(user_id) == self.owner_id)


def _own(principal: Principal) -> str:
    # An anonymous principal owns nothing ("" matches no id).
    return "" if principal.user_id is None else str(principal.user_id)


def scope_of(principal: Principal) -> ReadScope:
    """What ``principal`` may read of users, payments, notifications and search results."""
    return ReadScope(everything=principal.has_any("auditor"), owner_id=_own(principal))


def account_scope_of(principal: Principal) -> ReadScope:
    """What ``principal`` may read of accounts and statement lines (operators: all)."""
    return ReadScope(everything=principal.has_any("auditor", "operator"), owner_id=_own(principal))


def may_read_account(principal: Principal, account: dict[str, Any]) -> bool:
    return account_scope_of(principal).owns(account.get("owner_id"))


def may_search_users(principal: Principal) -> bool:
    return scope_of(principal).everything
