"""Read-model generations: where rebuilds and verify build, how a generation is swapped in, and
which leftovers are dropped. This module holds the contract (``RebuildTarget``); the
implementations are ``mongo_target.MongoTarget`` and ``search_target.SearchTarget``.

After a swap, a rebuild projects its tail through ``live_store``: the same writes as a
generation's, but into the live names and only where newer (a stream document is replaced only
if the live one has an older version, an insert-once line only inserted if missing), so
whatever the live projector wrote meanwhile wins when it is ahead.

A generation is bulk-loaded without secondary indexes and indexed by ``seal`` once loaded,
before it is swapped in: nobody reads it meanwhile, and building an index over a loaded
collection costs the MongoDB stand-in far less than maintaining it per insert (at 100,000 events
the same documents took 56 s with the indexes in place, 11 s + 11 s for the index builds after).

An offline rebuild (``projections.rebuild.offline``) skips the generations: ``replace_live``
drops the live model and builds into the live names, ``seal(None)`` indexes them.

Both targets also read whole generations (or the live model) back for ``verify``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from projections.operations import Document, Projection
from projections.rebuild.builder import GenerationStore

WRITE_CHUNK = 1000
READ_CHUNK = 1000
# Loads stream documents (stream id -> stream type) for a store that is not their origin.
Loader = Callable[[Mapping[str, str]], dict[str, Document]]


class RebuildTarget(Protocol):
    """One read model as rebuilds and verify see it."""

    @property
    def kind(self) -> str:
        """``mongo`` or ``search``."""
        ...

    @property
    def key(self) -> str:
        """Names the read model (lock and journal key), e.g. ``mongo:ledgerline``."""
        ...

    @property
    def projection(self) -> Projection: ...

    def live_names(self) -> list[str]:
        """Physical names readers use (collections, aliases)."""
        ...

    def new_generation(self) -> str:
        """A label for a generation that does not exist yet."""
        ...

    def generation_names(self, generation: str) -> list[str]: ...

    def leftovers(self, keep: Iterable[str] = ()) -> list[str]:
        """Physical names of interrupted generations (except those of ``keep``)."""
        ...

    def kept(self) -> list[str]:
        """Old generations kept by ``--keep-old``."""
        ...

    def create(self, generation: str) -> GenerationStore:
        """A new generation to bulk-load, without its secondary indexes (``seal`` adds them)."""
        ...

    def seal(self, generation: str | None) -> None:
        """After the bulk load of ``generation`` (None: the live names, offline): create its
        secondary indexes, then make everything written to it durable."""
        ...

    def replace_live(self) -> tuple[GenerationStore, list[str]]:
        """Offline rebuilds only (nothing else may read or write the read model meanwhile):
        drop the live model; returns a store that builds straight into the live names (without
        secondary indexes until ``seal(None)``) and the physical names dropped."""
        ...

    def swap_steps(self, generation: str, keep_old: bool) -> list[str]:
        """What ``swap`` would do, in words (for ``--dry-run``)."""
        ...

    def swap(self, generation: str, keep_old: bool) -> list[str]:
        """Put ``generation`` in place; returns the old generation's names still to drop.
        Idempotent: parts already swapped are skipped (recovery of an interrupted swap)."""
        ...

    def drop(self, names: Sequence[str]) -> None: ...

    def live_store(self, loader: Loader) -> GenerationStore:
        """Newer-only writes to the live names; documents come from ``loader``."""
        ...

    def labels(self) -> list[str]:
        """Logical collections / index kinds, for comparisons."""
        ...

    def read_all(self, generation: str | None) -> dict[str, dict[str, Document]]:
        """Every document of ``generation`` (None: the live model): label -> id -> document."""
        ...

    def read_some(self, generation: str | None, label: str, ids: Iterable[str]) -> dict[str, Any]:
        """Documents ``ids`` of one label (absent ones omitted)."""
        ...
