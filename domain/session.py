"""Session aggregate: one login's refresh-token chain, from the login to its end.

A session holds the digest of its current refresh token. Refreshing with that token rotates it
(a new digest replaces it); presenting a digest the session had before is a reuse -- someone
kept an old token, or stole one -- and ends the session for good (OAuth 2.0 Security BCP,
refresh token rotation). A session also ends on logout or revocation, and when it expires.
Whether the user still accepts the session (a later "revoke all sessions", deactivation,
forgetting) is the user's call (``User.session_is_current``), checked by the write side.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import SessionEnded


class Session(Aggregate):
    """A login's session; the stream id is the ``sid`` claim of its access tokens."""

    class Event(Aggregate.Event):
        originator_id: UUID

    class Started(Event, Aggregate.Created):
        SCHEMA_VERSION: ClassVar[int] = 1
        user_id: UUID
        amr: list[str]
        address: str | None  # personal data, sealed with the user's key
        user_agent: str | None
        refresh_digest: str
        generation: int  # the user's session generation at login
        expires_at: str  # RFC 3339: refreshes stop working then, whatever happens

    class Refreshed(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        refresh_digest: str

    class RefreshTokenReused(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        refresh_digest: str

    class Revoked(Event):
        SCHEMA_VERSION: ClassVar[int] = 1
        reason: str

    @event(Started)
    def __init__(
        self,
        id: UUID,  # chosen by the login: the refresh token carries it
        user_id: UUID,
        amr: list[str],
        address: str | None,
        user_agent: str | None,
        refresh_digest: str,
        generation: int,
        expires_at: str,
    ) -> None:
        self.user_id = user_id
        self.amr = list(amr)
        self.refresh_digest = refresh_digest
        self.used_digests: set[str] = set()
        self.generation = generation
        self.expires_at = datetime.fromisoformat(expires_at)
        self.ended: str | None = None  # why it ended, once it has

    def check_usable(self, now: datetime) -> None:
        if self.ended is not None or now >= self.expires_at:
            raise SessionEnded()

    def refresh(self, presented_digest: str, new_digest: str, now: datetime) -> bool:
        """Rotate the refresh token; False (and the session ended) when ``presented_digest``
        is one this session already rotated away: a reused token."""
        self.check_usable(now)
        if presented_digest == self.refresh_digest:
            self._refreshed(refresh_digest=new_digest)
            return True
        if presented_digest in self.used_digests:
            self._refresh_token_reused(refresh_digest=presented_digest)
            return False
        raise SessionEnded("The refresh token does not belong to this session.")

    def revoke(self, reason: str) -> None:
        if self.ended is None:
            self._revoked(reason=reason)

    @event(Refreshed)
    def _refreshed(self, refresh_digest: str) -> None:
        self.used_digests.add(self.refresh_digest)
        self.refresh_digest = refresh_digest

    @event(RefreshTokenReused)
    def _refresh_token_reused(self, refresh_digest: str) -> None:
        self.ended = "refresh-token-reused"

    @event(Revoked)
    def _revoked(self, reason: str) -> None:
        self.ended = reason
