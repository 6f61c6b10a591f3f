"""The after-the-storm checks catch what they are there to catch: a fault test that passes
because its checks are blind would prove nothing. Each kind of damage is done on purpose to a
drained system, and each check must name it."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest
from pymongo import MongoClient

from tests.soak.checks import check_all, wait_drained
from tests.soak.system import System
from tests.soak.workload import Workload

pytestmark = pytest.mark.faults


def test_each_check_names_the_damage_done_to_a_drained_system(system: System) -> None:
    workload = Workload(system.write_url, system.settings, clients=1, holders=3)
    workload.setup()
    wait_drained(system.settings)
    assert check_all(system.settings).ok

    # An event the relay never published: appended while the relay is dead.
    system.supervisor.kill("relay")
    holder = workload.holders[0]
    response = httpx.post(
        f"{system.write_url}/v1/accounts/{holder.accounts['EUR']}/deposits",
        json={"amount": 5, "reference": "unpublished"},
        headers=holder.headers,
    )
    assert response.status_code == 200, response.text

    mongo: MongoClient[dict[str, Any]] = MongoClient(system.settings.mongo_url)
    with mongo:
        database = mongo[system.settings.mongo_database]
        # A balance the events do not add up to.
        database["accounts"].update_one(
            {"_id": workload.holders[1].accounts["USD"]}, {"$inc": {"balance": 1}}
        )
        # A notification written twice under another id (statement lines cannot be: their
        # (account, version) index is unique).
        line = database["notifications"].find_one({"account_id": {"$ne": None}}, {"_id": 0})
        assert line is not None
        database["notifications"].insert_one({"_id": "copy", **line})

    # A command that took effect twice: its deposit event appended again under the same key.
    with psycopg.connect(system.settings.database_url, autocommit=True) as conn:
        conn.execute(
            """
            INSERT INTO events (stream_id, stream_type, version, type, data, metadata)
            SELECT stream_id, stream_type, version + 1000, type, data, metadata
            FROM events WHERE type = 'AccountCredited' ORDER BY position LIMIT 1
            """
        )

    report = check_all(system.settings)

    assert not report.ok
    problems = {name: "\n".join(found) for name, found in report.problems.items()}
    assert "projections verify exited 1" in problems["verify"]
    assert "is not on the topic" in problems["published"]
    assert "appears 2 times" in problems["duplicate lines"]
    assert workload.holders[1].accounts["USD"] in problems["money"]
    assert "2 AccountCredited events" in problems["idempotency"]
