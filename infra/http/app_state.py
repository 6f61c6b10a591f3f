"""Typed access to what an app factory stores on ``app.state``: the settings and the metrics.

App factories set ``app.state.settings`` and ``app.state.metrics`` before serving; dependencies
read them from the request's app, so nothing is global and tests can build many apps.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from infra.http.metrics import HttpMetrics
from infra.settings import Settings


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_metrics(request: Request) -> HttpMetrics:
    """The app's Prometheus metrics."""
    metrics: HttpMetrics = request.app.state.metrics
    return metrics


SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[HttpMetrics, Depends(get_metrics)]
