"""``projections verify``: a scratch fold of the event store compared with the live read models,
differences printed, exit 1 if any, the scratch generation always dropped."""

from __future__ import annotations

import threading

from typer.testing import CliRunner

from infra.cli.projections import app
from projections.rebuild.run import rebuild
from projections.rebuild.verify import VerifyOptions, verify
from tests.projections.scenario import busy_ledger, mixed_story
from tests.rebuild.conftest import World

runner = CliRunner()


def test_verify_passes_on_a_correct_model_and_leaves_nothing_behind(world: World) -> None:
    world.append(busy_ledger(300, users=8).envelopes)
    rebuild(world.store, world.targets("mongo", "search"))
    names, indices = world.collection_names(), world.index_aliases()

    result = runner.invoke(app, ["verify", "--settle", "0"], env=world.env())

    assert result.exit_code == 0, result.output
    assert "OK:" in result.output and "match a fresh fold of 300" in result.output
    assert world.collection_names() == names
    assert world.index_aliases() == indices


def test_verify_reports_a_corrupted_balance_and_exits_1(world: World) -> None:
    story = mixed_story()
    world.append(story.ledger.envelopes)
    rebuild(world.store, world.targets("mongo", "search"))
    account = str(story.ada_eur.id)
    balance = world.mongo["accounts"].find_one({"_id": account})["balance"]  # type: ignore[index]
    world.mongo["accounts"].update_one({"_id": account}, {"$set": {"balance": balance + 1}})
    payment = str(story.pending.id)
    world.search.delete(index=f"{world.prefix}-payments", id=payment, refresh=True)
    names = world.collection_names()

    result = runner.invoke(app, ["verify", "--settle", "0.2"], env=world.env(COLUMNS="200"))

    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    balance_line = next(line for line in lines if account in line and "balance" in line)
    assert "mongo.accounts" in balance_line
    assert str(balance + 1) in balance_line and str(balance) in balance_line
    missing = next(line for line in lines if payment in line)
    assert "search.payments" in missing and "(absent)" in missing
    assert "FAILED: 2 differences" in result.output
    assert world.collection_names() == names


def test_documents_the_live_projector_has_not_written_yet_are_waited_for(world: World) -> None:
    story = mixed_story()
    world.append(story.ledger.envelopes)
    rebuild(world.store, world.targets("mongo"))
    account = str(story.ada_eur.id)
    current = world.mongo["accounts"].find_one({"_id": account})
    assert current is not None
    # The live model lags one event behind on this account ...
    world.mongo["accounts"].replace_one(
        {"_id": account}, {**current, "version": current["version"] - 1, "balance": -1}
    )
    # ... and its projector catches up while verify runs.
    catch_up = threading.Timer(
        0.5, lambda: world.mongo["accounts"].replace_one({"_id": account}, current)
    )
    catch_up.start()
    try:
        report = verify(world.store, world.targets("mongo"), VerifyOptions(settle_s=20))
    finally:
        catch_up.join()
    assert report.ok, report.differences


def test_a_lagging_document_that_never_catches_up_is_a_difference(world: World) -> None:
    story = mixed_story()
    world.append(story.ledger.envelopes)
    rebuild(world.store, world.targets("mongo"))
    account = str(story.bob_eur.id)
    world.mongo["accounts"].update_one({"_id": account}, {"$inc": {"version": -1}})

    report = verify(world.store, world.targets("mongo"), VerifyOptions(settle_s=0.3))

    assert [(d.collection, d.id, d.field) for d in report.differences] == [
        ("accounts", account, "version")
    ]
