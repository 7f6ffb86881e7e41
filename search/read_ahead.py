"""Reading the next rows while the current ones are analysed.

A rebuild part reads its documents batch by batch (:func:`search.loader.stream`) and
analyses each batch in Python. Read in turn, the process waits while the database plans,
reads and sends the next batch: the part processes of a 1,000,000-document rebuild ran at
about 86 % of a core each. :func:`read_ahead` moves the reading to a thread that stays
up to ``depth`` batches ahead. The database driver waits for the server without the GIL,
so the wait overlaps the analysis; turning rows into documents still takes the GIL, and
stays the same work.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar, cast

T = TypeVar("T")

#: How long the reading thread waits for room in the queue before it looks whether the
#: caller has stopped.
_POLL_SECONDS = 0.1


class _Failed:
    """The reading thread's exception, handed to the caller to raise."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


def read_ahead(items: Iterator[T], batch: int = 500, depth: int = 2) -> Iterator[T]:
    """``items`` in their order, read by a thread up to ``depth`` lists of ``batch``
    ahead of the caller (at most ``(depth + 2) × batch`` items in memory).

    An exception while reading is raised to the caller after the items read before it;
    a caller that stops early (closes the generator) stops the thread, which closes
    ``items`` (so its transaction ends) before the caller goes on.
    """
    handover: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(thing: object) -> bool:
        while not stop.is_set():
            try:
                handover.put(thing, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def fill() -> None:
        chunk: list[T] = []
        try:
            for item in items:
                chunk.append(item)
                if len(chunk) >= batch:
                    if not put(chunk):
                        return
                    chunk = []
            if chunk and not put(chunk):
                return
            put(_DONE)
        except BaseException as error:  # handed to the caller, who raises it
            if not chunk or put(chunk):
                put(_Failed(error))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=fill, name="akte-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            got = handover.get()
            if got is _DONE:
                return
            if isinstance(got, _Failed):
                raise got.error
            yield from cast(list[T], got)  # a chunk: the only other kind
    finally:
        stop.set()
        reader.join()
