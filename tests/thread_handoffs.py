"""Counting hand-offs of work to anyio's worker threads (FastAPI's ``run_in_threadpool``, used
for sync routes, sync dependencies and their response validation), for tests that hold a hot
path to none or one: each hand-off costs a thread switch and a lock on every request."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import pytest


def record_thread_handoffs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now until the test ends, the name of every function handed to a worker thread."""
    calls: list[str] = []
    original = anyio.to_thread.run_sync

    async def recording(func: Any, *args: Any, **kwargs: Any) -> Any:
        target = getattr(func, "func", func)  # run_in_threadpool passes a functools.partial
        calls.append(getattr(target, "__qualname__", repr(target)))
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", recording)
    return calls
