"""Operational endpoints every service exposes: ``/health/live``, ``/health/ready`` and
``/metrics``. Each app supplies its own readiness check."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

import structlog
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from infra.http.app_state import MetricsDep
from infra.http.problems import RETRY_AFTER_S, problem_response, problem_responses
from infra.http.routing import DocstringSummaryRoute

ReadinessCheck = Callable[[Request], None] | Callable[[Request], Awaitable[None]]
"""Returns when the service can serve; raises (anything) when it cannot. Either a coroutine
function or a blocking function (run in the thread pool)."""

log = structlog.get_logger()

_PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


class HealthStatus(BaseModel):
    """Health check outcome."""

    status: str


def build_operations_router(check_ready: ReadinessCheck) -> APIRouter:
    """Health and metrics routes; ``check_ready`` decides readiness."""
    router = APIRouter(tags=["operations"], route_class=DocstringSummaryRoute)

    @router.get("/health/live")
    async def live() -> HealthStatus:
        """Liveness: the process is up and serving HTTP."""
        return HealthStatus(status="live")

    @router.get("/health/ready", response_model=HealthStatus, responses=problem_responses(503))
    async def ready(request: Request) -> Response:
        """Readiness: the servers this service depends on answer."""
        try:
            if inspect.iscoroutinefunction(check_ready):
                await check_ready(request)
            else:
                await run_in_threadpool(check_ready, request)
        except Exception as error:
            log.warning("readiness_check_failed", error=str(error))
            return problem_response(
                503,
                "not-ready",
                "A server this service depends on does not answer.",
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
        return JSONResponse({"status": "ready"})

    @router.get("/metrics", response_class=Response)
    async def metrics(metrics: MetricsDep) -> Response:
        """Prometheus metrics in the text exposition format."""
        return Response(metrics.render(), media_type=_PROMETHEUS_TEXT)

    return router
