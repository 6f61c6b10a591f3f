"""The auth service's machinery in the write API: password policy and hashing (``passwords``),
one-time passwords and recovery codes (``totp``), the login throttle (``throttle``), our signing
keys and JWKS (``keys``), access-token issuing and verification (``tokens``), e-mail link
tokens (``email_tokens``), and the flows that tie them to the command bus (``service`` for
logins, ``recovery`` for e-mail verification and password reset). The rules themselves are the
domain's (``domain.user``, ``domain.session``); the event-sourced steps are commands
(``commands.auth_handlers``, ``commands.recovery_handlers``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

# Every auth decision that depends on time reads it here, so tests can move it.
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
