"""The ``projections`` commands as an operator runs them: dry run, progress and summary, one-line
errors with a non-zero exit, and a rebuild killed outright (kill -9) mid-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from infra.cli.projections import app
from infra.servers import free_port
from projections.rebuild.guard import RebuildGuard
from projections.rebuild.run import rebuild
from tests.projections.scenario import busy_ledger, mixed_story
from tests.projections.support import wait_for
from tests.rebuild.conftest import World

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]


def test_dry_run_prints_the_plan_and_changes_nothing(world: World) -> None:
    world.append(mixed_story().ledger.envelopes)
    world.live_setup()
    world.mongo["accounts_g17"].insert_one({"_id": "left over"})
    names, indices = world.collection_names(), world.index_aliases()

    result = runner.invoke(
        app, ["rebuild", "all", "--dry-run", "--batch-size", "500"], env=world.env(COLUMNS="200")
    )

    assert result.exit_code == 0, result.output
    out = result.output
    assert "Dry run: nothing was changed." in out
    assert "Source: 39 events in the event store" in out and "batches of 500" in out
    assert "drop leftovers of interrupted runs: accounts_g17" in out
    assert "rename accounts_g" in out and "-> accounts (dropTarget" in out
    assert f"move alias {world.prefix}-payments from {world.prefix}-payments-v1 to" in out
    assert "then drop: the indices the aliases pointed to" in out
    assert world.collection_names() == names
    assert world.index_aliases() == indices


def test_a_rebuild_from_the_cli_shows_progress_and_what_is_live_now(world: World) -> None:
    world.append(busy_ledger(400, users=10).envelopes)

    result = runner.invoke(
        app, ["rebuild", "--batch-size", "100", "--keep-old"], env=world.env(COLUMNS="200")
    )

    assert result.exit_code == 0, result.output
    assert "events/s" in result.output and "ETA" in result.output
    assert "Rebuilt mongo, search from" in result.output
    assert "mongo: generation g" in result.output
    assert f"search: generation v1 is live ({world.prefix}-payments, {world.prefix}-users)" in (
        result.output
    )
    assert world.mongo_dump() == world.expected_mongo()
    assert world.search_dump() == world.expected_search()


def test_errors_are_one_line_and_a_non_zero_exit(world: World) -> None:
    cases = [
        (["rebuild", "elastic"], world.env(), 2, "unknown target 'elastic'"),
        (["verify", "sql"], world.env(), 2, "unknown target 'sql'"),
        (
            ["rebuild", "mongo"],
            world.env(LEDGERLINE_DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/x"),
            1,
            "PostgreSQL (the event store) at 127.0.0.1:",
        ),
        (
            ["verify", "search"],
            world.env(LEDGERLINE_ELASTICSEARCH_URL=f"http://127.0.0.1:{free_port()}"),
            1,
            "Elasticsearch at 127.0.0.1:",
        ),
        (
            ["rebuild", "mongo"],
            world.env(LEDGERLINE_MONGO_URL=f"mongodb://127.0.0.1:{free_port()}/"),
            1,
            "MongoDB at 127.0.0.1:",
        ),
        (
            ["status"],
            world.env(LEDGERLINE_KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}"),
            1,
            "Kafka: ",
        ),
    ]
    for args, env, code, message in cases:
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == code, (args, result.output)
        errors = result.stderr.strip().splitlines()
        assert len(errors) == 1 and errors[0].startswith("error: "), (args, result.stderr)
        assert message in errors[0], (args, errors)
        assert "Traceback" not in result.output


def test_a_busy_read_model_is_refused_in_one_line(world: World) -> None:
    with RebuildGuard(world.store).locked([f"search:{world.prefix}"]):
        result = runner.invoke(app, ["rebuild", "search"], env=world.env())
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: another rebuild or verify of search:{world.prefix} is running"
    )


def test_a_rebuild_killed_mid_way_leaves_the_live_model_untouched_and_a_rerun_works(
    world: World,
) -> None:
    ledger = busy_ledger(1500, users=20)
    world.append(ledger.envelopes[:100])
    rebuild(world.store, world.targets("mongo", "search"))
    live_mongo, live_search = world.mongo_dump(), world.search_dump()
    names = world.collection_names()
    world.record(ledger, 100)

    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from infra.cli.projections import app; app(['rebuild', '--batch-size', '5'])",
        ],
        cwd=REPO,
        env={**os.environ, **world.env()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def half_built() -> bool:
            lines = [n for n in world.collection_names() if n.startswith("notifications_g")]
            return bool(lines) and world.mongo[lines[0]].estimated_document_count() >= 100

        wait_for(half_built, timeout=60, what="the rebuild to be half-way")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    assert world.mongo_dump() == live_mongo
    assert world.search_dump() == live_search
    assert world.collection_names() != names  # the killed run's generation is still there

    report = rebuild(world.store, world.targets("mongo", "search"))

    assert report.leftovers_dropped
    assert world.collection_names() == names
    # The killed run's indices (v2) were dropped first, so the new generation is v2 again.
    assert world.index_aliases() == {
        f"{world.prefix}-payments-v2": [f"{world.prefix}-payments"],
        f"{world.prefix}-users-v2": [f"{world.prefix}-users"],
    }
    assert world.mongo_dump() == world.expected_mongo()
    assert world.search_dump() == world.expected_search()


def test_a_rebuild_reports_its_progress_as_a_metric(world: World, tmp_path: Path) -> None:
    from prometheus_client import REGISTRY

    from infra.servers import free_port
    from infra.servers.scrape_files import targets_dir

    world.append(busy_ledger(100, users=5).envelopes)
    began = time.time()
    result = runner.invoke(
        app,
        ["rebuild", "mongo", "--metrics-port", str(free_port())],
        env=world.env(LEDGERLINE_DATA_DIR=str(tmp_path)),
    )
    assert result.exit_code == 0, result.output
    labels = {"target": "mongo"}
    assert REGISTRY.get_sample_value("ledgerline_rebuild_progress_ratio", labels) == 1.0
    assert REGISTRY.get_sample_value("ledgerline_rebuild_running", labels) == 0.0
    started = REGISTRY.get_sample_value("ledgerline_rebuild_started_timestamp_seconds", labels)
    assert started is not None and began <= started <= time.time()
    # It was offered to the local Prometheus while it ran, and withdrawn at its end.
    assert targets_dir(tmp_path).is_dir() and list(targets_dir(tmp_path).iterdir()) == []
