"""The after-the-storm checks of fault tests and ``bench/soak.py``: once the pipeline has drained,
nothing was lost, nothing was applied twice, and the money adds up.

- ``wait_drained``: the relay and both projectors are at the head of the event store
  (``projections.status``).
- ``check_all`` runs, on a drained system:
  - ``ledgerline projections verify all`` (the operator's own command, as a subprocess): zero
    differences between each read model and a fresh fold of the event store;
  - every event in the store is on the Kafka topic (compared by event id), and each stream's
    events first appear on it in version order;
  - no statement line (account, version) or notification (event, recipient) appears twice;
  - no idempotency key took effect twice (two events of one type on one stream for one key);
  - nothing was dead-lettered (every event we write must project);
  - the money invariant: per currency, the sum of all balances equals deposits minus
    withdrawals; every balance and available balance is >= 0; every account's balance equals
    the sum of its statement lines, and equals what its events add up to in the store.

Each check returns the problems it found as one-line strings; an empty report is a pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from pymongo import MongoClient

from infra.settings import Settings
from projections.dead_letter import dead_letter_topic
from projections.envelope import decode_envelope
from projections.status import StatusSources, StatusUnavailable, pipeline_status
from tests.polling import wait_for


@dataclass
class CheckReport:
    problems: dict[str, list[str]] = field(default_factory=dict)
    figures: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(self.problems.values())

    def describe(self) -> str:
        lines = [f"{name}: {value}" for name, value in self.figures.items()]
        for name, found in self.problems.items():
            lines.append(f"{name}: {'ok' if not found else f'{len(found)} problems'}")
            lines += [f"  {problem}" for problem in found[:20]]
        return "\n".join(lines)


def lag(settings: Settings) -> dict[str, tuple[int, float | None]]:
    """Events behind the head and age of the oldest unprocessed one, per consumer."""
    status = pipeline_status(StatusSources.from_settings(settings))
    return {c.name: (c.behind, c.oldest_unprocessed_age_s) for c in status.consumers}


def wait_drained(settings: Settings, timeout_s: float = 120.0) -> None:
    """Until the relay and every projector are at the head of the store (raises TimeoutError
    with the last status otherwise)."""
    last: Any = None

    def drained() -> bool:
        nonlocal last
        try:
            last = lag(settings)
        except StatusUnavailable as error:  # a server still coming back
            last = str(error)
            return False
        return all(behind == 0 for behind, _ in last.values())

    try:
        wait_for(drained, timeout_s, 0.2, what="the pipeline to drain")
    except AssertionError as error:
        raise TimeoutError(
            f"the pipeline did not drain within {timeout_s:.0f} s: {last}"
        ) from error


def check_all(settings: Settings) -> CheckReport:
    """Every check on the drained system ``settings`` describes."""
    report = CheckReport()
    report.problems["verify"] = verify_read_models(settings)
    published, order_problems = published_events(settings)
    mongo: MongoClient[dict[str, Any]] = MongoClient(
        settings.mongo_url, serverSelectionTimeoutMS=10_000
    )
    with mongo, psycopg.connect(settings.database_url) as conn:
        stored = {str(row[0]) for row in conn.execute("SELECT event_id FROM events")}
        report.figures["events in the store"] = len(stored)
        report.figures["records on the topic"] = sum(published.values())
        report.problems["published"] = [
            f"event {event_id} is not on the topic"
            for event_id in sorted(stored - published.keys())
        ] + order_problems
        database = mongo[settings.mongo_database]
        report.problems["duplicate lines"] = duplicate_lines(database)
        report.problems["money"] = money_invariant(conn, database)
        report.problems["idempotency"] = doubled_commands(conn)
    report.problems["dead letters"] = dead_letters(settings)
    return report


def verify_read_models(settings: Settings) -> list[str]:
    completed = subprocess.run(
        [sys.executable, "-m", "infra.cli", "projections", "verify", "all"],
        env=os.environ | settings.process_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if completed.returncode == 0:
        return []
    output = (completed.stdout + completed.stderr).strip().splitlines()
    return [f"projections verify exited {completed.returncode}", *output[-30:]]


def topic_records(settings: Settings, topic: str) -> Iterator[ConsumerRecord]:
    """Every record of ``topic`` from the beginning to its current end (none if it does not
    exist), partition by partition in offset order."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False
    )
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])
        ]
        if not partitions:
            return
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        deadline = time.monotonic() + 120
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {topic} took over 120 s")
            for records in consumer.poll(timeout_ms=1000, max_records=5000).values():
                yield from records
    finally:
        consumer.close()


def published_events(settings: Settings) -> tuple[Counter[str], list[str]]:
    """Records per event id on the whole topic, and streams whose events first appear out of
    version order (republished records after a relay crash are repeats, not reorders)."""
    counts: Counter[str] = Counter()
    last_version: dict[str, int] = {}
    problems: list[str] = []
    for record in topic_records(settings, settings.kafka_topic):
        envelope = decode_envelope(record.value)
        event_id, stream = str(envelope["event_id"]), str(envelope["stream_id"])
        if event_id not in counts:
            version = int(envelope["version"])
            if version <= last_version.get(stream, -1):
                problems.append(f"stream {stream}: version {version} after a later one")
            last_version[stream] = version
        counts[event_id] += 1
    return counts, problems


def dead_letters(settings: Settings) -> list[str]:
    """Every record a projector gave up on (none is expected from our own events)."""
    found = []
    for record in topic_records(settings, dead_letter_topic(settings.kafka_topic)):
        headers = {key: value.decode(errors="replace") for key, value in record.headers or []}
        found.append(
            f"{headers.get('consumer_group')} dead-lettered {headers.get('source_topic')}:"
            f"{headers.get('source_partition')}@{headers.get('source_offset')}: "
            f"{headers.get('error')}"
        )
    return found


def duplicate_lines(database: Any) -> list[str]:
    problems = []
    lines = Counter(
        (line["account_id"], line["version"])
        for line in database["account_entries"].find({}, {"account_id": 1, "version": 1})
    )
    problems += [f"statement line {key} appears {n} times" for key, n in lines.items() if n > 1]
    notes = Counter(
        (note.get("position"), note.get("account_id") or note.get("user_id"))
        for note in database["notifications"].find(
            {}, {"position": 1, "account_id": 1, "user_id": 1}
        )
    )
    problems += [f"notification {key} appears {n} times" for key, n in notes.items() if n > 1]
    return problems


_MOVEMENTS = """
SELECT stream_id::text, type, (data->>'amount')::bigint, data->>'currency', metadata->>'command'
FROM events
WHERE type IN ('AccountCredited', 'AccountDebited')
"""


def money_invariant(conn: psycopg.Connection[Any], database: Any) -> list[str]:
    problems = []
    injected: dict[str, int] = defaultdict(int)  # currency -> deposits - withdrawals
    from_events: dict[str, int] = defaultdict(int)  # account -> credits - debits
    for account, kind, amount, currency, command in conn.execute(_MOVEMENTS):
        sign = 1 if kind == "AccountCredited" else -1
        from_events[account] += sign * amount
        if command in ("DepositFunds", "WithdrawFunds"):
            injected[currency] += sign * amount
    lines: dict[str, int] = defaultdict(int)
    for line in database["account_entries"].find({}, {"account_id": 1, "kind": 1, "amount": 1}):
        lines[line["account_id"]] += line["amount"] if line["kind"] == "credit" else -line["amount"]
    balances: dict[str, int] = defaultdict(int)
    for account in database["accounts"].find({}):
        account_id, balance = account["_id"], account["balance"]
        balances[account["currency"]] += balance
        if balance < 0 or account["available"] < 0:
            problems.append(
                f"account {account_id}: balance {balance}, available {account['available']}"
            )
        if balance != lines[account_id]:
            problems.append(
                f"account {account_id}: balance {balance} but its lines add up to "
                f"{lines[account_id]}"
            )
        if balance != from_events.get(account_id, 0):
            problems.append(
                f"account {account_id}: balance {balance} but its events add up to "
                f"{from_events.get(account_id, 0)}"
            )
    for currency in sorted(injected.keys() | balances.keys()):
        if balances[currency] != injected[currency]:
            problems.append(
                f"{currency}: balances add up to {balances[currency]}, deposits - withdrawals "
                f"to {injected[currency]}"
            )
    return problems


_DOUBLED = """
SELECT metadata->>'idempotency_key', stream_id::text, type, count(*)
FROM events
WHERE metadata->>'idempotency_key' IS NOT NULL
GROUP BY 1, 2, 3
HAVING count(*) > 1
"""


def doubled_commands(conn: psycopg.Connection[Any]) -> list[str]:
    return [
        f"idempotency key {key}: {n} {kind} events on stream {stream}"
        for key, stream, kind, n in conn.execute(_DOUBLED)
    ]


def wait_webhooks_settled(settings: Settings, timeout_s: float = 180.0) -> None:
    """Until no webhook delivery is pending (each delivered or failed for good)."""
    pending = None

    def settled() -> bool:
        nonlocal pending
        with psycopg.connect(settings.database_url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"
            ).fetchone()
        pending = row[0] if row else None
        return pending == 0

    try:
        wait_for(settled, timeout_s, 0.5, what="the webhook deliveries to settle")
    except AssertionError as error:
        message = f"{pending} webhook deliveries still pending after {timeout_s:.0f} s"
        raise TimeoutError(message) from error


def webhook_problems(
    settings: Settings, received_ids: Collection[str], figures: dict[str, int]
) -> list[str]:
    """Every credit and debit of a holder's account (each holder has one endpoint for them,
    registered before its accounts existed) was delivered at least once: as many distinct
    webhook-ids received as such events in the store, and as many deliveries recorded."""
    with psycopg.connect(settings.database_url) as conn:
        due_row = conn.execute(
            "SELECT count(*) FROM events WHERE type IN ('AccountCredited', 'AccountDebited')"
        ).fetchone()
        rows: dict[str, int] = dict(
            conn.execute("SELECT status, count(*) FROM webhook_deliveries GROUP BY status")
        )
    due = due_row[0] if due_row else 0
    distinct = len(set(received_ids))
    figures["webhooks due"] = due
    figures["webhook-ids received"] = distinct
    figures["webhook requests answered 2xx"] = len(received_ids)
    problems = []
    if distinct != due:
        problems.append(f"{distinct} distinct webhook-ids received, {due} deliveries due")
    if sum(rows.values()) != due or rows.get("delivered", 0) != due:
        problems.append(f"delivery rows by status {rows}, {due} due")
    return problems
