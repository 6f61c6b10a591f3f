"""After a fail-over the stack runs without a standby until ``ledgerline db new-standby`` makes
one of the promoted server in the fenced old primary's place (``infra.standby_roles``), online;
then a second fail-over goes back the other way, with nothing re-configured: the connection
string lists both hosts throughout."""

from __future__ import annotations

import psycopg
import pytest

from infra.cli.dev import start_standby_or_not
from infra.failover import FENCE_MARKER
from infra.standby_roles import roles
from tests.failover.pair import Pair, ledgerline, marks, refused_in_one_line, write_mark


def _in_recovery(url: str) -> bool:
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute("select pg_is_in_recovery()").fetchone()
    return bool(row and row[0])


def test_a_new_standby_after_a_failover_takes_the_old_primarys_place_and_fails_over_back(
    pair: Pair,
) -> None:
    first, second = pair.primary, pair.standby  # the two places: ROOT/postgres, ROOT/standby
    assert write_mark(pair.url, 1) == first.port
    assert ledgerline(pair, "db", "failover").returncode == 0
    assert write_mark(pair.url, 2) == second.port
    swapped = roles(pair.settings())
    assert swapped.swapped and swapped.primary.port == second.port

    made = ledgerline(pair, "db", "new-standby")
    assert made.returncode == 0, made.stderr
    assert f"standby at 127.0.0.1:{first.port} of the primary at 127.0.0.1:{second.port}" in (
        made.stdout
    )
    assert "streaming, synchronous (remote_apply)" in made.stdout
    kept = [p for p in pair.root.iterdir() if p.name.startswith("postgres.fenced-")]
    assert len(kept) == 1 and (kept[0] / FENCE_MARKER).exists()  # set aside, not deleted
    assert not (first.data_dir / FENCE_MARKER).exists()
    # The new standby holds everything and is synchronous: a commit is applied there when
    # acknowledged, with no wait.
    assert _in_recovery(first.url())
    assert write_mark(pair.url, 3) == second.port
    assert marks(first.url()) == [1, 2, 3]
    refused_in_one_line(ledgerline(pair, "db", "new-standby"), "a standby already exists")

    back = ledgerline(pair, "db", "failover")
    assert back.returncode == 0, back.stderr
    assert f"promoted the standby at 127.0.0.1:{first.port}" in back.stdout
    assert write_mark(pair.url, 4) == first.port
    assert marks(pair.url) == [1, 2, 3, 4]
    assert not roles(pair.settings()).swapped

    again = ledgerline(pair, "db", "new-standby")
    assert again.returncode == 0, again.stderr
    assert _in_recovery(second.url())
    assert write_mark(pair.url, 5) == first.port
    assert marks(second.url()) == [1, 2, 3, 4, 5]


def test_new_standby_refuses_without_a_primary_in_one_line(pair: Pair) -> None:
    refused_in_one_line(ledgerline(pair, "db", "new-standby"), "a standby already exists")
    pair.standby.stop()
    pair.primary.stop()
    refused_in_one_line(
        ledgerline(pair, "db", "new-standby"), "does not answer; nothing was changed"
    )
    assert pair.standby.exists() and pair.primary.pid() is None


def test_dev_down_and_run_keep_the_swapped_roles(pair: Pair) -> None:
    """What ``dev down`` and ``dev run --standby`` do with the two places after a fail-over and
    a new standby: both servers stop; on start the primary is the one in ROOT/standby and the
    standby in ROOT/postgres streams from it, synchronously; without --standby, a one-line
    refusal instead of processes writing to a read-only server."""
    first, second = pair.primary, pair.standby
    assert ledgerline(pair, "db", "failover").returncode == 0
    assert ledgerline(pair, "db", "new-standby").returncode == 0
    write_mark(pair.url, 1)
    down = ledgerline(pair, "dev", "down", "--only", "postgres")
    assert down.returncode == 0, down.stderr
    assert first.pid() is None
    stopped = ledgerline(pair, "dev", "down")
    assert stopped.returncode == 0, stopped.stderr
    assert "standby" in stopped.stdout and second.pid() is None

    first.start()  # as `dev run` starts the stack's PostgreSQL, before the standby
    settings = pair.settings()
    with pytest.raises(RuntimeError, match="since a fail-over the primary is the server in"):
        start_standby_or_not(settings, standby=False)
    start_standby_or_not(settings, standby=True)
    assert _in_recovery(first.url()) and not _in_recovery(second.url())
    assert write_mark(pair.url, 2) == second.port
    assert marks(first.url()) == [1, 2]
