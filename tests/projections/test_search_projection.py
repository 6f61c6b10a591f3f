"""The Elasticsearch projection as a pure fold: payments and users only, Mongo shapes minus _id."""

from __future__ import annotations

from projections.mongo_projection import MONGO_PROJECTION
from projections.operations import UnknownEventType
from projections.search_projection import SEARCH_PROJECTION
from tests.projections.scenario import mixed_story
from tests.projections.support import MemoryReadModel


def test_search_documents_are_the_mongo_documents_of_payments_and_users_without_id() -> None:
    story = mixed_story()
    search = MemoryReadModel(SEARCH_PROJECTION)
    search.apply(story.ledger.envelopes)
    mongo = MemoryReadModel(MONGO_PROJECTION)
    mongo.apply(story.ledger.envelopes)
    wanted = set(story.ledger.users) | set(story.ledger.payments)
    assert set(search.docs) == wanted
    for stream_id, doc in search.docs.items():
        assert "_id" not in doc
        assert {"_id": stream_id, **doc} == mongo.docs[stream_id]


def test_search_ignores_accounts_and_transfers_without_rejecting_them() -> None:
    story = mixed_story()
    search = MemoryReadModel(SEARCH_PROJECTION)
    result = search.apply(story.ledger.envelopes)
    assert result.rejected == []
    assert result.inserts == []
    assert result.applied == len(story.ledger.envelopes)


def test_search_rejects_unknown_event_types_even_on_streams_it_ignores() -> None:
    story = mixed_story()
    strange = {**story.ledger.envelopes[3], "type": "AccountLevitated"}
    result = MemoryReadModel(SEARCH_PROJECTION).apply([strange])
    assert [type(r.error) for r in result.rejected] == [UnknownEventType]


def test_search_replays_are_skipped_by_version() -> None:
    story = mixed_story()
    search = MemoryReadModel(SEARCH_PROJECTION)
    search.apply(story.ledger.envelopes)
    before = dict(search.docs)
    again = search.apply(story.ledger.envelopes)
    assert again.changes == []
    assert search.docs == before
