"""The mailer loop: takes owed mails from the outbox and sends them through SMTP.

For each mail it reads the recipient from the event store (address, name, language,
preferences, forgotten or not: the outbox never holds them), skips what the recipient turned off
(security mails cannot be turned off) or may no longer receive (forgotten), builds the template's
context from the outbox details and, where personal (a login's device), from the event itself,
renders the recipient's language and sends with the outbox id as Message-ID. An SMTP server
that does not answer (``MailUnavailable``) is retried on ``mail_outbox.RETRY_DELAYS``; a refusal
of the recipient (``MailRejected``) fails the mail.

A login from a device (user agent) the user has not logged in from before is mailed; the first
login a user ever makes is not (it is the device they signed up from). "Before" is the user's
own stream: earlier ``UserLoginSucceeded`` events, whatever order the mails are handled in.

Tracing: a mail owed in a sampled trace is handled in a span ``mail send`` of that trace (the
outbox row keeps the traceparent) with its kind and outcome; never the recipient.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from prometheus_client import Counter

from domain.preferences import SECURITY_EMAIL_KINDS
from event_store.errors import StoreUnavailable
from event_store.store import EventStore
from infra.mail import Mailer, MailRejected, MailSession, MailUnavailable, OutgoingMail, render
from infra.tracing.batches import event_span
from infra.tracing.propagation import sampled_parent
from projections.notifier.links import MailLinks
from projections.notifier.mail_outbox import ClaimedMail, MailOutbox

log = structlog.get_logger(__name__)

MAILS = Counter("ledgerline_mails", "Mails handled by the notifier, by outcome.", ["outcome"])


@dataclass
class Recipient:
    email: str | None = None
    name: str | None = None
    language: str = "en"
    email_preferences: dict[str, bool] = field(default_factory=dict)
    forgotten: bool = False
    email_version: int = 0  # the stream version that set the current address
    logins: list[tuple[int, str | None]] = field(default_factory=list)  # (version, user agent)


def recipient_of(events: list[Any]) -> Recipient:
    """Fold a user's events (revealed) into what mail needs."""
    recipient = Recipient()
    for event in events:
        data = event.data or {}
        if event.type == "UserRegistered":
            recipient.email, recipient.name = data.get("email"), data.get("full_name")
            recipient.language = data.get("language") or recipient.language
            recipient.email_version = event.version
        elif event.type == "UserProfileChanged":
            if data.get("email") is not None:
                recipient.email, recipient.email_version = data["email"], event.version
            if data.get("full_name") is not None:
                recipient.name = data["full_name"]
        elif event.type == "UserNotificationPreferencesChanged":
            recipient.email_preferences = dict(data.get("email") or {})
            recipient.language = data.get("language") or recipient.language
        elif event.type == "UserLoginSucceeded":
            recipient.logins.append((event.version, data.get("user_agent")))
        elif event.type == "UserPersonalDataForgotten":
            recipient.forgotten = True
    if recipient.forgotten:
        recipient.email = recipient.name = None
    return recipient


class MailSender:
    def __init__(
        self,
        outbox: MailOutbox,
        store: EventStore,
        mailer: Mailer,
        links: MailLinks,
        *,
        clock: Callable[[], datetime],
        batch: int = 20,
        lease: timedelta = timedelta(minutes=2),
        idle_poll_s: float = 0.5,
    ) -> None:
        self._outbox = outbox
        self._store = store
        self._mailer = mailer
        self._links = links
        self._clock = clock
        self._batch = batch
        self._lease = lease
        self._idle_poll_s = idle_poll_s
        self._wake = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                handled = self.run_once()
            except StoreUnavailable as error:
                log.warning("mailer waits for the database", error=str(error))
                stop.wait(1.0)
                continue
            if handled == 0:
                self._wake.wait(self._idle_poll_s)
                self._wake.clear()

    def run_once(self) -> int:
        """Handle the mails due now; how many were handled."""
        claimed = self._outbox.claim_due(self._clock(), limit=self._batch, lease=self._lease)
        if claimed:
            with self._mailer.session() as session:
                for mail in claimed:
                    self._handle(mail, session)
        return len(claimed)

    def _handle(self, mail: ClaimedMail, session: MailSession) -> None:
        with event_span(
            "mail send",
            sampled_parent(mail.traceparent),
            attributes={
                "ledgerline.mail.kind": mail.kind,
                "ledgerline.mail.attempt": mail.attempts + 1,
            },
        ) as span:
            outcome = self._deliver(mail, session)
            if span is not None:
                span.set_attribute("ledgerline.mail.outcome", outcome)

    def _deliver(self, mail: ClaimedMail, session: MailSession) -> str:
        """Send, skip or fail ``mail``; its outcome (sent, skipped, failed, retry)."""
        now = self._clock()
        user_events = self._store.read_stream(mail.user_id)
        recipient = recipient_of(user_events)
        if recipient.email is None:
            return self._finish(mail, "skipped", "the recipient was forgotten", now)
        security = mail.kind in SECURITY_EMAIL_KINDS
        if not security and not recipient.email_preferences.get(mail.kind, True):
            return self._finish(mail, "skipped", "turned off by the recipient", now)
        context = self._context(mail, recipient, user_events)
        if context is None:
            return self._finish(mail, "skipped", "nothing to tell", now)
        if recipient.name:
            context["name"] = recipient.name
        if not security:
            context["preferences_link"] = self._links.preferences()
        rendered = render(mail.kind, recipient.language, context)
        outgoing = OutgoingMail(
            to=recipient.email,
            to_name=recipient.name,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            message_id=self._mailer.message_id_for(mail.id),
        )
        try:
            session.send(outgoing)
        except MailUnavailable as error:
            MAILS.labels(outcome="retry").inc()
            log.warning("mail not sent; will retry", mail=mail.id, reason=str(error))
            if not self._outbox.retry_later(mail, f"SMTP unavailable: {error}", now):
                MAILS.labels(outcome="failed").inc()
                return "failed"
            return "retry"
        except MailRejected as error:
            return self._finish(mail, "failed", f"refused by the SMTP server: {error}", now)
        return self._finish(mail, "sent", "sent", now)

    def _finish(self, mail: ClaimedMail, status: str, outcome: str, now: datetime) -> str:
        MAILS.labels(outcome=status).inc()
        self._outbox.finish(mail, status, outcome, now)
        return status

    def _context(
        self, mail: ClaimedMail, recipient: Recipient, user_events: list[Any]
    ) -> dict[str, Any] | None:
        details = dict(mail.details)
        if mail.kind in (
            "money_received",
            "large_withdrawal",
            "payment_captured",
            "payment_refunded",
        ):
            return {k: v for k, v in details.items() if v is not None}
        if mail.kind == "webhook_endpoint_disabled":
            return details
        # The remaining kinds are about an event of the recipient's own stream, read already.
        event = next(
            (
                e
                for e in user_events
                if mail.stream_id == mail.user_id and e.version == mail.version
            ),
            None,
        )
        when = event.recorded_at.isoformat(timespec="seconds") if event else ""
        if mail.kind == "password_changed":
            return {"when": when}
        if mail.kind == "mfa_changed":
            return {"when": when, "enabled": bool(details.get("enabled"))}
        if mail.kind == "verify_email":
            if mail.version is None or mail.version < recipient.email_version:
                return None  # the address changed again since: that change has its own mail
            return {"link": self._links.verify_email(mail.user_id, mail.version)}
        if mail.kind == "password_reset" and event is not None:
            expires_at = datetime.fromisoformat(str((event.data or {})["expires_at"]))
            reset = self._links.password_reset(mail.user_id, str(details["reset_id"]), expires_at)
            if reset is None:
                return None  # expired before it could be sent: a new request sends a new link
            return {"link": reset[0], "expires_minutes": reset[1]}
        if mail.kind == "new_device_login" and event is not None:
            data = event.data or {}
            earlier = {agent for version, agent in recipient.logins if version < event.version}
            if not earlier or data.get("user_agent") in earlier:
                return None  # the first login ever, or a device seen before
            device = {"user_agent": data.get("user_agent"), "address": data.get("address")}
            return {"when": when, **{k: v for k, v in device.items() if v}}
        return None
