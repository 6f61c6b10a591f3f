"""The MongoDB projection as a pure fold: every event type, version rules, lines, replays."""

from __future__ import annotations

import copy
import random

import pytest

from projections.mongo_projection import MONGO_PROJECTION, project
from projections.notifications import format_amount
from projections.operations import ProjectionError, UnknownEventType, VersionGap
from tests.projections.scenario import Ledger, mixed_story
from tests.projections.support import (
    MemoryReadModel,
    expected_account,
    expected_payment,
    expected_transfer,
    expected_user,
    subset,
)


def projected(envelopes: list[dict[str, object]]) -> MemoryReadModel:
    model = MemoryReadModel(MONGO_PROJECTION)
    model.apply(envelopes)
    return model


def test_every_stream_document_matches_the_state_of_its_aggregate() -> None:
    story = mixed_story()
    model = projected(story.ledger.envelopes)
    assert model.last is not None and not model.last.rejected
    for user in story.ledger.users.values():
        expected = expected_user(user)
        assert subset(model.docs[str(user.id)], expected) == expected
    for account in story.ledger.accounts.values():
        expected = expected_account(account)
        assert subset(model.docs[str(account.id)], expected) == expected
    for payment in story.ledger.payments.values():
        expected = expected_payment(payment)
        assert subset(model.docs[str(payment.id)], expected) == expected
    expected = expected_transfer(story.transfer)
    assert subset(model.docs[str(story.transfer.id)], expected) == expected


def test_stream_documents_carry_id_version_and_first_and_last_event_times() -> None:
    story = mixed_story()
    model = projected(story.ledger.envelopes)
    account_events = [e for e in story.ledger.envelopes if e["stream_id"] == str(story.bob_eur.id)]
    doc = model.docs[str(story.bob_eur.id)]
    assert doc["_id"] == doc["id"] == str(story.bob_eur.id)
    assert doc["version"] == account_events[-1]["version"] == story.bob_eur.version
    assert doc["created_at"] == account_events[0]["recorded_at"]
    assert doc["updated_at"] == account_events[-1]["recorded_at"]
    assert doc["created_at"].endswith("Z")


def test_holds_reduce_available_until_released() -> None:
    ledger = Ledger()
    owner, shop = ledger.register("a@example.com", "A"), ledger.register("s@example.com", "S")
    payer, payee = ledger.open_account(owner), ledger.open_account(shop)
    ledger.deposit(payer, 100_00)
    first = ledger.authorize(payer, payee, 30_00, "one", "Shop")
    second = ledger.authorize(payer, payee, 20_00, "two", "Shop")
    model = projected(ledger.envelopes)
    doc = model.docs[str(payer.id)]
    assert (doc["balance"], doc["held"], doc["available"]) == (100_00, 50_00, 50_00)
    assert doc["holds"] == {str(first.id): 30_00, str(second.id): 20_00}

    ledger.void(second)
    ledger.capture(first)
    model = projected(ledger.envelopes)
    doc = model.docs[str(payer.id)]
    assert (doc["balance"], doc["held"], doc["available"], doc["holds"]) == (70_00, 0, 70_00, {})
    assert model.docs[str(payee.id)]["balance"] == 30_00


def test_payment_status_moves_through_capture_partial_and_full_refund() -> None:
    ledger = Ledger()
    owner, shop = ledger.register("a@example.com", "A"), ledger.register("s@example.com", "S")
    payer, payee = ledger.open_account(owner), ledger.open_account(shop)
    ledger.deposit(payer, 100_00)
    payment = ledger.authorize(payer, payee, 40_00, "Desk lamp", "Lamps & Co")
    model = MemoryReadModel(MONGO_PROJECTION)
    statuses = []
    for step in (
        lambda: None,
        lambda: ledger.capture(payment),
        lambda: ledger.refund(payment, 15_00),
        lambda: ledger.refund(payment, 25_00),
    ):
        step()
        model.apply(ledger.envelopes)
        doc = model.docs[str(payment.id)]
        statuses.append((doc["status"], doc["captured"], doc["refunded"]))
    assert statuses == [
        ("authorized", 0, 0),
        ("captured", 40_00, 0),
        ("partially_refunded", 40_00, 15_00),
        ("refunded", 40_00, 40_00),
    ]


def test_voided_payment_is_voided_and_releases_the_hold() -> None:
    story = mixed_story()
    model = projected(story.ledger.envelopes)
    assert model.docs[str(story.voided.id)]["status"] == "voided"
    assert str(story.voided.id) not in model.docs[str(story.ada_eur.id)]["holds"]
    assert model.docs[str(story.pending.id)]["status"] == "authorized"
    assert model.docs[str(story.bob_eur.id)]["holds"] == {str(story.pending.id): 7_50}


def test_each_credit_and_debit_is_one_statement_line_with_the_balance_after_it() -> None:
    story = mixed_story()
    model = projected(story.ledger.envelopes)
    entries = sorted(
        (e for e in model.lines("account_entries") if e["account_id"] == str(story.ada_eur.id)),
        key=lambda e: e["version"],
    )
    movements = [
        e
        for e in story.ledger.envelopes
        if e["stream_id"] == str(story.ada_eur.id)
        and e["type"] in ("AccountCredited", "AccountDebited")
    ]
    assert [e["_id"] for e in entries] == [m["event_id"] for m in movements]
    running = 0
    for entry in entries:
        running += entry["amount"] if entry["kind"] == "credit" else -entry["amount"]
        assert entry["balance_after"] == running
        assert entry["currency"] == "EUR"
    assert running == story.ada_eur.balance
    assert [e["reference"] for e in entries][:2] == ["salary", "cash"]
    assert set(entries[0]) == {
        "_id",
        "account_id",
        "version",
        "kind",
        "amount",
        "currency",
        "reference",
        "balance_after",
        "recorded_at",
    }


def test_capture_and_refund_notify_both_payer_and_payee_accounts() -> None:
    story = mixed_story()
    model = projected(story.ledger.envelopes)
    lines = model.lines("notifications")
    captured = [n for n in lines if n["kind"] == "PaymentCaptured"]
    assert {n["account_id"] for n in captured} == {str(story.ada_eur.id), str(story.shop_eur.id)}
    assert all(n["payment_id"] == str(story.captured.id) for n in captured)
    assert all((n["amount"], n["currency"]) == (30_00, "EUR") for n in captured)
    refunds = [n for n in lines if n["kind"] == "PaymentRefunded"]
    assert len(refunds) == 4  # two refunds, two recipients each
    payer_line = next(n for n in captured if n["account_id"] == str(story.ada_eur.id))
    assert payer_line["message"] == "Payment of 30.00 EUR to Corner Shop captured"
    assert payer_line["user_id"] is None


def test_account_events_notify_their_account_and_user_events_their_user() -> None:
    story = mixed_story()
    model = projected(story.ledger.envelopes)
    lines = {n["_id"]: n for n in model.lines("notifications")}
    for envelope in story.ledger.envelopes:
        if envelope["stream_type"] == "Account":
            line = lines[f"{envelope['event_id']}:{envelope['stream_id']}"]
            assert (line["account_id"], line["user_id"]) == (envelope["stream_id"], None)
            assert line["kind"] == envelope["type"]
            assert line["position"] == envelope["position"]
            assert line["created_at"] == envelope["recorded_at"]
        elif envelope["type"] in ("UserProfileChanged", "UserDeactivated"):
            line = lines[f"{envelope['event_id']}:{envelope['stream_id']}"]
            assert (line["account_id"], line["user_id"]) == (None, envelope["stream_id"])
    silent = {"UserRegistered", "UserPersonalDataForgotten", "PaymentAuthorized", "PaymentVoided"}
    silent |= {"TransferCompleted"}
    assert not any(line["kind"] in silent for line in lines.values())
    credit = next(
        n for n in lines.values() if n["kind"] == "AccountCredited" and n["amount"] == 100_00
    )
    assert credit["message"] == "Credited 100.00 EUR (salary)"
    frozen = next(n for n in lines.values() if n["kind"] == "AccountFrozen")
    assert frozen["message"] == "Account frozen: suspicious login"


def test_profile_change_keeps_unchanged_fields_and_forgetting_erases_personal_data() -> None:
    story = mixed_story()
    model = projected(story.ledger.envelopes)
    ada = model.docs[str(story.ada.id)]
    assert (ada["email"], ada["full_name"], ada["status"]) == (
        "ada@example.com",
        "Ada King",
        "active",
    )
    bob = model.docs[str(story.bob.id)]
    assert (bob["email"], bob["full_name"], bob["status"], bob["personal_data_forgotten"]) == (
        None,
        None,
        "deactivated",
        True,
    )
    texts = [n["message"] for n in model.lines("notifications") if n["user_id"]]
    assert not any("@" in text or "Ada" in text for text in texts)


def test_replaying_every_event_again_changes_nothing() -> None:
    story = mixed_story()
    model = projected(story.ledger.envelopes)
    before = copy.deepcopy(model.snapshot())
    result = model.apply(story.ledger.envelopes)
    assert (result.applied, result.skipped, result.rejected) == (0, len(story.ledger.envelopes), [])
    assert not result.changes and not result.inserts
    assert model.snapshot() == before


def test_duplicates_inside_one_batch_are_skipped() -> None:
    story = mixed_story()
    doubled = [e for envelope in story.ledger.envelopes for e in (envelope, envelope)]
    model = projected(doubled)
    assert model.last is not None
    assert model.last.skipped == len(story.ledger.envelopes)
    assert model.snapshot() == projected(story.ledger.envelopes).snapshot()


def test_any_batching_and_any_redelivery_gives_the_same_read_model() -> None:
    story = mixed_story()
    reference = projected(story.ledger.envelopes).snapshot()
    rng = random.Random(3)
    for _ in range(20):
        envelopes = list(story.ledger.envelopes)
        # Redeliver a random earlier stretch, as a consumer restarting from old offsets would.
        cut = rng.randrange(1, len(envelopes))
        replay_from = rng.randrange(0, cut)
        stream = envelopes[:cut] + envelopes[replay_from:]
        model = MemoryReadModel(MONGO_PROJECTION)
        model.apply_in_batches(stream, iter(lambda: rng.randint(1, 9), None))
        assert model.snapshot() == reference


def test_an_event_after_a_missing_one_is_rejected_as_a_version_gap() -> None:
    story = mixed_story()
    envelopes = story.ledger.envelopes
    ada_events = [i for i, e in enumerate(envelopes) if e["stream_id"] == str(story.ada_eur.id)]
    missing = ada_events[2]
    model = projected(envelopes[:missing] + envelopes[missing + 1 :])
    assert model.last is not None
    rejected = {r.index for r in model.last.rejected}
    later = [i - 1 for i in ada_events if i > missing]
    assert rejected == set(later)
    assert all(isinstance(r.error, VersionGap) for r in model.last.rejected)
    assert model.docs[str(story.ada_eur.id)]["version"] == 2
    # Other streams are untouched by ada's gap.
    assert model.docs[str(story.bob_eur.id)]["version"] == story.bob_eur.version


def test_unknown_event_type_and_broken_data_reject_only_that_event() -> None:
    story = mixed_story()
    envelopes = copy.deepcopy(story.ledger.envelopes)
    unknown = {**envelopes[0], "event_id": "x", "stream_id": "s", "type": "UserSmiled"}
    broken_index = next(i for i, e in enumerate(envelopes) if e["type"] == "AccountCredited")
    broken_stream = envelopes[broken_index]["stream_id"]
    del envelopes[broken_index]["data"]["amount"]
    model = projected([unknown, *envelopes])
    assert model.last is not None
    by_index = {r.index: r.error for r in model.last.rejected}
    assert isinstance(by_index.pop(0), UnknownEventType)
    assert isinstance(by_index.pop(broken_index + 1), KeyError)
    # Later events of the broken stream follow it into the dead-letter topic (version gap) ...
    assert all(
        isinstance(error, VersionGap) and envelopes[i - 1]["stream_id"] == broken_stream
        for i, error in by_index.items()
    )
    # ... and every other stream is complete.
    for user in story.ledger.users.values():
        assert model.docs[str(user.id)]["version"] == user.version


def test_project_refuses_events_without_a_document_or_of_the_wrong_stream_type() -> None:
    story = mixed_story()
    credit = next(e for e in story.ledger.envelopes if e["type"] == "AccountCredited")
    with pytest.raises(ProjectionError):
        project(credit, None)
    with pytest.raises(ProjectionError):
        project({**credit, "stream_type": "User"}, {"id": "x", "version": 1})
    with pytest.raises(UnknownEventType):
        project({**credit, "type": "AccountTeleported"}, None)


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (2500, "EUR", "25.00 EUR"),
        (5, "USD", "0.05 USD"),
        (1500, "JPY", "1500 JPY"),
        (1234, "BHD", "1.234 BHD"),
        (10**15, "EUR", "10000000000000.00 EUR"),
    ],
)
def test_amounts_in_messages_are_exact_decimal_major_units(
    amount: int, currency: str, text: str
) -> None:
    assert format_amount(amount, currency) == text
