"""Outgoing e-mail: rendering a notification from its templates (``templates``) and sending it
over SMTP (``mailer``). The notifier decides what to send and when; this package only says how.
"""

from infra.mail.mailer import (
    Mailer,
    MailError,
    MailRejected,
    MailSession,
    MailUnavailable,
    OutgoingMail,
)
from infra.mail.templates import (
    DEFAULT_LANGUAGE,
    KINDS,
    LANGUAGES,
    SECURITY_KINDS,
    MailContextError,
    MailKind,
    RenderedMail,
    render,
    resolve_language,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "KINDS",
    "LANGUAGES",
    "SECURITY_KINDS",
    "MailContextError",
    "MailError",
    "MailKind",
    "MailRejected",
    "MailSession",
    "MailUnavailable",
    "Mailer",
    "OutgoingMail",
    "RenderedMail",
    "render",
    "resolve_language",
]
