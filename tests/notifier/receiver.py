"""A real HTTP server that receives webhooks in tests: records every request and answers with
the status the test sets (or fails a chosen share of requests, or is switched off)."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class Receiver:
    def __init__(self, port: int = 0) -> None:
        self.requests: list[Received] = []
        self.status = 200
        self.failure_rate = 0.0
        self.delay_s = 0.0  # how long the receiver takes to answer (a slow receiver)
        self._random = random.Random(7)
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                if receiver.delay_s:
                    threading.Event().wait(receiver.delay_s)
                status = receiver._answer()
                with receiver._lock:
                    receiver.requests.append(
                        Received({k.lower(): v for k, v in self.headers.items()}, body, status)
                    )
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def delivered(self) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if 200 <= r.status < 300]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self) -> int:
        if self.failure_rate and self._random.random() < self.failure_rate:
            return 503
        return self.status


@contextmanager
def receiver(port: int = 0) -> Iterator[Receiver]:
    running = Receiver(port)
    try:
        yield running
    finally:
        running.stop()
