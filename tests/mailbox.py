"""What a Mailpit received, read through its HTTP API (``/api/v1``): the test-side view of the
mail Ledgerline sends.

Tests find their mail by recipient (each test addresses its own unique one) and wait for it with
``wait_for_message``, which polls against a deadline like every other wait in the suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from tests.polling import wait_for

PAGE = 250


@dataclass(frozen=True)
class MailSummary:
    """One message as Mailpit lists it."""

    id: str  # Mailpit's own id, for message() and headers()
    message_id: str  # the Message-ID header, without its angle brackets
    from_address: str
    to: tuple[str, ...]
    subject: str


@dataclass(frozen=True)
class Mail:
    """One message in full: its parts as Mailpit decoded them, with "\n" line endings (SMTP
    carries CRLF)."""

    id: str
    message_id: str
    from_name: str
    from_address: str
    to: tuple[str, ...]
    to_names: tuple[str, ...]  # the display names of ``to``, decoded ("" where none)
    subject: str
    text: str
    html: str
    date: str  # the Date header, as Mailpit normalised it (RFC 3339)


class Mailbox:
    """A Mailpit's messages, over its API at ``base_url`` (the server's ``url``)."""

    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self._client = httpx.Client(base_url=f"{base_url.rstrip('/')}/api/v1", timeout=timeout)

    def __enter__(self) -> Mailbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def messages(self) -> list[MailSummary]:
        """Every message held, newest first."""
        return self._pages("/messages", {})

    def messages_to(self, address: str) -> list[MailSummary]:
        """Messages with ``address`` among their recipients (case-insensitive), newest first."""
        # Mailpit's search matches substrings; keep only exact recipients.
        found = self._pages("/search", {"query": f'to:"{address}"'})
        wanted = address.lower()
        return [mail for mail in found if wanted in (to.lower() for to in mail.to)]

    def message(self, mail_id: str) -> Mail:
        """One message with its text and HTML parts (Mailpit marks it read)."""
        body = self._get(f"/message/{mail_id}", {})
        return Mail(
            id=body["ID"],
            message_id=body["MessageID"],
            from_name=(body.get("From") or {}).get("Name", ""),
            from_address=(body.get("From") or {}).get("Address", ""),
            to=tuple(to["Address"] for to in body.get("To") or []),
            to_names=tuple(to["Name"] for to in body.get("To") or []),
            subject=body["Subject"],
            text=_lines(body["Text"]),
            html=_lines(body["HTML"]),
            date=body["Date"],
        )

    def headers(self, mail_id: str) -> dict[str, list[str]]:
        """The message's headers as sent, by name (each with every value it had)."""
        headers: dict[str, list[str]] = self._get(f"/message/{mail_id}/headers", {})
        return headers

    def raw(self, mail_id: str) -> bytes:
        """The message exactly as it arrived over SMTP."""
        response = self._client.get(f"/message/{mail_id}/raw")
        response.raise_for_status()
        return response.content

    def delete_all(self) -> None:
        """Empty the mailbox (only for a Mailpit of the test's own; the session's is shared)."""
        response = self._client.request("DELETE", "/messages", json={"IDs": []})
        response.raise_for_status()

    def wait_for_message(
        self, *, to: str, subject_contains: str = "", timeout: float = 10.0
    ) -> Mail:
        """The newest message to ``to`` whose subject contains ``subject_contains``, once one
        has arrived; AssertionError after ``timeout`` seconds."""

        def arrived() -> list[MailSummary]:
            return [m for m in self.messages_to(to) if subject_contains in m.subject]

        what = f"a message to {to}" + (f" about {subject_contains!r}" if subject_contains else "")
        summary = wait_for(arrived, timeout=timeout, interval=0.05, what=what)[0]
        return self.message(summary.id)

    def _pages(self, path: str, params: dict[str, str]) -> list[MailSummary]:
        summaries: list[MailSummary] = []
        while True:
            body = self._get(path, {**params, "start": str(len(summaries)), "limit": str(PAGE)})
            page = [_summary(entry) for entry in body.get("messages") or []]
            summaries.extend(page)
            if len(page) < PAGE:
                return summaries

    def _get(self, path: str, params: dict[str, str]) -> Any:
        response = self._client.get(path, params=params)
        response.raise_for_status()
        return response.json()


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n")


def _summary(entry: dict[str, Any]) -> MailSummary:
    return MailSummary(
        id=entry["ID"],
        message_id=entry["MessageID"],
        from_address=(entry.get("From") or {}).get("Address", ""),
        to=tuple(to["Address"] for to in entry.get("To") or []),
        subject=entry["Subject"],
    )
