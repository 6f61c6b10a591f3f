"""Webhooks end to end: events become signed deliveries to the endpoints entitled to them."""

from __future__ import annotations

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.notifier.conftest import NotifySystem
from tests.notifier.receiver import Received, Receiver


def test_a_payment_reaches_both_parties_endpoints_signed_and_without_personal_data(
    system: NotifySystem, hooks: Receiver
) -> None:
    merchant, as_merchant = system.user()
    payer, as_payer = system.user()
    _, as_stranger = system.user()
    shop = system.endpoint(as_merchant, hooks.url, ["payment.captured", "account.credited"])
    wallet = system.endpoint(as_payer, hooks.url, ["payment.authorized", "payment.captured"])
    system.endpoint(as_stranger, hooks.url, ["*"])
    assert shop["secret"].startswith("whsec_")

    shop_account = system.account(merchant, as_merchant)
    payer_account = system.account(payer, as_payer, funds=10_000)
    payment = system.post(
        "/v1/payments",
        {
            "payer_account_id": payer_account,
            "payee_account_id": shop_account,
            "amount": 2_500,
            "description": "Order 7",
            "merchant": "Padaria",
        },
        as_payer,
        201,
    )
    system.post(f"/v1/payments/{payment['id']}/capture", {}, as_merchant)

    # payer: authorized + captured; merchant: captured + credited (the capture's credit)
    system.dispatch_until(hooks, 4)
    received = hooks.delivered()
    shop_types = sorted(r.json["type"] for r in received if signed_by(shop["secret"], r))
    wallet_types = sorted(r.json["type"] for r in received if signed_by(wallet["secret"], r))
    assert shop_types == ["account.credited", "payment.captured"]
    assert wallet_types == ["payment.authorized", "payment.captured"]
    # Every request was for one of these two (the stranger owns none of the accounts), and
    # each (endpoint, event) has its own webhook-id.
    assert len(received) == 4 and len({r.webhook_id for r in received}) == 4

    captured = next(
        r.json
        for r in received
        if signed_by(shop["secret"], r) and r.json["type"] == "payment.captured"
    )
    assert captured["api_version"] and captured["id"].startswith("evt_")
    assert captured["data"] == {
        "object": "payment",
        "object_id": payment["id"],
        "payment_id": payment["id"],
        "payer_account_id": payer_account,
        "payee_account_id": shop_account,
        "authorized_amount": 2_500,
        "amount": 2_500,
        "currency": "EUR",
        "description": "Order 7",
        "merchant": "Padaria",
        "version": 2,
    }
    for request in received:
        assert b"Lovelace" not in request.body and b"notify-test.example" not in request.body


def signed_by(secret: str, request: Received) -> bool:
    """Checked with the Standard Webhooks reference library, not our signing code."""
    try:
        Webhook(secret).verify(request.body, request.headers)
    except WebhookVerificationError:
        return False
    return True
