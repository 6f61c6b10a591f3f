"""The links the notifier's mails carry: e-mail verification and password reset (each with a
purpose-bound token minted as the mail is sent, never stored: ``infra.auth.email_tokens``) and
the page where a user turns mails off. All under ``LEDGERLINE_PUBLIC_URL``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from infra.auth.email_tokens import EmailTokens, email_link, verify_email_nonce


class MailLinks:
    def __init__(self, public_url: str, tokens: EmailTokens, clock: Callable[[], datetime]) -> None:
        self._public_url = public_url.rstrip("/")
        self._tokens = tokens
        self._clock = clock

    def verify_email(self, user_id: uuid.UUID, email_version: int) -> str:
        """A link that verifies the address the user set at ``email_version``."""
        token = self._tokens.mint("verify-email", user_id, verify_email_nonce(email_version))
        return email_link(self._public_url, "verify-email", token)

    def password_reset(
        self, user_id: uuid.UUID, reset_id: str, expires_at: datetime
    ) -> tuple[str, int] | None:
        """The reset link and its lifetime in minutes, living no longer than the request it
        answers; None once that request has expired."""
        left = int((expires_at - self._clock()).total_seconds())
        lifetime = min(left, self._tokens.lifetimes_s["password-reset"])
        if lifetime <= 0:
            return None
        token = self._tokens.mint("password-reset", user_id, reset_id, ttl_s=lifetime)
        return email_link(self._public_url, "password-reset", token), max(1, lifetime // 60)

    def preferences(self) -> str:
        return f"{self._public_url}/settings/notifications"
