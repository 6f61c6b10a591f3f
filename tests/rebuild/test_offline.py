"""Offline rebuilds on real servers: the live read models dropped and rebuilt in place give the
fold of the event store, with the live collections' indexes, no generations left behind, and
unfinished swaps of earlier online rebuilds forgotten; the CLI's ``--offline`` refuses while
Ledgerline processes run and with ``--keep-old``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from event_store.records import Checkpoint
from infra.cli.projections import app
from infra.servers.process import process_alive, write_pid_file
from projections.rebuild.guard import PendingSwap, RebuildGuard
from projections.rebuild.mongo_target import MongoTarget
from projections.rebuild.offline import OFFLINE, rebuild_offline
from projections.rebuild.run import RebuildOptions
from tests.polling import wait_for
from tests.projections.scenario import busy_ledger, mixed_story
from tests.rebuild.conftest import World, all_events

runner = CliRunner()


def test_an_offline_rebuild_replaces_stale_models_in_place_with_the_fold_of_the_store(
    world: World,
) -> None:
    world.append(busy_ledger(600, users=12).envelopes)
    world.live_setup()
    world.mongo["accounts"].insert_one({"_id": "bogus", "balance": 1, "version": 99})
    world.mongo["notifications"].insert_one({"_id": "bogus:line"})
    world.search.index(index=f"{world.prefix}-users", id="bogus", document={"id": "bogus"})

    report = rebuild_offline(
        world.store, world.targets("mongo", "search"), RebuildOptions(batch_size=50)
    )

    assert world.mongo_dump() == world.expected_mongo()
    assert world.search_dump() == world.expected_search()
    assert report.events == len(all_events(world.store))
    assert [(t.kind, t.generation) for t in report.targets] == [
        ("mongo", OFFLINE),
        ("search", OFFLINE),
    ]
    # Built in the live names: no generation collections, and the indexes were added after.
    assert world.collection_names() == sorted(MongoTarget(world.mongo).live_names())
    assert "owner_id_1" in world.mongo["accounts"].index_information()
    entries = world.mongo["account_entries"].index_information()
    assert entries["account_id_1_version_-1"].get("unique") is True
    assert "user_id_1_position_-1" in world.mongo["notifications"].index_information()
    # Elasticsearch: one new generation holds the aliases; the old indices are gone.
    assert world.index_aliases() == {
        f"{world.prefix}-payments-v2": [f"{world.prefix}-payments"],
        f"{world.prefix}-users-v2": [f"{world.prefix}-users"],
    }
    assert report.targets[1].dropped == [f"{world.prefix}-payments-v1", f"{world.prefix}-users-v1"]


def test_an_offline_rebuild_holding_few_documents_in_memory_gives_the_same_models(
    world: World,
) -> None:
    world.append(busy_ledger(500, users=15).envelopes)

    rebuild_offline(
        world.store,
        world.targets("mongo", "search"),
        RebuildOptions(batch_size=20, max_cached_documents=3),
    )

    assert world.mongo_dump() == world.expected_mongo()
    assert world.search_dump() == world.expected_search()


def test_an_offline_rebuild_drops_leftovers_and_forgets_unfinished_swaps(world: World) -> None:
    world.append(mixed_story().ledger.envelopes)
    world.live_setup()
    world.mongo["accounts_g17"].insert_one({"_id": "left over"})
    guard = RebuildGuard(world.store)
    key = f"mongo:{world.mongo.name}"
    guard.record(PendingSwap(key, "g18", False, Checkpoint()))

    report = rebuild_offline(world.store, world.targets("mongo"))

    assert guard.pending(key) == []
    assert report.leftovers_dropped == ["accounts_g17"]
    assert world.collection_names() == sorted(MongoTarget(world.mongo).live_names())
    assert world.mongo_dump() == world.expected_mongo()


def test_an_offline_rebuild_of_an_empty_store_leaves_empty_indexed_models(world: World) -> None:
    world.live_setup()
    world.mongo["payments"].insert_one({"_id": "bogus", "version": 1})

    rebuild_offline(world.store, world.targets("mongo", "search"))

    assert world.mongo_dump() == world.expected_mongo()
    assert world.search_dump() == {"payments": {}, "users": {}}
    assert "payer_account_id_1" in world.mongo["payments"].index_information()


def test_an_offline_rebuild_from_the_cli_rebuilds_in_place(world: World, tmp_path: Path) -> None:
    world.append(busy_ledger(300, users=8).envelopes)
    world.live_setup()

    result = runner.invoke(
        app,
        ["rebuild", "all", "--offline", "--batch-size", "100"],
        env=world.env(COLUMNS="200", LEDGERLINE_DATA_DIR=str(tmp_path)),
    )

    assert result.exit_code == 0, result.output
    assert "Rebuilt mongo, search offline from" in result.output
    assert "mongo: rebuilt in place (users, accounts," in result.output
    assert f"dropped before: {world.prefix}-payments-v1, {world.prefix}-users-v1" in result.output
    assert world.mongo_dump() == world.expected_mongo()
    assert world.search_dump() == world.expected_search()


def test_an_offline_dry_run_changes_nothing(world: World, tmp_path: Path) -> None:
    world.append(mixed_story().ledger.envelopes)
    world.live_setup()
    world.mongo["accounts"].insert_one({"_id": "bogus", "balance": 1, "version": 99})

    result = runner.invoke(
        app,
        ["rebuild", "mongo", "--offline", "--dry-run"],
        env=world.env(COLUMNS="200", LEDGERLINE_DATA_DIR=str(tmp_path)),
    )

    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was changed." in result.output
    assert "mongo: drop users, accounts," in result.output
    assert world.mongo["accounts"].find_one({"_id": "bogus"}) is not None


def test_offline_is_refused_in_one_line_while_processes_run_or_with_keep_old(
    world: World, tmp_path: Path
) -> None:
    world.live_setup()
    world.mongo["accounts"].insert_one({"_id": "kept", "balance": 1, "version": 1})
    env = world.env(LEDGERLINE_DATA_DIR=str(tmp_path))

    keep_old = runner.invoke(app, ["rebuild", "--offline", "--keep-old"], env=env)

    assert keep_old.exit_code == 2
    assert keep_old.stderr.strip().splitlines() == [
        "error: --offline replaces the live read models in place: it cannot --keep-old them"
    ]

    # A stand-in for a running projector: a live process whose command line names infra.cli,
    # with its pid file where the supervisor writes them.
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()", "infra.cli", "projector"],
        stdin=subprocess.PIPE,
    )
    try:
        wait_for(lambda: process_alive(process.pid, "infra.cli"), 10, what="the stand-in process")
        (tmp_path / "pids").mkdir()
        write_pid_file(tmp_path / "pids" / "projector-mongo.pid", process.pid)

        running = runner.invoke(app, ["rebuild", "mongo", "--offline"], env=env)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=10)

    assert running.exit_code == 1
    errors = running.stderr.strip().splitlines()
    assert len(errors) == 1
    assert errors[0].startswith("error: Ledgerline processes are running (projector-mongo)")
    assert world.mongo["accounts"].find_one({"_id": "kept"}) is not None
