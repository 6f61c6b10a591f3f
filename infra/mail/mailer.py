"""Sending one e-mail over SMTP (stdlib ``smtplib``): composing it, connecting as the settings
say (plain, STARTTLS or implicit TLS, with or without a login) and sorting every way a send can
fail into the two answers a caller can act on.

- ``MailUnavailable``: try again later. The server could not be reached or answered a temporary
  (4xx) code, or something that would stop *every* message failed: TLS, the login, our sender
  address. Giving up on the message would be wrong, since none would get through.
- ``MailRejected``: this message will never be accepted (a permanent 5xx answer to its recipient
  or its content, or a recipient address that cannot be sent to). Retrying is pointless.

A ``MailSession`` sends several messages on one connection (the notifier sends each batch it
claims that way: connecting, EHLO and TLS cost more than a short message); any failure closes
it, so a message never inherits a connection left half-broken by the previous one.

The caller gives each message a Message-ID (``Mailer.message_id_for(key)``) so that a message
sent again after an ambiguous failure (the connection dropped after DATA) is recognisably the
same one. Nothing here logs addresses, names, subjects or bodies; SMTP answers quoted in
exceptions have addresses masked, because servers echo the recipient back.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

import structlog

from infra.settings import Settings

log = structlog.get_logger()

# The characters of an RFC 5322 dot-atom, which is what the left side of a Message-ID must be.
_ID_KEY = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,200}")
_MESSAGE_ID = re.compile(r"<[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+>")
_ANY_ADDRESS = re.compile(r"[^\s<>@]+@[^\s<>]+")
# "Authentication required" or "must issue STARTTLS first" (RFC 4954, RFC 3207), and the other
# login failures: our configuration is wrong, whichever command the server says it at, and no
# message will go through until it is fixed.
_CONFIGURATION_CODES = frozenset({530, 534, 535, 538})


class MailError(Exception):
    """A message was not sent; ``code`` is the SMTP reply code when the server gave one."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason)
        self.code = code


class MailUnavailable(MailError):
    """Not sent now; the same message may well go through later."""


class MailRejected(MailError):
    """Refused for good: sending this message again will not help."""


@dataclass(frozen=True)
class OutgoingMail:
    """One message to one recipient, with a plain-text and an HTML version of the same body."""

    to: str  # the address alone
    subject: str
    text: str
    html: str
    message_id: str  # "<key@domain>", from Mailer.message_id_for(key)
    to_name: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. List-Unsubscribe


class Mailer:
    """Sends mail through the relay that ``settings`` name (``LEDGERLINE_SMTP_*``)."""

    def __init__(self, settings: Settings) -> None:
        self._host = settings.smtp_host
        self._port = settings.smtp_port
        self._security = settings.smtp_security
        self._login = (
            (settings.smtp_user, settings.smtp_password.get_secret_value())
            if settings.smtp_user is not None and settings.smtp_password is not None
            else None
        )
        self._timeout_s = settings.smtp_timeout_s
        # Verifies the server's certificate and host name; a CA file replaces the system's CAs.
        ca_file = settings.smtp_ca_file
        self._tls_context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        self._from = settings.mail_from
        self._envelope_from = parseaddr(settings.mail_from)[1]
        self.domain = self._envelope_from.rpartition("@")[2]

    def message_id_for(self, key: str) -> str:
        """The Message-ID for the message the caller knows as ``key`` (say, the id of the
        notification): the same key always gives the same id."""
        if not _ID_KEY.fullmatch(key) or key.startswith(".") or key.endswith(".") or ".." in key:
            raise ValueError("a Message-ID key is letters, digits and . - _ (a dot-atom)")
        return f"<{key}@{self.domain}>"

    def send(self, mail: OutgoingMail) -> None:
        """Send ``mail`` on a connection of its own; see ``MailSession.send``."""
        with self.session() as session:
            session.send(mail)

    @contextmanager
    def session(self) -> Iterator[MailSession]:
        """A session for sending several messages on one connection, closed on exit."""
        session = MailSession(self)
        try:
            yield session
        finally:
            session.close()

    def _open(self) -> smtplib.SMTP:
        """A connection ready to take messages (connected, TLS as configured, logged in)."""
        smtp = self._connect()
        try:
            if self._login is not None:
                smtp.login(*self._login)
        except BaseException:
            _hang_up(smtp)
            raise
        return smtp

    def _connect(self) -> smtplib.SMTP:
        # EHLO names the sending domain: smtplib's default asks DNS for this host's FQDN, which
        # can stall for seconds where DNS is missing, and says nothing useful anyway.
        if self._security == "tls":
            return smtplib.SMTP_SSL(
                self._host,
                self._port,
                local_hostname=self.domain,
                timeout=self._timeout_s,
                context=self._tls_context,
            )
        smtp = smtplib.SMTP(
            self._host, self._port, local_hostname=self.domain, timeout=self._timeout_s
        )
        if self._security == "starttls":
            try:
                # Raises SMTPNotSupportedError when the server does not offer STARTTLS: we
                # never fall back to sending in clear.
                smtp.starttls(context=self._tls_context)
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _compose(self, mail: OutgoingMail, recipient: str) -> EmailMessage:
        if not _MESSAGE_ID.fullmatch(mail.message_id):
            raise ValueError("message_id must look like <key@domain>: use Mailer.message_id_for")
        message = EmailMessage()
        # The subject and the name may carry what users typed (a merchant's name, their own):
        # a line break there must neither add a header nor make the message unsendable, so
        # they are flattened to one line. Anything else with a line break is refused by the
        # policy (ValueError): the caller's mistake.
        message["Message-ID"] = mail.message_id
        message["Date"] = formatdate(usegmt=True)
        message["From"] = self._from
        message["To"] = Address(display_name=_one_line(mail.to_name or ""), addr_spec=recipient)
        message["Subject"] = _one_line(mail.subject)
        # RFC 3834: a machine wrote this; auto-responders should not answer it.
        message["Auto-Submitted"] = "auto-generated"
        for name, value in mail.headers.items():
            message[name] = value
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        return message


class MailSession:
    """Messages sent one after another on one SMTP connection, opened on the first send.

    Any failure closes the connection, so the next message starts on a fresh one: a refusal or
    a dropped line can never leave a half-finished transaction for the next message to inherit.
    """

    def __init__(self, mailer: Mailer) -> None:
        self._mailer = mailer
        self._smtp: smtplib.SMTP | None = None

    def send(self, mail: OutgoingMail) -> None:
        """Send ``mail``; MailUnavailable or MailRejected (see the module docstring) if not.
        ValueError if it cannot be composed at all (a Message-ID not made by
        ``message_id_for``, a line break in an extra header): a bug, not a delivery problem."""
        recipient = _recipient(mail.to)
        message = self._mailer._compose(mail, recipient)
        began = time.monotonic()
        try:
            self._transmit(message, recipient)
        except BaseException:
            self.close()
            raise
        log.debug(
            "mail_sent",
            message_id=mail.message_id,
            seconds=round(time.monotonic() - began, 3),
        )

    def close(self) -> None:
        if self._smtp is not None:
            _hang_up(self._smtp)
            self._smtp = None

    def _transmit(self, message: EmailMessage, recipient: str) -> None:
        mailer = self._mailer
        try:
            if self._smtp is None:
                self._smtp = mailer._open()
            self._smtp.send_message(message, from_addr=mailer._envelope_from, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            # One recipient, so one answer: 4xx is "not now" (greylisting, a full mailbox).
            code, answer = next(iter(exc.recipients.values()))
            raise _by_code("recipient refused", code, answer) from None
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
            permanent = isinstance(exc, smtplib.SMTPDataError)  # the sender is our setting
            raise _by_code("message refused", exc.smtp_code, exc.smtp_error, permanent) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise MailUnavailable(_reason("login refused", exc.smtp_error), exc.smtp_code) from None
        except smtplib.SMTPNotSupportedError as exc:
            if "SMTPUTF8" in str(exc):
                raise MailRejected("the recipient address needs SMTPUTF8, not offered") from None
            raise MailUnavailable(str(exc)) from None  # no STARTTLS, or no AUTH, offered
        except smtplib.SMTPResponseException as exc:
            raise MailUnavailable(_reason("server error", exc.smtp_error), exc.smtp_code) from None
        except (smtplib.SMTPException, OSError) as exc:
            # Refused or dropped connections, timeouts, TLS failures (ssl.SSLError is an
            # OSError), a server that closed on us.
            raise MailUnavailable(f"{type(exc).__name__}: {_masked(str(exc))}") from None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _hang_up(smtp: smtplib.SMTP) -> None:
    """QUIT politely; a failure to do so changes nothing about the message (already accepted or
    already refused), so it must not turn a sent message into an error that invites a resend."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _recipient(address: str) -> str:
    """``address`` if it is one usable address; MailRejected if not (a stored address that
    cannot be sent to will not become sendable by retrying)."""
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError, HeaderParseError):
        # Also a non-ASCII local part: the standard library's address parser refuses those.
        raise MailRejected("the recipient address is not valid") from None
    if not parsed.username or not parsed.domain or "." not in parsed.domain:
        raise MailRejected("the recipient address is not valid")
    return parsed.addr_spec


def _by_code(what: str, code: int, answer: bytes | str, permanent: bool = True) -> MailError:
    reason = _reason(what, answer, code)
    if 500 <= code < 600 and permanent and code not in _CONFIGURATION_CODES:
        return MailRejected(reason, code)
    return MailUnavailable(reason, code)


def _reason(what: str, answer: bytes | str, code: int | None = None) -> str:
    text = answer.decode(errors="replace") if isinstance(answer, bytes) else answer
    prefix = f"{what}: {code} " if code is not None else f"{what}: "
    return prefix + _masked(" ".join(text.split()))


def _masked(text: str) -> str:
    return _ANY_ADDRESS.sub("<address>", text)
