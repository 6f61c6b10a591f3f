"""GET /v1/audit/streams/{id} and /state: histories and replayed states straight from the event
store, with the same ownership rules as the rest of the query API."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from domain.account import Account
from domain.upcasting import UPCASTERS
from event_store.records import NewEvent
from infra.settings import Settings
from read_api.app import create_app as create_read_app
from tests.audit.conftest import Actor, Ledger, assert_problem
from tests.server_fixtures import event_store_on


def history(reader: TestClient, stream: UUID, actor: Actor, **params: Any) -> Any:
    return reader.get(f"/v1/audit/streams/{stream}", headers=actor.headers, params=params)


def state(reader: TestClient, stream: UUID, actor: Actor, **params: Any) -> Any:
    return reader.get(f"/v1/audit/streams/{stream}/state", headers=actor.headers, params=params)


@pytest.fixture
def wallet(ledger: Ledger) -> tuple[Actor, UUID]:
    """A customer's account: opened, credited 5000 (correlation "salary-run"), debited 1200."""
    owner = ledger.sign_up()
    account = ledger.open_account(owner)
    ledger.deposit(owner, account, 5000, **{"X-Correlation-ID": "salary-run"})
    ledger.post(f"/v1/accounts/{account}/withdrawals", owner, {"amount": 1200, "reference": "cash"})
    return owner, account


def test_history_lists_every_event_oldest_first_with_metadata_and_the_state_after_it(
    ledger: Ledger, reader: TestClient, wallet: tuple[Actor, UUID]
) -> None:
    owner, account = wallet

    response = history(reader, account, ledger.actor("auditor"))

    assert response.status_code == 200, response.text
    body = response.json()
    events = body["events"]
    assert (body["stream_id"], body["stream_type"], body["version"]) == (str(account), "Account", 3)
    assert [e["type"] for e in events] == ["AccountOpened", "AccountCredited", "AccountDebited"]
    assert [e["version"] for e in events] == [1, 2, 3]
    assert [e["command"] for e in events] == ["OpenAccount", "DepositFunds", "WithdrawFunds"]
    assert {e["user_id"] for e in events} == {str(owner.user_id)}
    assert events[1]["correlation_id"] == "salary-run"
    assert all(e["causation_id"] and e["recorded_at"].endswith("Z") for e in events)
    assert events[1]["data"] == {"amount": 5000, "currency": "EUR", "reference": "top-up"}
    assert [e["state"]["balance"] for e in events] == [0, 5000, 3800]
    assert body["state"] == events[-1]["state"]
    final = body["state"]
    assert (final["id"], final["owner_id"], final["status"]) == (
        str(account),
        str(owner.user_id),
        "open",
    )
    assert not any(name.startswith("_") for name in final)


def test_state_is_replayed_as_of_a_version_or_a_time(
    ledger: Ledger, reader: TestClient, wallet: tuple[Actor, UUID]
) -> None:
    owner, account = wallet
    events = history(reader, account, owner).json()["events"]

    by_version = state(reader, account, owner, version=2)
    by_time = state(reader, account, owner, at=events[1]["recorded_at"])
    before = state(reader, account, owner, at="2000-01-01T00:00:00+00:00")
    beyond = state(reader, account, owner, version=4)

    assert by_version.status_code == 200, by_version.text
    assert by_version.json()["version"] == 2
    assert by_version.json()["state"]["balance"] == 5000
    assert by_time.json() == by_version.json()
    assert "did not exist" in assert_problem(before, 404, "not-found")["detail"]
    assert "no version 4" in assert_problem(beyond, 404, "not-found")["detail"]
    cut = history(reader, account, owner, version=2).json()
    assert [e["version"] for e in cut["events"]] == [1, 2]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"version": 1, "at": "2026-11-29T15:27:03Z"},
        {"at": "2026-11-29T15:27:03"},  # no offset: ambiguous
        {"at": "yesterday"},
        {"version": 0},
    ],
)
def test_state_needs_exactly_one_valid_point(
    ledger: Ledger, reader: TestClient, wallet: tuple[Actor, UUID], params: dict[str, Any]
) -> None:
    owner, account = wallet

    assert_problem(state(reader, account, owner, **params), 422)


def test_unknown_streams_are_404_and_anonymous_callers_401(
    ledger: Ledger, reader: TestClient
) -> None:
    missing = uuid.uuid4()

    assert_problem(history(reader, missing, ledger.actor("admin")), 404, "not-found")
    assert_problem(reader.get(f"/v1/audit/streams/{missing}"), 401)


def test_customers_audit_only_their_own_users_accounts_payments_and_transfers(
    ledger: Ledger, reader: TestClient
) -> None:
    payer, payee, stranger = ledger.sign_up(), ledger.sign_up(), ledger.sign_up()
    wallet = ledger.funded_account(payer, 10_000)
    savings = ledger.open_account(payer)
    till = ledger.open_account(payee)
    payment = ledger.pay(payer, wallet, till, 4200)
    transfer = ledger.transfer(payer, wallet, savings, 100)
    incoming = ledger.transfer(payer, wallet, ledger.open_account(payee), 100)

    def status(actor: Actor, stream: UUID) -> int:
        return int(history(reader, stream, actor).status_code)

    allowed = {
        payer: [payer.user_id, wallet, savings, payment, transfer, incoming],
        payee: [payee.user_id, till, payment, incoming],
        ledger.actor("auditor"): [payer.user_id, wallet, payment, transfer],
        ledger.actor("admin"): [payee.user_id, till, payment, incoming],
    }
    hidden = {
        payee: [payer.user_id, wallet, savings, transfer],
        stranger: [payer.user_id, wallet, till, payment, transfer, incoming],
        ledger.actor("operator"): [wallet, payment],
    }
    for actor, streams in allowed.items():
        assert [status(actor, s) for s in streams] == [200] * len(streams)
    for actor, streams in hidden.items():
        assert [status(actor, s) for s in streams] == [404] * len(streams)
        assert_problem(state(reader, streams[0], actor, version=1), 404, "not-found")


def test_a_forgotten_users_personal_data_is_null_throughout_their_audit_trail(
    ledger: Ledger, reader: TestClient
) -> None:
    user = ledger.sign_up(full_name="Grace Hopper")
    ledger.client.patch(
        f"/v1/users/{user.user_id}", json={"full_name": "Grace B. Hopper"}, headers=user.headers
    )
    forget = ledger.client.delete(f"/v1/users/{user.user_id}/personal-data", headers=user.headers)
    assert forget.status_code == 200, forget.text

    body = history(reader, user.user_id, ledger.actor("auditor")).json()

    assert body["redacted"] == ["email", "full_name"]
    assert [e["type"] for e in body["events"]][-1] == "UserPersonalDataForgotten"
    assert "Grace" not in str(body)
    assert all(e["state"]["email"] is None for e in body["events"])
    assert body["state"]["personal_data_forgotten"] is True


def test_old_event_schema_versions_are_upcast_on_replay(
    reader: TestClient, ledger: Ledger, audit_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # AccountCredited v1 named its amount "amount_cents"; pretend the current version is 2.
    def rename_amount(data: dict[str, Any]) -> dict[str, Any]:
        return {
            **{k: v for k, v in data.items() if k != "amount_cents"},
            "amount": data["amount_cents"],
        }

    monkeypatch.setattr(Account.Credited, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(UPCASTERS._upcasters, ("AccountCredited", 1), rename_amount)
    owner, account = ledger.actor("customer"), uuid.uuid4()
    with event_store_on(audit_database_url) as store:
        store.append(
            [
                NewEvent(
                    account,
                    "Account",
                    1,
                    "AccountOpened",
                    {"owner_id": str(owner.user_id), "currency": "EUR"},
                ),
                NewEvent(
                    account,
                    "Account",
                    2,
                    "AccountCredited",
                    {"amount_cents": 700, "currency": "EUR", "reference": "old"},
                    schema_version=1,
                ),
            ]
        )

    body = history(reader, account, owner).json()

    assert body["state"]["balance"] == 700
    assert body["events"][1]["schema_version"] == 1
    assert body["events"][1]["data"]["amount_cents"] == 700  # shown as stored


def test_an_unreachable_event_store_is_a_503_problem(ledger: Ledger) -> None:
    unreachable = Settings(
        LEDGERLINE_DATABASE_URL="postgresql://postgres@127.0.0.1:1/nowhere",
        env="test",
        jwt_secret=ledger.settings.jwt_secret,
        db_pool_timeout_s=1.0,
    )
    with TestClient(create_read_app(unreachable)) as reader:
        response = history(reader, uuid.uuid4(), ledger.actor("auditor"))

    assert_problem(response, 503, "service-unavailable")
