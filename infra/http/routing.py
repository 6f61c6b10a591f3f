"""Route conventions shared by both APIs: a route's one-line docstring is its OpenAPI summary."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute


class DocstringSummaryRoute(APIRoute):
    """An ``APIRoute`` whose summary is the first line of the endpoint's docstring (FastAPI would
    otherwise title-case the function name). The docstring also stays the description."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if kwargs.get("summary") is None:
            doc = inspect.getdoc(endpoint)
            if doc:
                kwargs["summary"] = doc.partition("\n")[0].strip()
        super().__init__(path, endpoint, **kwargs)
