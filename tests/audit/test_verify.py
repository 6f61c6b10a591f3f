"""`ledgerline audit verify`: recomputes every chain and names each stream version whose content,
order or deletion breaks it. Rows are altered the only way the database allows: as the superuser,
with the append-only trigger disabled."""

from __future__ import annotations

import re
import uuid
from uuid import UUID

import pytest

from event_store.records import NewEvent
from event_store.store import EventStore
from tests.audit.conftest import run_cli, tamper


def write_streams(store: EventStore, count: int = 3, length: int = 5) -> list[UUID]:
    streams = [uuid.uuid4() for _ in range(count)]
    for stream in streams:
        store.append(
            [
                NewEvent(stream, "Account", v, "AccountCredited", {"amount": v, "currency": "EUR"})
                for v in range(1, length + 1)
            ]
        )
    return streams


def broken(output: str) -> list[tuple[str, int]]:
    """(stream id, version) of every BROKEN line, in order."""
    return [
        (stream, int(version))
        for stream, version in re.findall(r"BROKEN stream (\S+) \(\w+\) version (\d+)", output)
    ]


@pytest.fixture
def streams(event_store: EventStore) -> list[UUID]:
    return write_streams(event_store)


def test_an_untouched_log_verifies_and_exits_zero(database_url: str, streams: list[UUID]) -> None:
    result = run_cli(database_url, "verify")

    assert result.exit_code == 0, result.output
    assert "15 events, 3 streams verified" in result.output
    assert re.search(r"\([\d,]+ events/s\)", result.output)
    assert "BROKEN" not in result.output


def test_an_edited_event_is_named_by_stream_and_version(
    database_url: str, streams: list[UUID]
) -> None:
    victim = streams[1]
    tamper(
        database_url,
        "UPDATE events SET data = jsonb_set(data, '{amount}', '1000000')"
        " WHERE stream_id = %s AND version = 3",
        victim,
    )

    result = run_cli(database_url, "verify")

    assert result.exit_code == 1
    assert broken(result.output) == [(str(victim), 3)]
    assert "hash mismatch" in result.output
    assert "1 chain breaks in 1 streams" in result.output


def test_edited_metadata_counts_as_an_edit_too(database_url: str, streams: list[UUID]) -> None:
    tamper(
        database_url,
        'UPDATE events SET metadata = \'{"user_id": "someone else"}\''
        " WHERE stream_id = %s AND version = 1",
        streams[0],
    )

    assert broken(run_cli(database_url, "verify").output) == [(str(streams[0]), 1)]


def test_a_deleted_event_shows_as_a_gap_and_a_break_at_the_next_version(
    database_url: str, streams: list[UUID]
) -> None:
    victim = streams[0]
    tamper(database_url, "DELETE FROM events WHERE stream_id = %s AND version = 2", victim)

    result = run_cli(database_url, "verify")

    assert result.exit_code == 1
    assert broken(result.output) == [(str(victim), 3)]
    assert "version 2 missing" in result.output
    assert "hash mismatch" in result.output


def test_a_deleted_first_event_is_named(database_url: str, streams: list[UUID]) -> None:
    tamper(database_url, "DELETE FROM events WHERE stream_id = %s AND version = 1", streams[2])

    result = run_cli(database_url, "verify")

    assert broken(result.output) == [(str(streams[2]), 2)]
    assert "version 1 missing" in result.output


def test_two_swapped_events_are_named(database_url: str, streams: list[UUID]) -> None:
    victim = streams[2]
    # Through a free version number: (stream_id, version) stays unique at every step.
    for old, new in ((2, 99), (3, 2), (99, 3)):
        tamper(
            database_url,
            "UPDATE events SET version = %s WHERE stream_id = %s AND version = %s",
            new,
            victim,
            old,
        )

    result = run_cli(database_url, "verify")

    assert result.exit_code == 1
    # Both moved events fail; so does the link from the new version 3 to version 4.
    assert broken(result.output) == [(str(victim), 2), (str(victim), 3), (str(victim), 4)]


def test_a_removed_hash_is_named(database_url: str, streams: list[UUID]) -> None:
    tamper(
        database_url,
        "UPDATE events SET hash = NULL WHERE stream_id = %s AND version = 5",
        streams[1],
    )

    result = run_cli(database_url, "verify")

    assert broken(result.output) == [(str(streams[1]), 5)]
    assert "hash missing" in result.output


def test_verifying_one_stream_checks_only_that_stream(
    database_url: str, streams: list[UUID]
) -> None:
    tamper(database_url, "DELETE FROM events WHERE stream_id = %s AND version = 4", streams[0])

    clean = run_cli(database_url, "verify", "--stream", str(streams[1]))
    dirty = run_cli(database_url, "verify", "--stream", str(streams[0]))

    assert clean.exit_code == 0
    assert "5 events, 1 streams verified" in clean.output
    assert dirty.exit_code == 1
    assert broken(dirty.output) == [(str(streams[0]), 5)]


def test_verify_rejects_a_malformed_stream_id_in_one_line(database_url: str) -> None:
    result = run_cli(database_url, "verify", "--stream", "not-a-uuid")

    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "not a stream id" in result.output
    assert "Traceback" not in result.output


def test_verify_reports_an_unreachable_database_in_one_line() -> None:
    result = run_cli("postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=2", "verify")

    assert result.exit_code == 1
    assert result.output.startswith("error: cannot reach PostgreSQL")
    assert result.output.strip().count("\n") == 0
