"""Overlapping I/O with folding in rebuilds: a thread that reads the next batch from the event
store while the current one is folded, and a thread that writes folded results while the next
batch is folded.

Folding is Python work that holds the interpreter lock; waiting for PostgreSQL, MongoDB or
Elasticsearch releases it, and those servers work on the machine's other cores meanwhile. Each
stage keeps its order (one thread each, FIFO queues) and a bounded queue, so memory stays a few
batches deep. An error on a thread is raised in the caller at its next hand-over.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_DONE = object()
_POLL_S = 0.1  # how often a blocked hand-over checks whether the other side gave up


class BackgroundWriter:
    """Runs submitted calls in order on one thread. ``drain`` waits until all have run; both
    ``submit`` and ``drain`` raise the first error a call raised. ``close`` stops the thread
    (pending calls are skipped if ``discard``)."""

    def __init__(self, name: str, depth: int = 4) -> None:
        self._name = name
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._discard = threading.Event()

    def submit(self, call: Callable[..., object], *args: object) -> None:
        self._raise_error()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
        self._queue.put((call, args))

    def drain(self) -> None:
        if self._thread is not None:
            self._queue.join()
        self._raise_error()

    def close(self, discard: bool = False) -> None:
        if self._thread is None:
            return
        if discard:
            self._discard.set()
        self._queue.put(_DONE)
        self._thread.join()
        self._thread = None

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _DONE:
                    return
                if self._error is None and not self._discard.is_set():
                    call, args = item
                    call(*args)
            except BaseException as error:  # handed to the caller
                self._error = error
            finally:
                self._queue.task_done()


def read_ahead(read: Callable[[], T | None], name: str, depth: int = 2) -> Iterator[T]:
    """Yield what ``read()`` returns until it returns None, calling it on a thread up to
    ``depth`` calls ahead of the consumer. Closing the iterator stops the thread."""
    handover: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        while not stop.is_set():
            try:
                item: Any = read()
            except BaseException as error:  # handed to the consumer
                item = error
            while not stop.is_set():
                try:
                    handover.put(item, timeout=_POLL_S)
                    break
                except queue.Full:
                    continue
            if item is None or isinstance(item, BaseException):
                return

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = handover.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
