"""A fresh primary + hot standby per test (each test fails over, which uses the pair up)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.failover.pair import Pair, primary_and_standby


@pytest.fixture
def pair() -> Iterator[Pair]:
    with primary_and_standby() as made:
        yield made
