"""A fast webhook receiver for bench/webhooks.py, run in its own process under uvicorn:
answers every POST with 204 and remembers (webhook-id, arrival time, the body's created_at);
``GET /stats`` returns them, ``DELETE /stats`` forgets them.

    python -m uvicorn bench.webhook_receiver:app --port P --no-access-log
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

arrivals: list[tuple[str, float, str]] = []


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    arrived = time.time()
    status, payload = 204, b""
    if scope["method"] == "POST":
        headers = dict(scope["headers"])
        created = json.loads(body).get("created_at", "") if body else ""
        arrivals.append((headers.get(b"webhook-id", b"").decode(), arrived, created))
    elif scope["path"] == "/stats" and scope["method"] == "GET":
        status, payload = 200, json.dumps(arrivals).encode()
    elif scope["path"] == "/stats" and scope["method"] == "DELETE":
        arrivals.clear()
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": payload})
