"""Business metrics on the write API's /metrics: money moved per currency (once per command,
never for a replayed repeat), payments by outcome, sign-ups and logins by outcome; beside them
the event store's availability."""

from __future__ import annotations

import uuid
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.credentials import PASSWORD
from tests.write_api.conftest import Api


def samples(api: Api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the /metrics page, by name and sorted labels."""
    text = api.client.get("/metrics").text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(all_samples: dict[Any, float], name: str, **labels: str) -> float:
    return all_samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_money_moved_is_counted_once_per_command_in_minor_units_per_currency(api: Api) -> None:
    ada, bob = api.sign_up(), api.sign_up()
    before = samples(api)
    wallet = api.funded_account(ada, 100_000, "CHF")  # deposit: 100,000 moved
    till = api.open_account(bob, "CHF")
    api.funded_account(ada, 7, "EUR")
    transfer = {
        "from_account_id": str(wallet),
        "to_account_id": str(till),
        "amount": 2_500,
        "reference": "rent",
    }
    assert api.post("/v1/transfers", ada, transfer).status_code == 201  # debit + credit: once
    withdrawal = {"amount": 1_000, "reference": "cash"}
    key = {"Idempotency-Key": f"cash-{uuid.uuid4()}"}
    path = f"/v1/accounts/{wallet}/withdrawals"
    assert api.post(path, ada, withdrawal, key).status_code == 200
    assert api.post(path, ada, withdrawal, key).status_code == 200  # a replay: nothing moved
    refused = {"amount": 10**9, "reference": "too much"}
    assert api.post(path, ada, refused).status_code == 409
    after = samples(api)

    moved = "ledgerline_business_money_moved_minor_units_total"

    def delta(currency: str) -> float:
        return value(after, moved, currency=currency) - value(before, moved, currency=currency)

    assert delta("CHF") == 100_000 + 2_500 + 1_000
    assert delta("EUR") == 7
    assert api.events(wallet)[-1][0] == "AccountDebited"  # the refused one appended nothing


def test_payments_are_counted_by_outcome_and_a_capture_moves_its_amount_once(api: Api) -> None:
    customer, merchant = api.sign_up(), api.sign_up()
    payer = api.funded_account(customer, 1_000, "SEK")
    payee = api.open_account(merchant, "SEK")
    before = samples(api)
    body = {
        "payer_account_id": str(payer),
        "payee_account_id": str(payee),
        "amount": 400,
        "description": "Order 1234",
        "merchant": "Corner Shop",
    }
    captured = api.post("/v1/payments", customer, body).json()["id"]
    assert api.post(f"/v1/payments/{captured}/capture", customer).is_success
    assert api.post(f"/v1/payments/{captured}/refunds", merchant, {"amount": 150}).is_success
    voided = api.post("/v1/payments", customer, body).json()["id"]
    assert api.post(f"/v1/payments/{voided}/void", customer).is_success
    after = samples(api)

    payments = "ledgerline_business_payments_total"
    outcomes = {
        outcome: value(after, payments, outcome=outcome) - value(before, payments, outcome=outcome)
        for outcome in ("authorized", "captured", "voided", "refunded")
    }
    assert outcomes == {"authorized": 2, "captured": 1, "voided": 1, "refunded": 1}
    moved = "ledgerline_business_money_moved_minor_units_total"
    sek = value(after, moved, currency="SEK") - value(before, moved, currency="SEK")
    assert sek == 400 + 150  # holds and voids move nothing


def test_sign_ups_and_logins_are_counted_by_outcome(api: Api) -> None:
    email = f"{uuid.uuid4().hex[:12]}@example.com"
    before = samples(api)
    api.sign_up(email)
    for password in (PASSWORD, "not the password at all", PASSWORD):
        api.client.post("/v1/auth/login", json={"email": email, "password": password})
    unknown = {"email": f"nobody-{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD}
    assert api.client.post("/v1/auth/login", json=unknown).status_code == 401
    after = samples(api)

    signups = "ledgerline_business_signups_total"
    assert value(after, signups) - value(before, signups) == 1
    logins = "ledgerline_business_logins_total"
    assert (
        value(after, logins, outcome="succeeded") - value(before, logins, outcome="succeeded") == 2
    )
    assert value(after, logins, outcome="failed") - value(before, logins, outcome="failed") == 2


def test_the_event_store_is_reported_up_and_no_relay_metric_leaks_into_the_api(api: Api) -> None:
    api.sign_up()
    text = api.client.get("/metrics").text
    names = {family.name for family in text_string_to_metric_families(text)}

    assert value(samples(api), "ledgerline_event_store_up") == 1.0
    assert {"ledgerline_event_store_appends", "process_cpu_seconds"} <= names
    assert not [
        name for name in names if name.startswith(("ledgerline_relay_", "ledgerline_projector_"))
    ]
