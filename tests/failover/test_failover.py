"""Fail-over to the hot standby on real servers: synchronous replication makes an acknowledged
commit visible on the standby, ``ledgerline db failover`` promotes it, the two-host connection
string finds it, the old primary is fenced (a restart comes back read-only and is never chosen
for writes), and bad input is refused in one line."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from infra.failover import FENCE_MARKER, FailoverError, fail_over
from infra.servers import PostgresServer, free_port
from infra.servers.standby import StandbyServer, stop_waiting_for_a_standby
from tests.failover.loss import lose
from tests.failover.pair import Pair, ledgerline, marks, refused_in_one_line, write_mark


def test_an_acknowledged_commit_is_already_applied_on_the_synchronous_standby(pair: Pair) -> None:
    with psycopg.connect(pair.primary.url(), autocommit=True) as conn:
        assert conn.execute("show synchronous_commit").fetchone() == ("remote_apply",)
    for value in range(20):
        write_mark(pair.url, value)
        # No wait: remote_apply answered the commit only once the standby had replayed it.
        assert marks(pair.standby.url())[-1] == value


def test_after_losing_the_primary_failover_promotes_the_standby_and_writes_go_there(
    pair: Pair,
) -> None:
    assert write_mark(pair.url, 1) == pair.primary.port
    with psycopg.connect(pair.url, autocommit=True) as conn:
        before = int(conn.execute("select pg_current_xact_id()::text").fetchone()[0])  # type: ignore[index]
    lose(pair.primary, delete_data=True)
    report = fail_over(pair.primary, pair.standby)
    assert report.promoted == f"127.0.0.1:{pair.standby.port}"
    assert "no data directory" in report.old_primary
    assert write_mark(pair.url, 2) == pair.standby.port
    assert marks(pair.url) == [1, 2]
    with psycopg.connect(pair.url, autocommit=True) as conn:
        after = int(conn.execute("select pg_current_xact_id()::text").fetchone()[0])  # type: ignore[index]
    # Transaction ids continue on the promoted standby: the commit-order horizon holds.
    assert after > before


def test_a_restarted_old_primary_is_fenced_read_only_and_never_chosen_for_writes(
    pair: Pair,
) -> None:
    write_mark(pair.url, 1)
    report = fail_over(pair.primary, pair.standby)  # the primary is alive: failover stops it
    assert report.old_primary.startswith("stopped and fenced")
    assert (pair.primary.data_dir / FENCE_MARKER).exists()
    write_mark(pair.url, 2)
    pair.primary.start()  # someone restarts the old primary
    with psycopg.connect(pair.primary.url(), autocommit=True) as conn:
        assert conn.execute("select pg_is_in_recovery()").fetchone() == (True,)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("insert into marks values (3)")
    # It is listed first in the connection string, and still passed over.
    assert write_mark(pair.url, 3) == pair.standby.port
    # Even with the standby signal deleted by hand it comes back refusing writes by default.
    pair.primary.stop()
    (pair.primary.data_dir / "standby.signal").unlink()
    pair.primary.start()
    with psycopg.connect(pair.primary.url(), autocommit=True) as conn:
        assert conn.execute("show default_transaction_read_only").fetchone() == ("on",)
    assert write_mark(pair.url, 4) == pair.standby.port
    assert marks(pair.url) == [1, 2, 3, 4]


def test_db_failover_promotes_once_then_refuses_bad_input_in_one_line(
    pair: Pair, tmp_path: Path
) -> None:
    done = ledgerline(pair, "db", "failover")
    assert done.returncode == 0, done.stderr
    assert f"promoted the standby at 127.0.0.1:{pair.standby.port}" in done.stdout
    # Again: the only other server is the fenced old primary, never a fail-over target.
    refused_in_one_line(ledgerline(pair, "db", "failover"), "fenced by an earlier fail-over")
    with pytest.raises(FailoverError, match="already promoted"):
        fail_over(pair.primary, pair.standby)
    # The other refusals take the same way out of the command (FailoverError -> one line).
    pair.standby.stop()
    with pytest.raises(FailoverError, match="does not answer; nothing was changed"):
        fail_over(pair.primary, pair.standby)
    nowhere = StandbyServer(tmp_path, free_port(), PostgresServer(tmp_path, free_port()))
    with pytest.raises(FailoverError, match="no standby configured"):
        fail_over(nowhere.primary, nowhere)


def test_failover_refuses_while_a_server_it_cannot_stop_answers_on_the_primary_port(
    pair: Pair,
) -> None:
    # The primary as seen from another directory: no pid file of ours names the server that
    # answers on its port, so failover cannot stop it and must not promote beside it.
    unknown = PostgresServer(pair.root / "elsewhere", pair.primary.port)
    with pytest.raises(FailoverError, match="not a server this stack started"):
        fail_over(unknown, pair.standby)
    assert pair.standby.in_recovery()  # nothing was promoted
    assert write_mark(pair.url, 1) == pair.primary.port


def test_a_primary_run_without_its_standby_stops_waiting_for_one(pair: Pair) -> None:
    pair.standby.stop()
    assert stop_waiting_for_a_standby(pair.primary) is True
    with psycopg.connect(pair.primary.url(), autocommit=True) as conn:
        assert conn.execute("show synchronous_standby_names").fetchone() == ("",)
    assert write_mark(pair.primary.url(), 1) == pair.primary.port  # commits without the standby
    assert stop_waiting_for_a_standby(pair.primary) is False  # nothing left to clear


def test_db_synchronous_standby_switches_the_wait_on_and_off(pair: Pair) -> None:
    def switch(state: str) -> str:
        completed = ledgerline(pair, "db", "synchronous-standby", state)
        assert completed.returncode == 0, completed.stderr
        with psycopg.connect(pair.primary.url(), autocommit=True) as conn:
            return str(conn.execute("show synchronous_standby_names").fetchone()[0])  # type: ignore[index]

    assert switch("off") == ""
    assert switch("on") == "ledgerline_standby"
