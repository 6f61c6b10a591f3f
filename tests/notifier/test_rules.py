"""Pure parts of the notifier, without servers: signatures (checked by the Standard Webhooks
reference library), the SSRF guard with an injected resolver, the retry schedule, public bodies
and which events mail whom."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from domain import preferences
from infra.mail import templates
from projections.notifier import mail_rules, public_events, schedule, signing
from projections.notifier.url_guard import UnsafeUrl, resolve

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_our_signatures_verify_with_the_reference_library() -> None:
    secret = signing.new_secret()
    body = b'{"type":"webhook.ping","data":{}}'
    timestamp = int(datetime.now(UTC).timestamp())
    headers = signing.headers([secret], "msg_abc", timestamp, body)
    assert Webhook(secret).verify(body, headers) == {"type": "webhook.ping", "data": {}}
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(signing.new_secret()).verify(body, headers)
    both = signing.headers([signing.new_secret(), secret], "msg_abc", timestamp, body)
    assert Webhook(secret).verify(body, both)


def _resolver(*answers: str):  # type: ignore[no-untyped-def]
    return lambda host, port: list(answers)


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        (("127.0.0.1",), "loopback"),
        (("93.184.215.14", "10.0.0.7"), "private"),  # one bad answer is enough
        (("169.254.169.254",), "metadata"),
        (("fe80::1",), "link-local"),
        (("100.64.0.1",), "private"),
        (("224.0.0.1",), "unicast"),
    ],
)
def test_a_name_resolving_to_an_internal_address_is_refused(
    answers: tuple[str, ...], reason: str
) -> None:
    with pytest.raises(UnsafeUrl, match=reason):
        resolve("https://hooks.example.com/x", allow_private=False, resolver=_resolver(*answers))


def test_the_checked_address_is_the_one_connected_to() -> None:
    target = resolve(
        "https://hooks.example.com:8443/in?x=1",
        allow_private=False,
        resolver=_resolver("93.184.215.14"),
    )
    assert target.pinned_url == "https://93.184.215.14:8443/in?x=1"
    assert (target.host, target.port) == ("hooks.example.com", 8443)


def test_development_allows_private_receivers_but_never_metadata() -> None:
    assert resolve("http://127.0.0.1:9/x", allow_private=True).address == "127.0.0.1"
    with pytest.raises(UnsafeUrl, match="metadata"):
        resolve("http://169.254.169.254/", allow_private=True)


def test_retries_follow_the_schedule_with_bounded_jitter_for_about_three_days() -> None:
    rng = random.Random(1)
    at, attempts = NOW, 1
    while (following := schedule.next_attempt_at(attempts, at, rng)) is not None:
        delay = schedule.RETRY_DELAYS[attempts - 1]
        assert delay * 0.8 <= following - at <= delay * 1.2
        at, attempts = following, attempts + 1
    assert attempts == schedule.MAX_ATTEMPTS == 10
    assert timedelta(days=2) < at - NOW < timedelta(days=4)
    assert not schedule.should_disable(NOW, NOW + timedelta(days=4, hours=23))
    assert schedule.should_disable(NOW, NOW + timedelta(days=5))


def _envelope(kind: str, data: dict[str, object], stream: str = "s1") -> dict[str, object]:
    stream_type = next(t for t in ("Payment", "Account", "Transfer", "User") if kind.startswith(t))
    return {
        "event_id": "e1",
        "stream_id": stream,
        "stream_type": stream_type,
        "version": 3,
        "type": kind,
        "recorded_at": NOW.isoformat(),
        "data": data,
    }


def test_every_public_type_has_an_example_without_personal_fields() -> None:
    examples = public_events.examples()
    assert set(examples) == set(public_events.EVENT_TYPES)
    for body in examples.values():
        assert not {"email", "full_name", "name", "address"} & set(body["data"])


def test_captures_and_refunds_mail_both_parties_once_and_their_entries_do_not() -> None:
    payment = public_events.PaymentFacts("payer-acct", "payee-acct", 1000, "EUR", "Tea", "Shop")
    owners = {"payer-acct": "u-payer", "payee-acct": "u-payee"}
    captured = mail_rules.mails_for(
        _envelope("PaymentCaptured", {"amount": 1000}, "p1"),
        owners=owners,
        payment=payment,
        large_withdrawal_minor=100,
    )
    assert [(m.user_id, m.kind, m.details["role"], m.details["amount"]) for m in captured] == [
        ("u-payer", "payment_captured", "payer", "10.00 EUR"),
        ("u-payee", "payment_captured", "payee", "10.00 EUR"),
    ]
    entry = _envelope(
        "AccountCredited",
        {"amount": 1000, "currency": "EUR", "reference": "payment:p1"},
        "payee-acct",
    )
    assert mail_rules.mails_for(entry, owners=owners, payment=None, large_withdrawal_minor=1) == []


def test_only_large_debits_and_real_changes_mail() -> None:
    owners = {"a1": "u1"}

    def mails(kind: str, data: dict[str, object], stream: str = "a1") -> list[str]:
        return [
            m.kind
            for m in mail_rules.mails_for(
                _envelope(kind, data, stream),
                owners=owners,
                payment=None,
                large_withdrawal_minor=500,
            )
        ]

    debit = {"currency": "EUR", "reference": None}
    assert mails("AccountDebited", {"amount": 499, **debit}) == []
    assert mails("AccountDebited", {"amount": 500, **debit}) == ["large_withdrawal"]
    assert mails("AccountCredited", {"amount": 1, **debit}) == ["money_received"]
    assert mails("UserPasswordChanged", {"reason": "rehashed"}, "u1") == []
    assert mails("UserPasswordChanged", {"reason": "changed"}, "u1") == ["password_changed"]
    assert mails("UserProfileChanged", {"email": None, "full_name": "x"}, "u1") == []
    assert mails("UserProfileChanged", {"email": "sealed", "full_name": None}, "u1") == [
        "verify_email"
    ]
    assert mails("UserMfaDisabled", {}, "u1") == ["mfa_changed"]


def test_the_templates_know_every_mail_kind_and_which_are_security_mails() -> None:
    assert set(templates.KINDS) == set(preferences.EMAIL_KINDS)
    assert set(preferences.SECURITY_EMAIL_KINDS) == templates.SECURITY_KINDS
