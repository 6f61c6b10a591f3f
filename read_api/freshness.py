"""Read-your-writes: ``min_version`` waits (bounded) until a read-model document reflects at
least that version of its stream.

The read models are fed asynchronously (relay → Kafka → projector), so a client that has just
written version N may read an older document. The wait registers for the projector's version
signal of that stream first (``read_api.freshness_signals``), then reads, and re-reads when the
signal comes; a re-check every ``Settings.min_version_recheck_s`` (250 ms: slow on purpose,
it only bounds the wait for a missed signal, or all of them while Redis is down) is the fallback.
The bound (``Settings.min_version_wait_s``) turns a stalled pipeline into a 504 instead of a
hung request. The wait is async, so a waiting request holds no thread.

A wait is a span ``min_version wait`` in the reader's request trace: the read model, the version
asked for and found, how many times the document was read, and whether it caught up.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from opentelemetry import trace

from infra.http.app_state import SettingsDep
from infra.settings import Settings
from read_api.errors import ReadModelBehind, ResourceNotFound
from read_api.freshness_signals import VersionSignals

MAX_VERSION = 2**63 - 1
_tracer = trace.get_tracer("ledgerline.read_api")

Document = dict[str, Any]
Loader = Callable[[], Awaitable[Document | None]]


def _version(doc: Document | None) -> int | None:
    if doc is None:
        return None
    version = doc.get("version")
    return version if isinstance(version, int) else None


class VersionWait:
    """Loads one document, waiting for ``min_version`` when the request asked for it."""

    def __init__(
        self, min_version: int | None, settings: Settings, signals: VersionSignals
    ) -> None:
        self.min_version = min_version
        self.wait_s = settings.min_version_wait_s
        self._recheck_s = settings.min_version_recheck_s
        self._signals = signals

    def _caught_up(self, doc: Document | None) -> bool:
        if self.min_version is None:
            return True
        version = _version(doc)
        return version is not None and version >= self.min_version

    async def load(self, kind: str, id: object, loader: Loader) -> Document:
        """The document ``loader`` returns once fresh enough; 404 if absent, 504 if behind."""
        if self.min_version is None:
            doc = await loader()
        else:
            doc = await self._load_fresh(kind, id, loader, self.min_version)
        if doc is None:
            raise ResourceNotFound(kind, id)
        return doc

    async def _load_fresh(
        self, kind: str, id: object, loader: Loader, min_version: int
    ) -> Document | None:
        deadline = time.monotonic() + self.wait_s
        reads = 0
        doc: Document | None = None
        with _tracer.start_as_current_span(
            "min_version wait",
            attributes={"ledgerline.read_model": kind, "ledgerline.min_version": min_version},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                # Registered before the first read: a signal sent after it cannot be missed.
                with self._signals.waiting(str(id), min_version) as woken:
                    doc = await loader()
                    reads += 1
                    while not self._caught_up(doc):
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            raise ReadModelBehind(kind, id, min_version, _version(doc))
                        await self._signals.wait(woken, min(self._recheck_s, remaining))
                        doc = await loader()
                        reads += 1
            finally:
                if span.is_recording():
                    found = _version(doc)
                    span.set_attributes(
                        {
                            "ledgerline.reads": reads,
                            "ledgerline.caught_up": reads > 0 and self._caught_up(doc),
                            "ledgerline.version_found": -1 if found is None else found,
                        }
                    )
        return doc


MinVersionQuery = Annotated[
    int | None,
    Query(
        ge=1,
        le=MAX_VERSION,
        description=(
            "Read your own write: wait (bounded, then 504) until the read model reflects at "
            "least this version of the stream (the `version` a command returned)."
        ),
        examples=[3],
    ),
]


async def version_wait(
    request: Request, settings: SettingsDep, min_version: MinVersionQuery = None
) -> VersionWait:
    """The request's ``min_version`` wait."""
    return VersionWait(min_version, settings, request.app.state.versions)


FreshDep = Annotated[VersionWait, Depends(version_wait)]
