"""The sinks against the real servers: a newer document always wins, insert-once lines are
never duplicated, setup is idempotent and never moves an alias a rebuild has swapped."""

from __future__ import annotations

from typing import Any

import pytest

from projections.fold import FoldResult, StreamChange
from projections.mongo_sink import MongoCollections, MongoSink, ensure_mongo_collections
from projections.operations import SinkUnavailable
from projections.search_sink import (
    SearchIndexNames,
    SearchSink,
    create_search_index,
    ensure_search_indices,
)
from tests.projections.conftest import Pipeline


def a_user_doc(version: int, full_name: str) -> dict[str, Any]:
    return {
        "_id": "u1",
        "id": "u1",
        "email": "ada@example.com",
        "full_name": full_name,
        "status": "active",
        "roles": ["customer"],
        "personal_data_forgotten": False,
        "version": version,
        "created_at": "2026-11-29T12:00:00.000001Z",
        "updated_at": "2026-11-29T12:00:00.000001Z",
    }


def change(loaded: int | None, doc: dict[str, Any]) -> FoldResult:
    return FoldResult(changes=[StreamChange("u1", "User", loaded, doc)])


def test_mongo_sink_keeps_a_newer_document_and_reports_the_conflict(pipeline: Pipeline) -> None:
    collections = MongoCollections().with_suffix("_v7")
    ensure_mongo_collections(pipeline.mongo, collections)
    ensure_mongo_collections(pipeline.mongo, collections)  # idempotent
    sink = MongoSink(pipeline.mongo, collections)
    users = pipeline.mongo["users_v7"]

    assert sink.write(change(None, a_user_doc(1, "Ada"))) == set()
    assert sink.write(change(1, a_user_doc(3, "Ada King"))) == set()
    # A stale writer (loaded version 1) and a second creator both lose to version 3.
    assert sink.write(change(1, a_user_doc(2, "Stale"))) == {"u1"}
    assert sink.write(change(None, a_user_doc(1, "Again"))) == {"u1"}
    assert users.find_one({"_id": "u1"}) == a_user_doc(3, "Ada King")
    assert sink.load({"u1": "User", "nobody": "User"}) == {"u1": a_user_doc(3, "Ada King")}


def test_mongo_sink_writes_each_insert_once_line_once(pipeline: Pipeline) -> None:
    ensure_mongo_collections(pipeline.mongo)
    sink = MongoSink(pipeline.mongo)
    line = {"_id": "e1", "account_id": "a1", "version": 2, "kind": "credit", "amount": 5}
    twice = FoldResult(inserts=[("account_entries", line), ("account_entries", dict(line))])
    sink.write(twice)
    sink.write(twice)
    assert list(pipeline.mongo["account_entries"].find()) == [line]


def test_search_sink_keeps_the_newest_external_version(pipeline: Pipeline) -> None:
    names = ensure_search_indices(pipeline.search, pipeline.search_prefix)
    sink = SearchSink(pipeline.search, names)
    source = {k: v for k, v in a_user_doc(3, "Ada King").items() if k != "_id"}
    stale = {k: v for k, v in a_user_doc(2, "Stale").items() if k != "_id"}
    assert sink.write(change(None, source)) == set()
    assert sink.write(change(None, stale)) == {"u1"}
    assert sink.write(change(None, source)) == {"u1"}  # a replay of the same version
    assert sink.load({"u1": "User"}) == {"u1": source}


def test_search_sink_waits_out_a_shard_that_is_not_serving_yet(pipeline: Pipeline) -> None:
    # As after a restart while shards recover: mget answers 200 with an error per document.
    # Here the shard cannot be allocated at all, which gives the same answer for as long as
    # the test needs it.
    unassigned = f"{pipeline.search_prefix}-users-v9"
    pipeline.search.indices.create(
        index=unassigned,
        settings={"index.routing.allocation.require._name": "no-such-node"},
        wait_for_active_shards="0",
    )
    sink = SearchSink(pipeline.search, SearchIndexNames(payments="unused", users=unassigned))
    with pytest.raises(SinkUnavailable, match="not serving yet"):
        sink.load({"u1": "User"})


def test_search_setup_is_idempotent_and_leaves_a_swapped_alias_alone(pipeline: Pipeline) -> None:
    prefix = pipeline.search_prefix
    assert ensure_search_indices(pipeline.search, prefix) == SearchIndexNames.aliases(prefix)
    # A rebuild creates v2 (the template gives it the mapping) and swaps the alias.
    rebuilt = SearchIndexNames.versioned(prefix, 2)
    create_search_index(pipeline.search, rebuilt.users, "users")
    pipeline.search.indices.update_aliases(
        actions=[
            {"remove": {"index": f"{prefix}-users-v1", "alias": f"{prefix}-users"}},
            {"add": {"index": rebuilt.users, "alias": f"{prefix}-users"}},
        ]
    )
    ensure_search_indices(pipeline.search, prefix)
    assert list(pipeline.search.indices.get_alias(name=f"{prefix}-users")) == [rebuilt.users]
    # Any versioned index gets the explicit mapping from the template, even created bare.
    bare = f"{prefix}-payments-v3"
    pipeline.search.indices.create(index=bare)
    mapping = pipeline.search.indices.get_mapping(index=bare)[bare]["mappings"]["properties"]
    assert mapping["merchant"]["fields"]["raw"]["type"] == "keyword"
    assert mapping["amount"]["type"] == "long"
