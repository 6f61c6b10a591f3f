"""What a successful command returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class CommandResult:
    """The aggregate the command addressed, its new version, the events appended, and the new
    version of every stream they were appended to (a transfer: both accounts and the transfer),
    so a client can read each of them at least at that version."""

    id: UUID
    version: int
    events: list[str] = field(default_factory=list)
    streams: dict[UUID, int] = field(default_factory=dict)
    created: bool = False
    replayed: bool = False
    # What a command tells its caller beyond the aggregate (auth outcomes); never stored with
    # an idempotency record, so it may hold what must not be kept.
    detail: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_record(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "version": self.version,
            "events": list(self.events),
            "streams": {str(stream): version for stream, version in self.streams.items()},
            "created": self.created,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any], *, replayed: bool) -> CommandResult:
        return cls(
            id=UUID(record["id"]),
            version=int(record["version"]),
            events=list(record["events"]),
            # Records stored before streams were recorded have none.
            streams={UUID(s): int(v) for s, v in record.get("streams", {}).items()},
            created=bool(record["created"]),
            replayed=replayed,
        )
