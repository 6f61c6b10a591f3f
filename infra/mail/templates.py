"""The notification e-mails: which kinds exist, what each needs, and turning one into a subject,
a plain-text body and an HTML body in the reader's language.

Templates are Jinja2 files under ``templates/<language>/``: ``<kind>.txt`` (its ``subject`` block
and the text body) and ``<kind>.html``, each extending that language's ``_layout``, which greets
the reader by name when one is given and ends with why the mail was sent: for a security mail,
that it always is; for any other, a link to turn it off (``preferences_link``). HTML is
autoescaped; text and the subject are not (they are not HTML), and the subject is flattened to
one line.

A context must hold exactly the kind's keys: a missing or unknown key is a ``MailContextError``,
and so are values of the wrong shape (an amount that is not already a formatted string, a link
that is not http(s)). Amounts arrive formatted by the caller ("25.00 EUR"): nothing here does
arithmetic on money.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

import jinja2

LANGUAGES: tuple[str, ...] = ("en", "pt")
DEFAULT_LANGUAGE = "en"


class MailContextError(ValueError):
    """A context does not fit its kind (names keys, never values: they may be personal)."""


@dataclass(frozen=True)
class MailKind:
    """A kind of notification e-mail: the context keys it needs and accepts, and whether it is a
    security mail (always sent: a reader cannot turn it off, so it carries no preferences link).
    Every kind also accepts ``name``, the reader's name for the greeting."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    security: bool = False

    @property
    def required_keys(self) -> frozenset[str]:
        return frozenset(self.required) | (frozenset() if self.security else {"preferences_link"})

    @property
    def keys(self) -> frozenset[str]:
        return self.required_keys | frozenset(self.optional) | {"name"}


KINDS: Mapping[str, MailKind] = MappingProxyType(
    {
        kind.name: kind
        for kind in (
            MailKind("money_received", ("amount", "account_id"), ("reference",)),
            MailKind("payment_captured", ("amount", "payment_id", "merchant", "role")),
            MailKind("payment_refunded", ("amount", "payment_id", "merchant", "role")),
            MailKind("large_withdrawal", ("amount", "account_id"), ("reference",)),
            MailKind("new_device_login", ("when",), ("user_agent", "address"), security=True),
            MailKind("password_changed", ("when",), security=True),
            MailKind("mfa_changed", ("enabled", "when"), security=True),
            MailKind(
                "webhook_endpoint_disabled",
                ("endpoint_url", "endpoint_id", "since"),
                security=True,
            ),
            MailKind("verify_email", ("link",), security=True),
            MailKind("password_reset", ("link", "expires_minutes"), security=True),
        )
    }
)
SECURITY_KINDS: frozenset[str] = frozenset(name for name, kind in KINDS.items() if kind.security)

_ROLES = ("payer", "payee")
_LINK_KEYS = ("link", "preferences_link")


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def resolve_language(language: str | None) -> str:
    """The language we write in for a reader who asked for ``language`` ("pt-BR", "PT", "fr"):
    its primary subtag if we have it, else English."""
    primary = re.split(r"[-_]", (language or "").strip().lower(), maxsplit=1)[0]
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def render(kind: str, language: str | None, context: Mapping[str, object]) -> RenderedMail:
    """The ``kind`` mail in ``language`` (English when we do not write that one)."""
    spec = KINDS.get(kind)
    if spec is None:
        raise MailContextError(f"unknown mail kind {kind!r}")
    values = _checked(spec, context)
    language = resolve_language(language)
    environment = _environment()
    text_template = environment.get_template(f"{language}/{kind}.txt")
    html_template = environment.get_template(f"{language}/{kind}.html")
    values["security"] = spec.security
    subject_block = text_template.blocks["subject"](text_template.new_context(values))
    subject = " ".join("".join(subject_block).split())
    text = _tidy(text_template.render(values))
    html = html_template.render({**values, "subject": subject}).strip() + "\n"
    return RenderedMail(subject=subject, text=text, html=html)


def _checked(spec: MailKind, context: Mapping[str, object]) -> dict[str, object]:
    given = {key for key, value in context.items() if value is not None}
    missing = sorted(spec.required_keys - given)
    unknown = sorted(set(context) - spec.keys)
    if missing or unknown:
        problems = [f"missing {', '.join(missing)}"] if missing else []
        problems += [f"unknown {', '.join(unknown)}"] if unknown else []
        raise MailContextError(f"{spec.name} mail: {'; '.join(problems)}")
    values: dict[str, object] = dict.fromkeys(spec.keys)
    values.update(context)
    for key, value in values.items():
        if value is not None:
            _check_value(spec.name, key, value)
    return values


def _check_value(kind: str, key: str, value: object) -> None:
    if key == "enabled":
        if not isinstance(value, bool):
            raise MailContextError(f"{kind} mail: enabled must be true or false")
    elif key == "expires_minutes":
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise MailContextError(f"{kind} mail: expires_minutes must be a positive integer")
    elif not isinstance(value, str):
        # Amounts especially: formatted by the caller from integer minor units, never floats.
        raise MailContextError(f"{kind} mail: {key} must be a string")
    elif key == "role" and value not in _ROLES:
        raise MailContextError(f"{kind} mail: role must be payer or payee")
    elif key in _LINK_KEYS and not value.startswith(("https://", "http://")):
        # A javascript: or data: link in an HTML mail would be an attack on the reader.
        raise MailContextError(f"{kind} mail: {key} must be an http(s) URL")


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("infra.mail", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,  # a misspelt variable fails instead of vanishing
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _tidy(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"
