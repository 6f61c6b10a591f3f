"""The command bus on a real event store: decisions, atomic appends, idempotency, retries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from uuid import UUID, uuid4

import pytest

from commands.bus import CommandBus
from commands.context import ANONYMOUS, Principal
from commands.errors import EmailTaken, Forbidden, IdempotencyKeyReused, NotFound, VersionMismatch
from commands.messages import (
    AuthorizePayment,
    CapturePayment,
    ChangeProfile,
    DepositFunds,
    ForgetPersonalData,
    OpenAccount,
    RegisterUser,
    TransferFunds,
    WithdrawFunds,
)
from commands.session import Session
from domain.account import Account
from domain.errors import InsufficientFunds
from event_store.store import EventStore
from tests.commands.conftest import context

ADMIN = Principal(uuid4(), frozenset({"admin"}))


def customer(bus: CommandBus, email: str) -> Principal:
    result = bus.execute(RegisterUser(email=email, full_name="Ada"), context(ANONYMOUS))
    return Principal(result.id, frozenset({"customer"}))


def funded_account(bus: CommandBus, who: Principal, amount: int, currency: str = "EUR") -> UUID:
    assert who.user_id is not None
    account = bus.execute(OpenAccount(who.user_id, currency), context(who)).id
    if amount:
        bus.execute(DepositFunds(account, amount, "seed"), context(who))
    return account


def balance(store: EventStore, account_id: UUID) -> tuple[int, int]:
    account = Session(store).get(Account, account_id)
    return account.balance, account.available


def test_events_carry_correlation_causation_user_and_command(
    bus: CommandBus, event_store: EventStore
) -> None:
    ada = customer(bus, "ada@example.com")
    account = funded_account(bus, ada, 0)
    bus.execute(DepositFunds(account, 500, "salary"), context(ada, correlation_id="corr-1"))
    deposit = event_store.read_stream(account)[-1]
    assert deposit.type == "AccountCredited"
    assert deposit.data == {"amount": 500, "currency": "EUR", "reference": "salary"}
    assert deposit.metadata["correlation_id"] == "corr-1"
    assert deposit.metadata["user_id"] == str(ada.user_id)
    assert deposit.metadata["command"] == "DepositFunds"
    assert deposit.metadata["causation_id"]


def test_transfer_appends_both_accounts_and_the_transfer_together(
    bus: CommandBus, event_store: EventStore
) -> None:
    ada, bob = customer(bus, "ada@example.com"), customer(bus, "bob@example.com")
    source, target = funded_account(bus, ada, 1000), funded_account(bus, bob, 0)
    result = bus.execute(TransferFunds(source, target, 400, "rent"), context(ada))
    assert result.created and result.events == [
        "AccountDebited",
        "AccountCredited",
        "TransferCompleted",
    ]
    assert balance(event_store, source) == (600, 600)
    assert balance(event_store, target) == (400, 400)
    positions = [
        e.position
        for stream in (source, target, result.id)
        for e in event_store.read_stream(stream)
        if e.metadata.get("command") == "TransferFunds"
    ]
    assert len(positions) == 3
    assert len({e.tx_id for s in (source, target) for e in event_store.read_stream(s)[-1:]}) == 1


def test_payment_capture_moves_the_held_money(bus: CommandBus, event_store: EventStore) -> None:
    ada, shop = customer(bus, "ada@example.com"), customer(bus, "shop@example.com")
    payer, payee = funded_account(bus, ada, 1000), funded_account(bus, shop, 0)
    payment = bus.execute(AuthorizePayment(payer, payee, 300, "book", "Shop"), context(ada)).id
    assert balance(event_store, payer) == (1000, 700)
    bus.execute(CapturePayment(payment), context(shop))
    assert balance(event_store, payer) == (700, 700)
    assert balance(event_store, payee) == (300, 300)


def test_a_result_names_every_stream_it_appended_to_also_when_replayed(bus: CommandBus) -> None:
    ada, shop = customer(bus, "ada@example.com"), customer(bus, "shop@example.com")
    payer, payee = funded_account(bus, ada, 1000), funded_account(bus, shop, 0)
    payment = bus.execute(AuthorizePayment(payer, payee, 300, "book", "Shop"), context(ada)).id
    ctx = context(shop, idempotency_key="capture-1", request_fingerprint="f")
    captured = bus.execute(CapturePayment(payment), ctx)
    # payer: opened, credited, held, released and debited; payee: opened and credited.
    assert captured.streams == {payment: 2, payer: 5, payee: 2}
    assert bus.execute(CapturePayment(payment), ctx).streams == captured.streams


def test_email_is_unique_across_users_and_freed_by_a_change(bus: CommandBus) -> None:
    ada = customer(bus, "ada@example.com")
    with pytest.raises(EmailTaken):
        customer(bus, "ADA@example.com ")
    assert ada.user_id is not None
    bus.execute(ChangeProfile(ada.user_id, email="ada@new.example"), context(ada))
    customer(bus, "ada@example.com")  # the old address is free again
    with pytest.raises(EmailTaken):
        customer(bus, "ada@new.example")


def test_forgotten_user_frees_their_email(bus: CommandBus) -> None:
    ada = customer(bus, "ada@example.com")
    assert ada.user_id is not None
    bus.execute(ForgetPersonalData(ada.user_id), context(ada))
    customer(bus, "ada@example.com")


def test_customer_cannot_touch_another_users_account(bus: CommandBus) -> None:
    ada, eve = customer(bus, "ada@example.com"), customer(bus, "eve@example.com")
    account = funded_account(bus, ada, 100)
    with pytest.raises(Forbidden):
        bus.execute(WithdrawFunds(account, 100, "theft"), context(eve))


def test_unknown_or_wrongly_typed_ids_are_not_found(bus: CommandBus) -> None:
    ada = customer(bus, "ada@example.com")
    assert ada.user_id is not None
    with pytest.raises(NotFound):
        bus.execute(DepositFunds(uuid4(), 1, None), context(ADMIN))
    with pytest.raises(NotFound):
        bus.execute(DepositFunds(ada.user_id, 1, None), context(ADMIN))  # a user, not an account


def test_if_match_pins_the_version(bus: CommandBus) -> None:
    ada = customer(bus, "ada@example.com")
    account = funded_account(bus, ada, 100)  # version 2
    with pytest.raises(VersionMismatch):
        bus.execute(DepositFunds(account, 1, None), context(ada, expected_version=1))
    result = bus.execute(DepositFunds(account, 1, None), context(ada, expected_version=2))
    assert result.version == 3


def test_idempotent_repeat_returns_the_first_result_and_appends_nothing(
    bus: CommandBus, event_store: EventStore
) -> None:
    ada = customer(bus, "ada@example.com")
    account = funded_account(bus, ada, 0)
    ctx = context(ada, idempotency_key="k1", request_fingerprint="f1")
    first = bus.execute(DepositFunds(account, 100, None), ctx)
    again = bus.execute(DepositFunds(account, 100, None), ctx)
    assert (again.id, again.version, again.events) == (first.id, first.version, first.events)
    assert again.replayed and not first.replayed
    assert balance(event_store, account) == (100, 100)
    with pytest.raises(IdempotencyKeyReused):
        bus.execute(
            DepositFunds(account, 999, None),
            context(ada, idempotency_key="k1", request_fingerprint="other"),
        )


def test_concurrent_repeats_of_one_key_have_exactly_one_effect(
    bus: CommandBus, event_store: EventStore
) -> None:
    ada = customer(bus, "ada@example.com")
    account = funded_account(bus, ada, 0)
    ctx = context(ada, idempotency_key="once", request_fingerprint="f")
    with ThreadPoolExecutor(10) as pool:
        results = list(
            pool.map(lambda _: bus.execute(DepositFunds(account, 7, None), ctx), range(30))
        )
    assert {(r.id, r.version) for r in results} == {(account, 2)}
    assert balance(event_store, account) == (7, 7)


def test_racing_withdrawals_never_overdraw(bus: CommandBus, event_store: EventStore) -> None:
    ada = customer(bus, "ada@example.com")
    account = funded_account(bus, ada, 1000)

    def withdraw(_: int) -> str:
        try:
            bus.execute(WithdrawFunds(account, 70, None), context(ada))
        except InsufficientFunds:
            return "refused"
        return "ok"

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(withdraw, range(30)))
    assert outcomes.count("ok") == 1000 // 70
    assert balance(event_store, account) == (1000 % 70, 1000 % 70)


def test_a_cached_aggregate_catches_up_with_writes_from_another_process(
    event_store: EventStore,
) -> None:
    here, there = CommandBus(event_store), CommandBus(event_store)  # separate caches
    ada = customer(here, "ada@example.com")
    account = funded_account(here, ada, 100)  # cached here at version 2
    there.execute(DepositFunds(account, 50, None), context(ada))
    result = here.execute(WithdrawFunds(account, 150, None), context(ada))
    assert result.version == 4
    assert balance(event_store, account) == (0, 0)


def test_a_refused_command_leaves_no_trace_in_the_cache(
    bus: CommandBus, event_store: EventStore
) -> None:
    ada, bob = customer(bus, "ada@example.com"), customer(bus, "bob@example.com")
    source, target = funded_account(bus, ada, 100), funded_account(bus, bob, 0)
    with pytest.raises(InsufficientFunds):
        bus.execute(TransferFunds(source, target, 500, None), context(ada))
    bus.execute(TransferFunds(source, target, 100, None), context(ada))
    assert balance(event_store, source) == (0, 0)
    assert balance(event_store, target) == (100, 100)


def test_after_append_is_told_of_each_committed_append_and_of_nothing_else(
    event_store: EventStore,
) -> None:
    appended: list[int] = []

    def count_committed_events() -> None:  # on a connection of its own: sees commits only
        with event_store.connection() as conn:
            row = conn.execute("select count(*) from events").fetchone()
        assert row is not None
        appended.append(int(row[0]))

    bus = CommandBus(event_store, after_append=count_committed_events)
    ada = customer(bus, "ada@example.com")
    account = funded_account(bus, ada, 100)
    assert appended == [1, 2, 3]  # sign-up, opening, deposit: each told after its commit

    keyed = context(ada, idempotency_key="k-1", request_fingerprint="f")
    bus.execute(DepositFunds(account, 5, "once"), keyed)
    bus.execute(DepositFunds(account, 5, "once"), keyed)  # replayed: nothing appended
    with pytest.raises(InsufficientFunds):
        bus.execute(WithdrawFunds(account, 10_000, "too much"), context(ada))
    assert appended == [1, 2, 3, 4]
