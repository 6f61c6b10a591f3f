"""`ledgerline audit replay`: a stream's history as a table (or JSON) and the state it yields;
bad input ends in one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import uuid
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from tests.audit.conftest import Actor, Ledger, run_cli


@pytest.fixture
def wallet(ledger: Ledger) -> tuple[Actor, UUID]:
    owner = ledger.sign_up()
    account = ledger.open_account(owner)
    ledger.deposit(owner, account, 2500, **{"X-Correlation-ID": "corr-[bold]-1"})
    ledger.deposit(owner, account, 500)
    return owner, account


def test_replay_prints_the_history_as_a_table_and_the_final_state(
    audit_database_url: str, wallet: tuple[Actor, UUID]
) -> None:
    owner, account = wallet

    result = run_cli(audit_database_url, "replay", str(account))

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    rows = [line for line in lines if "AccountCredited" in line or "AccountOpened" in line]
    assert len(rows) == 3
    assert "DepositFunds" in rows[1] and str(owner.user_id) in rows[1]
    assert "corr-[bold]-1" in rows[1]  # client-supplied text is shown, not read as markup
    assert "state at version 3:" in result.output
    assert '"balance": 3000' in result.output


def test_replay_json_is_the_same_document_the_api_serves(
    audit_database_url: str, wallet: tuple[Actor, UUID], ledger: Ledger, reader: TestClient
) -> None:
    _, account = wallet

    result = run_cli(audit_database_url, "replay", str(account), "--json")
    served = reader.get(
        f"/v1/audit/streams/{account}", headers=ledger.actor("auditor").headers
    ).json()

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == served


def test_replay_cuts_at_a_version_or_a_time(
    audit_database_url: str, wallet: tuple[Actor, UUID]
) -> None:
    _, account = wallet
    full = json.loads(run_cli(audit_database_url, "replay", str(account), "--json").output)
    second_at = full["events"][1]["recorded_at"]

    by_version = run_cli(audit_database_url, "replay", str(account), "--version", "2", "--json")
    by_time = run_cli(audit_database_url, "replay", str(account), "--at", second_at, "--json")

    assert json.loads(by_version.output)["state"]["balance"] == 2500
    assert json.loads(by_time.output) == json.loads(by_version.output)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["replay", "not-a-uuid"], "not a stream id"),
        (["replay", "{stream}", "--at", "2026-11-29T10:00:00Z", "--version", "1"], "at most one"),
        (["replay", "{stream}", "--at", "next tuesday"], "not an RFC 3339 time"),
        (["replay", "{stream}", "--at", "2026-11-29T10:00:00"], "no UTC offset"),
    ],
)
def test_bad_input_is_one_line_and_a_usage_exit_status(
    audit_database_url: str, wallet: tuple[Actor, UUID], args: list[str], message: str
) -> None:
    _, account = wallet

    result = run_cli(audit_database_url, *(a.format(stream=account) for a in args))

    assert result.exit_code == 2
    assert result.output.startswith("error: ") and message in result.output
    assert result.output.strip().count("\n") == 0
    assert "Traceback" not in result.output


def test_unknown_streams_and_points_before_a_stream_existed_are_errors(
    audit_database_url: str, wallet: tuple[Actor, UUID]
) -> None:
    _, account = wallet

    unknown = run_cli(audit_database_url, "replay", str(uuid.uuid4()))
    too_early = run_cli(audit_database_url, "replay", str(account), "--at", "2000-01-01T00:00Z")

    assert unknown.exit_code == 1 and "does not exist" in unknown.output
    assert too_early.exit_code == 1 and "did not exist at 2000-01-01T00:00:00Z" in too_early.output
