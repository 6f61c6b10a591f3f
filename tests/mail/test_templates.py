"""Rendering the notification e-mails: every kind in every language, with what the caller gave."""

from __future__ import annotations

import html
from typing import Any

import pytest

from infra.mail import (
    KINDS,
    LANGUAGES,
    SECURITY_KINDS,
    MailContextError,
    render,
    resolve_language,
)

PREFERENCES = "https://app.ledgerline.example/settings/notifications?token=p-77"

# One recognisable value per key, so a test can find each in the output.
CONTEXTS: dict[str, dict[str, Any]] = {
    "money_received": {
        "amount": "25.00 EUR",
        "account_id": "acc-7f3a",
        "reference": "salary november",
    },
    "payment_captured": {
        "amount": "42.00 EUR",
        "payment_id": "pay-91c2",
        "merchant": "Book Shop",
        "role": "payer",
    },
    "payment_refunded": {
        "amount": "12.50 EUR",
        "payment_id": "pay-0d4e",
        "merchant": "Tea House",
        "role": "payer",
    },
    "large_withdrawal": {
        "amount": "2500.00 EUR",
        "account_id": "acc-55b1",
        "reference": "rent december",
    },
    "new_device_login": {
        "when": "2026-11-30T15:27:03Z",
        "user_agent": "Firefox 140 on Linux",
        "address": "203.0.113.9",
    },
    "password_changed": {"when": "2026-11-30T15:28:11Z"},
    "mfa_changed": {"enabled": True, "when": "2026-11-30T15:29:45Z"},
    "webhook_endpoint_disabled": {
        "endpoint_url": "https://hooks.example.net/ledgerline",
        "endpoint_id": "wh-31aa",
        "since": "2026-11-29T08:00:00Z",
    },
    "verify_email": {"link": "https://app.ledgerline.example/verify?token=v-123"},
    "password_reset": {
        "link": "https://app.ledgerline.example/reset?token=r-456",
        "expires_minutes": 30,
    },
}
GREETING = {"en": "Hello", "pt": "Olá"}
CASES = [(kind, language) for kind in KINDS for language in LANGUAGES]


def context_for(kind: str, **changes: Any) -> dict[str, Any]:
    context = dict(CONTEXTS[kind])
    if kind not in SECURITY_KINDS:
        context["preferences_link"] = PREFERENCES
    return context | changes


def test_the_kinds_and_which_are_security_mails() -> None:
    assert set(KINDS) == set(CONTEXTS)
    assert {
        "new_device_login",
        "password_changed",
        "mfa_changed",
        "verify_email",
        "password_reset",
        "webhook_endpoint_disabled",
    } == SECURITY_KINDS


@pytest.mark.parametrize(("kind", "language"), CASES)
def test_every_value_given_appears_in_the_text_and_the_html(kind: str, language: str) -> None:
    context = context_for(kind, name="Ada Lovelace")
    mail = render(kind, language, context)

    assert mail.subject and "\n" not in mail.subject
    assert mail.text.startswith(f"{GREETING[language]} Ada Lovelace,")
    assert f"<p>{GREETING[language]} Ada Lovelace,</p>" in mail.html
    assert f'<html lang="{language}">' in mail.html
    for key, value in context.items():
        if isinstance(value, bool) or key == "role":
            continue  # they choose the wording rather than appear in it
        assert str(value) in mail.text, key
        assert html.escape(str(value)) in mail.html, key


@pytest.mark.parametrize(("kind", "language"), CASES)
def test_only_mails_that_can_be_turned_off_say_how(kind: str, language: str) -> None:
    mail = render(kind, language, context_for(kind))

    if kind in SECURITY_KINDS:
        assert "preferences_link" not in KINDS[kind].keys
        assert "https://app.ledgerline.example/settings" not in mail.text + mail.html
    else:
        assert mail.text.splitlines()[-3].endswith(PREFERENCES)
        assert f'<a href="{html.escape(PREFERENCES)}">' in mail.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_without_a_name_the_greeting_is_anonymous(language: str) -> None:
    mail = render("password_changed", language, context_for("password_changed"))

    assert mail.text.startswith(f"{GREETING[language]},\n")
    assert f"<p>{GREETING[language]},</p>" in mail.html


@pytest.mark.parametrize("kind", ["payment_captured", "payment_refunded"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_payer_and_payee_read_different_mails(kind: str, language: str) -> None:
    payer = render(kind, language, context_for(kind, role="payer"))
    payee = render(kind, language, context_for(kind, role="payee"))

    assert payer.subject != payee.subject
    assert payer.text != payee.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_two_factor_turned_on_and_off_read_differently(language: str) -> None:
    on = render("mfa_changed", language, context_for("mfa_changed", enabled=True))
    off = render("mfa_changed", language, context_for("mfa_changed", enabled=False))

    assert on.subject != off.subject
    assert on.text != off.text


def test_optional_values_left_out_leave_no_empty_lines_behind() -> None:
    mail = render("new_device_login", "en", {"when": "2026-11-30T15:27:03Z"})

    assert "Device" not in mail.text and "Network address" not in mail.text
    assert "\n\n\n" not in mail.text
    assert mail.text.endswith("Ledgerline\n")


@pytest.mark.parametrize("language", LANGUAGES)
def test_html_in_a_merchant_name_is_escaped_in_the_html_mail(language: str) -> None:
    merchant = '<script>alert("pwned")</script> & Co'
    mail = render("payment_captured", language, context_for("payment_captured", merchant=merchant))

    assert "<script>" not in mail.html
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt; &amp; Co" in mail.html
    assert merchant in mail.text  # plain text is not HTML: shown as given
    assert merchant in mail.subject


def test_a_line_break_in_a_value_does_not_reach_the_subject() -> None:
    mail = render(
        "payment_refunded",
        "en",
        context_for("payment_refunded", merchant="Tea\r\nBcc: someone@example.com"),
    )

    assert "\n" not in mail.subject and "\r" not in mail.subject


@pytest.mark.parametrize("language", ["fr", "de-DE", "", None, "english"])
def test_a_language_we_do_not_write_falls_back_to_english(language: str | None) -> None:
    context = context_for("money_received")

    assert render("money_received", language, context) == render("money_received", "en", context)


@pytest.mark.parametrize(
    ("asked", "used"),
    [("pt", "pt"), ("pt-BR", "pt"), ("pt_PT", "pt"), ("PT", "pt"), ("en-GB", "en")],
)
def test_language_tags_are_matched_by_their_primary_language(asked: str, used: str) -> None:
    assert resolve_language(asked) == used


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_missing_required_value_is_an_error_naming_it(kind: str) -> None:
    for key in KINDS[kind].required_keys:
        context = context_for(kind)
        del context[key]
        with pytest.raises(MailContextError, match=f"missing {key}"):
            render(kind, "en", context)
        with pytest.raises(MailContextError, match=f"missing {key}"):
            render(kind, "en", context | {key: None})


def test_an_unknown_value_is_an_error_naming_it() -> None:
    with pytest.raises(MailContextError, match="unknown ammount"):
        render("money_received", "en", context_for("money_received", ammount="1.00 EUR"))
    with pytest.raises(MailContextError, match="unknown preferences_link"):
        render(
            "password_changed",
            "en",
            context_for("password_changed") | {"preferences_link": PREFERENCES},
        )


def test_an_unknown_kind_is_an_error() -> None:
    with pytest.raises(MailContextError, match="unknown mail kind 'money_sent'"):
        render("money_sent", "en", {})


@pytest.mark.parametrize(
    ("kind", "changes", "complaint"),
    [
        ("money_received", {"amount": 25.0}, "amount must be a string"),
        ("money_received", {"amount": 2500}, "amount must be a string"),
        ("payment_captured", {"role": "merchant"}, "role must be payer or payee"),
        ("mfa_changed", {"enabled": "yes"}, "enabled must be true or false"),
        ("password_reset", {"expires_minutes": "30"}, "expires_minutes must be a positive"),
        ("password_reset", {"expires_minutes": 0}, "expires_minutes must be a positive"),
        ("verify_email", {"link": "javascript:alert(1)"}, "link must be an http"),
        ("money_received", {"preferences_link": "data:text/html,hi"}, "preferences_link must"),
    ],
)
def test_values_of_the_wrong_shape_are_errors(
    kind: str, changes: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(MailContextError, match=complaint):
        render(kind, "en", context_for(kind, **changes))


def test_errors_name_keys_but_never_carry_values() -> None:
    context = context_for("money_received", name="Ada Lovelace", amount=25.0)
    with pytest.raises(MailContextError) as raised:
        render("money_received", "en", context)

    assert "Ada" not in str(raised.value) and "25" not in str(raised.value)
