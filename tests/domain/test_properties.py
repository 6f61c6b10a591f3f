"""Property: no sequence of commands overdraws an account or loses track of money.

Random deposits, withdrawals, transfers, payment authorizations, captures, voids, refunds,
freezes and unfreezes run across a few accounts in one or two currencies; commands the domain
refuses are skipped (and must have changed nothing).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.account import Account
from domain.errors import DomainError
from domain.payment import Payment
from domain.services import (
    authorize_payment,
    capture_payment,
    refund_payment,
    transfer_funds,
    void_payment,
)
from tests.domain.factories import replay


@dataclass
class World:
    accounts: list[Account]
    payments: list[Payment] = field(default_factory=list)
    # Money that entered (+) or left (-) the system through deposits and withdrawals.
    external: Counter[str] = field(default_factory=Counter)

    def account(self, index: int) -> Account:
        return self.accounts[index % len(self.accounts)]

    def other_account(self, index: int, offset: int) -> Account:
        # Never the account at ``index``: same-account refusals have their own unit tests.
        return self.account(index + 1 + offset % (len(self.accounts) - 1))

    def payment(self, index: int) -> Payment | None:
        # Counted from the most recent, so later commands tend to find a live payment.
        return self.payments[-1 - index % len(self.payments)] if self.payments else None

    def parties(self, payment: Payment) -> tuple[Account, Account]:
        by_id = {account.id: account for account in self.accounts}
        return by_id[payment.payer_account_id], by_id[payment.payee_account_id]

    def versions(self) -> list[int]:
        return [aggregate.version for aggregate in [*self.accounts, *self.payments]]


@dataclass(frozen=True)
class Deposit:
    account: int
    amount: int

    def run(self, world: World) -> None:
        account = world.account(self.account)
        account.credit(self.amount, account.currency, "deposit")
        world.external[account.currency] += self.amount


@dataclass(frozen=True)
class Withdraw:
    account: int
    amount: int

    def run(self, world: World) -> None:
        account = world.account(self.account)
        account.debit(self.amount, account.currency, "withdrawal")
        world.external[account.currency] -= self.amount


@dataclass(frozen=True)
class Transfer:
    source: int
    target_offset: int
    amount: int

    def run(self, world: World) -> None:
        source = world.account(self.source)
        target = world.other_account(self.source, self.target_offset)
        transfer_funds(source, target, self.amount, None)


@dataclass(frozen=True)
class Authorize:
    payer: int
    payee_offset: int
    amount: int

    def run(self, world: World) -> None:
        payer = world.account(self.payer)
        payee = world.other_account(self.payer, self.payee_offset)
        world.payments.append(authorize_payment(payer, payee, self.amount, "goods", "shop"))


@dataclass(frozen=True)
class Capture:
    payment: int

    def run(self, world: World) -> None:
        if payment := world.payment(self.payment):
            capture_payment(payment, *world.parties(payment))


@dataclass(frozen=True)
class Void:
    payment: int

    def run(self, world: World) -> None:
        if payment := world.payment(self.payment):
            void_payment(payment, world.parties(payment)[0])


@dataclass(frozen=True)
class Refund:
    payment: int
    amount: int

    def run(self, world: World) -> None:
        if payment := world.payment(self.payment):
            refund_payment(payment, *world.parties(payment), self.amount)


@dataclass(frozen=True)
class Freeze:
    account: int

    def run(self, world: World) -> None:
        world.account(self.account).freeze(None)


@dataclass(frozen=True)
class Unfreeze:
    account: int

    def run(self, world: World) -> None:
        world.account(self.account).unfreeze(None)


Command = Deposit | Withdraw | Transfer | Authorize | Capture | Void | Refund | Freeze | Unfreeze

indexes = st.integers(min_value=0, max_value=7)
recent = st.integers(min_value=0, max_value=2)
# Mostly valid amounts, now and then 0 or -1, which the domain must refuse.
amounts = st.integers(min_value=-1, max_value=1_000)


def weighted(*choices: tuple[int, st.SearchStrategy[Command]]) -> st.SearchStrategy[Command]:
    """Pick a strategy with the given relative weights (st.one_of picks about evenly)."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(min_value=0, max_value=len(table) - 1).flatmap(lambda i: table[i])


# Payment commands need a suitable state to get past the checks, so they come more often;
# freezing comes rarely, since a frozen account refuses most of the interesting commands.
commands = weighted(
    (3, st.builds(Deposit, indexes, amounts)),
    (3, st.builds(Withdraw, indexes, amounts)),
    (4, st.builds(Transfer, indexes, indexes, amounts)),
    (4, st.builds(Authorize, indexes, indexes, amounts)),
    (4, st.builds(Capture, recent)),
    (2, st.builds(Void, recent)),
    (4, st.builds(Refund, recent, amounts)),
    (1, st.builds(Freeze, indexes)),
    (2, st.builds(Unfreeze, indexes)),
)


@settings(max_examples=200, deadline=None)
@given(
    currencies=st.lists(st.sampled_from(["EUR", "USD"]), min_size=2, max_size=4),
    script=st.lists(commands, min_size=10, max_size=60),
)
def test_no_command_sequence_overdraws_an_account_or_loses_track_of_money(
    currencies: list[str], script: list[Command]
) -> None:
    world = World(accounts=[Account(owner_id=uuid4(), currency=c) for c in currencies])
    for index in range(len(world.accounts)):
        Deposit(index, 1_000).run(world)

    for command in script:
        before = world.versions()
        try:
            command.run(world)
        except DomainError:
            assert world.versions() == before, f"{command} was refused but changed state"
        for account in world.accounts:
            assert account.available >= 0
            assert 0 <= sum(account.holds.values()) <= account.balance

    balances: Counter[str] = Counter()
    for account in world.accounts:
        events = account.collect_events()
        credits = sum(e.amount for e in events if isinstance(e, Account.Credited))
        debits = sum(e.amount for e in events if isinstance(e, Account.Debited))
        held = sum(e.amount for e in events if isinstance(e, Account.FundsHeld))
        released = sum(e.amount for e in events if isinstance(e, Account.HoldReleased))
        assert account.balance == credits - debits
        assert sum(account.holds.values()) == held - released
        assert replay(events) == account
        balances[account.currency] += account.balance

    # Transfers, captures and refunds only move money between accounts of one currency.
    for currency in set(currencies):
        assert balances[currency] == world.external[currency]
