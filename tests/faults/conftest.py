"""A private server stack for the fault tests (they stop and restart its servers, so they never
touch the session's shared ones), and a fresh Ledgerline system per test on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.devstack import RunningStack, throwaway_stack
from tests.soak.system import System, running_system


@pytest.fixture(scope="package")
def fault_stack() -> Iterator[RunningStack]:
    with throwaway_stack(elasticsearch_quick_start=True) as stack:
        yield stack


@pytest.fixture
def system(fault_stack: RunningStack, tmp_path: Path) -> Iterator[System]:
    with running_system(fault_stack, tmp_path) as system:
        yield system
