"""``GET /v1/projections``: where the relay and the projectors are (operators, auditors, admins).

The figures come from ``projections.status`` (event store checkpoints and Kafka consumer-group
offsets); the route opens its own short-lived PostgreSQL and Kafka connections per request, in a
worker thread, so the query API neither needs those servers to start nor holds connections for
an occasional operator question. A server that does not answer makes it a 503 problem.
Customers get 403: this is about the system, not about any resource of theirs.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from infra.http.app_state import SettingsDep
from infra.http.auth import CurrentPrincipal
from infra.http.routing import DocstringSummaryRoute
from projections.status import PipelineStatus, StatusSources, StatusUnavailable, pipeline_status
from read_api.errors import AccessDenied, ReadModelUnavailable, read_problem_responses

router = APIRouter(prefix="/v1/projections", tags=["operations"], route_class=DocstringSummaryRoute)

ROLES = ("operator", "auditor", "admin")


class PartitionLagOut(BaseModel):
    partition: int
    committed: int | None = Field(description="Committed offset; null if never committed.")
    end: int = Field(description="End offset of the partition.")
    lag: int


class ConsumerStatusOut(BaseModel):
    name: str = Field(examples=["relay", "mongo", "search"])
    kind: str = Field(examples=["relay", "projector"])
    position: int | None = Field(
        description="Relay: global position of its checkpoint. Projector: records consumed."
    )
    behind: int = Field(description="Events behind the head of the event store.")
    oldest_unprocessed_age_s: float | None = Field(
        description="Age of the oldest event not processed yet; null when caught up."
    )
    group_id: str | None = None
    topic: str | None = None
    partitions: list[PartitionLagOut] = Field(
        default_factory=list, description="Consumer-group lag per partition (projectors)."
    )
    dead_letters: int | None = Field(
        default=None,
        description="Projectors: records it put on the dead-letter topic (null: not counted).",
    )


class ProjectionsStatusOut(BaseModel):
    head_position: int | None = Field(description="Position of the newest event; null if none.")
    head_recorded_at: str | None
    consumers: list[ConsumerStatusOut]
    pending_rebuilds: list[str] = Field(
        description="Rebuilds that stopped between their swap and their tail (rerun them)."
    )
    checked_at: str
    dead_letter_topic: str = Field(description="Where projectors put records they cannot project.")
    dead_letters: int = Field(description="Records on the dead-letter topic, of all projectors.")


@router.get("", responses=read_problem_responses(403))
def get_projections(principal: CurrentPrincipal, settings: SettingsDep) -> ProjectionsStatusOut:
    """Position, backlog, age and lag of the relay and each projector."""
    if not principal.has_any(*ROLES):
        raise AccessDenied("projection status is for operators, auditors and admins")
    try:
        current = pipeline_status(StatusSources.from_settings(settings))
    except StatusUnavailable as error:
        raise ReadModelUnavailable(str(error)) from error
    return _out(current)


def _out(current: PipelineStatus) -> ProjectionsStatusOut:
    return ProjectionsStatusOut.model_validate(current, from_attributes=True)
