"""Typed access to what an app factory stores on ``app.state``: the settings and the metrics.

App factories set ``app.state.settings`` and ``app.state.metrics`` before serving; dependencies
read them from the request's app, so nothing is global and tests can build many apps. They are
``async`` although they do not wait: FastAPI runs a plain ``def`` dependency in a worker thread,
a hop that costs more than reading an attribute.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from infra.http.metrics import HttpMetrics
from infra.settings import Settings


async def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_metrics(request: Request) -> HttpMetrics:
    """The app's Prometheus metrics."""
    metrics: HttpMetrics = request.app.state.metrics
    return metrics


SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[HttpMetrics, Depends(get_metrics)]
