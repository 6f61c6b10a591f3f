"""Business metrics of the write API, beside the technical ones: money moved per currency,
payments by outcome, sign-ups and logins by outcome (``ledgerline_business_*``).

Where they are counted, and why there: the command bus calls ``observe_committed`` once a
command's events are committed, with those events. That is the one place each fact is known
exactly once:
- each command runs on one write API instance, so the instances' counters add up (Prometheus
  sums them) without counting anything twice;
- a repeat answered from its idempotency record (a client's retry, or the gateway resending a
  keyed command to another instance) appends nothing and is not observed; a command retried
  by the bus after a concurrency conflict is observed once, after the append that succeeded;
- the projectors see every event at least once (redelivery, replays, rebuilds from the store),
  so counting there would count some facts twice.
What is lost: a process that dies between the commit and the increment misses that command, and
a restart starts the counters from zero (``rate`` and ``increase`` read through resets).

Money is counted in integer minor units (never a float in our code). Prometheus keeps every
sample as a 64-bit float, which holds integers exactly up to 2**53 (about 9 * 10**15), i.e. nine
times the largest single amount (10**15): a counter would have to accumulate more than that
since its process started, per currency, before it rounded. Labels are bounded sets (ISO 4217
codes, outcomes) and carry no personal data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prometheus_client import Counter

from domain.account import Account
from domain.payment import Payment
from domain.user import User

MONEY_MOVED = Counter(
    "ledgerline_business_money_moved_minor_units",
    "Money moved by committed commands, in minor units, by currency: what a command credited "
    "(deposits, transfers, captures, refunds), or what it debited when it credited nothing "
    "(withdrawals).",
    ["currency"],
)
PAYMENTS = Counter(
    "ledgerline_business_payments",
    "Payment events committed, by outcome (authorized, captured, voided, refunded).",
    ["outcome"],
)
SIGNUPS = Counter("ledgerline_business_signups", "Users who signed up.")
LOGINS = Counter(
    "ledgerline_business_logins",
    "Password logins by outcome: succeeded (the password was right; a second factor may "
    "follow), failed (unknown address or wrong password), locked (refused by the throttle "
    "before any check), mfa_failed (a wrong second factor after a right password).",
    ["outcome"],
)

_PAYMENT_OUTCOMES: dict[type[Any], str] = {
    Payment.Authorized: "authorized",
    Payment.Captured: "captured",
    Payment.Voided: "voided",
    Payment.Refunded: "refunded",
}


def observe_committed(command: object, events: Sequence[object]) -> None:
    """Count the business facts among one committed command's events."""
    credited: dict[str, int] = {}
    debited: dict[str, int] = {}
    for event in events:
        if isinstance(event, Account.Credited):
            credited[event.currency] = credited.get(event.currency, 0) + event.amount
        elif isinstance(event, Account.Debited):
            debited[event.currency] = debited.get(event.currency, 0) + event.amount
        elif isinstance(event, User.Registered):
            SIGNUPS.inc()
        elif (outcome := _PAYMENT_OUTCOMES.get(type(event))) is not None:
            PAYMENTS.labels(outcome=outcome).inc()
    # A transfer, capture or refund debits one account and credits another: count it once.
    for currency, amount in (credited or debited).items():
        MONEY_MOVED.labels(currency=currency).inc(amount)


def observe_login(outcome: str) -> None:
    """Count one login attempt: "succeeded", "failed", "locked" or "mfa_failed"."""
    LOGINS.labels(outcome=outcome).inc()
