"""`ledgerline backup`: full and incremental base backups of a real PostgreSQL with a streaming
WAL archive, verification in a scratch server, point-in-time restores to a position and to a
time, and the one-line refusals of bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import psycopg
from typer.testing import CliRunner

from infra.backup.catalog import segment_name
from infra.cli import app
from infra.servers import free_port
from projections.epochs import topic_of_current_epoch
from tests.backup.conftest import Primary
from tests.polling import wait_for
from tests.relay.test_relay import append_credits

URL = "LEDGERLINE_DATABASE_URL"
KEEP = "LEDGERLINE_BACKUP_KEEP_FULL"


def positions(primary: Primary) -> list[int]:
    with psycopg.connect(primary.url) as conn:
        return [row[0] for row in conn.execute("select position from events order by position")]


def test_backups_are_listed_verified_and_restored_to_a_position_and_a_time(
    primary: Primary,
) -> None:
    stream = uuid4()
    with psycopg.connect(primary.url, autocommit=True) as conn:
        # What a primary with a synchronous standby has in postgresql.auto.conf (not reloaded
        # here, so the primary does not wait for it; `backup create` reloads only to turn on
        # summarize_wal, done first): the restored server must not inherit it.
        conn.execute("alter system set summarize_wal = on")
        conn.execute("select pg_reload_conf()")

    # The reload is asynchronous: had it not read the file before the next ALTER SYSTEM, it
    # would load that one too, and every commit would wait for a standby that is not there.
    def reloaded() -> bool:
        with psycopg.connect(primary.url) as conn:
            return conn.execute("show summarize_wal").fetchone() == ("on",)

    wait_for(reloaded, 30, what="the configuration reload")
    with psycopg.connect(primary.url, autocommit=True) as conn:
        conn.execute("alter system set synchronous_standby_names = 'ledgerline_standby'")
    with primary.store() as store:
        append_credits(store, stream, 1, 5)
        full = primary.cli("create")
        with psycopg.connect(primary.url, autocommit=True) as conn:
            conn.execute("alter system reset synchronous_standby_names")
        assert full.exit_code == 0, full.output
        append_credits(store, stream, 6, 5)
        incremental = primary.cli("create", "--incremental")
        assert incremental.exit_code == 0, incremental.output
        for version in range(11, 14):  # one transaction each: position -> transaction is 1:1
            append_credits(store, stream, version, 1)
    listed = [json.loads(line) for line in primary.cli("list", "--json").output.splitlines()]
    assert [b["kind"] for b in listed] == ["full", "incremental"]
    assert listed[1]["parent"] == listed[0]["id"] and listed[1]["events"] == 10
    assert (primary.catalog.path(listed[0]["id"]) / "base.tar.gz").exists()

    primary.archived()  # the last three events exist only in the WAL archive
    verified = primary.cli("verify")
    assert verified.exit_code == 0, verified.output
    assert "13 events in 1 streams with intact hash chains" in verified.output

    # Restore to the commit of the 12th event: the 13th is the future being undone.
    target = positions(primary)[11]
    moment_after_all = datetime.now(UTC)
    primary.server.stop()
    restored = primary.cli("restore", "--to-position", str(target), "--no-rebuild")
    assert restored.exit_code == 0, restored.output
    assert positions(primary)[-1] == target and len(positions(primary)) == 12
    topic = primary.env["LEDGERLINE_KAFKA_TOPIC"]
    said = " ".join(restored.output.split())  # the console wraps long lines
    assert f"they read the new topic generation {topic}.e2 from the store" in said
    with psycopg.connect(primary.url) as conn:
        epoch = conn.execute("select epoch, head_position, topic from store_epochs").fetchall()
        assert conn.execute("show synchronous_standby_names").fetchone() == ("",)
        # What every process that uses the topic does at start (projections.epochs): a topic of
        # the same line, the old generation included, gives way to the epoch's; another line not.
        assert topic_of_current_epoch(conn, topic) == f"{topic}.e2"
        assert topic_of_current_epoch(conn, f"{topic}.e7") == f"{topic}.e2"
        assert topic_of_current_epoch(conn, f"{topic}.g2") == f"{topic}.g2"
    assert epoch == [(2, target, f"{topic}.e2")]

    # A time restore to after the 13th event, from the same backups: recovery follows the
    # restored timeline, on which the 13th event never happened and the epoch began later.
    primary.archived()
    primary.server.stop()
    again = primary.cli("restore", "--to-time", moment_after_all.isoformat(), "--no-rebuild")
    assert again.exit_code == 0, again.output
    assert positions(primary)[-1] == target
    with psycopg.connect(primary.url) as conn:
        epochs = conn.execute("select epoch, topic from store_epochs").fetchall()
    # Epoch 2 was undone with everything after that time, but its topic exists: never reused.
    assert epochs == [(3, f"{topic}.e3")]


def test_restore_refuses_while_the_server_runs_and_bad_input_is_one_line(
    primary: Primary,
) -> None:
    primary.server.start()
    with primary.store() as store:
        append_credits(store, uuid4(), 1, 2)  # something to archive before the backup
    primary.archived()
    earlier = primary.catalog.backups()
    kept = CliRunner().invoke(app, ["backup", "create"], env=primary.env | {KEEP: "1"})
    assert kept.exit_code == 0, kept.output
    # Retention: one full backup stays, and no WAL from before it.
    newest = primary.catalog.backups()
    assert len(newest) == 1 and newest[0].kind == "full" and newest[0] not in earlier
    first_needed = segment_name(newest[0].start_lsn)
    wal = [p.name for p in primary.catalog.wal_dir.iterdir() if len(p.name) >= 24]
    assert wal and all(name[8:24] >= first_needed for name in wal if ".history" not in name)
    if earlier:
        assert f"deleted {len(earlier)} backups" in kept.output
    running = primary.cli("restore")
    assert running.exit_code == 1
    assert "PostgreSQL is running on" in running.output and "stop it first" in running.output

    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    cases = {
        ("restore", "--to-time", future): "is in the future",
        ("restore", "--to-time", "2020-01-01T00:00:00Z"): "before the oldest backup",
        ("restore", "--to-time", "yesterday"): "is not an RFC 3339 time",
        ("restore", "--to-time", future, "--to-position", "3"): "exclude each other",
        ("verify", "20200101T000000000Z-full"): "no backup '20200101T000000000Z-full'",
        ("restore", "--backup", "nope"): "no backup 'nope'",
    }
    primary.server.stop()
    try:
        for args, message in cases.items():
            result = primary.cli(*args)
            assert result.exit_code != 0, args
            assert message in result.output, (args, result.output)
            assert "Traceback" not in result.output
            assert len(result.output.strip().splitlines()) == 1, result.output
    finally:
        primary.server.start()
    nobody = f"postgresql://postgres@127.0.0.1:{free_port()}/ledgerline"
    down = CliRunner().invoke(app, ["backup", "create"], env=primary.env | {URL: nobody})
    assert down.exit_code == 1
    assert "is unreachable" in down.output and "Traceback" not in down.output
    assert len(down.output.strip().splitlines()) == 1

    # A damaged backup fails pg_verifybackup (here its gzip stream no longer decompresses),
    # reported in one line, before anything is restored from it.
    newest = primary.catalog.backups()[-1]
    with (primary.catalog.path(newest.id) / "base.tar.gz").open("r+b") as archive:
        archive.seek(100)
        archive.write(b"tampered")
    damaged = primary.cli("verify", newest.id)
    assert damaged.exit_code == 1
    last = damaged.output.strip().splitlines()[-1]
    assert last.startswith("error: pg_verifybackup: ") and "Traceback" not in damaged.output
