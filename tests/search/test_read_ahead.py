"""The rebuild's read-ahead (:func:`search.read_ahead.read_ahead`): the same items in the
same order, the reader's errors raised where the caller reads, and a thread that ends
when the caller stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from search.read_ahead import read_ahead


def _reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "akte-read-ahead"]


def test_items_come_in_order_and_all_of_them() -> None:
    assert list(read_ahead(iter(range(1234)), batch=100)) == list(range(1234))
    assert list(read_ahead(iter([]), batch=100)) == []
    assert not _reader_threads()


def test_the_reader_stays_ahead_by_at_most_depth_batches() -> None:
    """While the caller holds the first item, the thread reads on, but no further than
    the batch in hand plus ``depth`` batches queued plus the one it is filling."""
    read: list[int] = []

    def counted() -> Iterator[int]:
        for n in range(10_000):
            read.append(n)
            yield n

    items = read_ahead(counted(), batch=10, depth=2)
    assert next(items) == 0
    deadline = time.monotonic() + 5
    while len(read) < 30 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert 30 <= len(read) <= 41  # 1 in hand + 2 queued + 1 filling (+ the item on put)
    items.close()
    assert not _reader_threads()


def test_an_error_while_reading_reaches_the_caller_after_the_items_before_it() -> None:
    def failing() -> Iterator[int]:
        yield from range(25)
        raise ValueError("connection lost")

    got: list[int] = []
    with pytest.raises(ValueError, match="connection lost"):
        for item in read_ahead(failing(), batch=10):
            got.append(item)
    assert got == list(range(25))
    assert not _reader_threads()


def test_a_caller_that_stops_early_closes_the_source() -> None:
    """The source is closed in the reading thread (its session ends) before the caller
    goes on."""
    closed = threading.Event()

    def source() -> Iterator[int]:
        try:
            yield from range(100_000)
        finally:
            closed.set()

    items = read_ahead(source(), batch=50)
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    items.close()
    assert closed.is_set()
    assert not _reader_threads()
