"""Memos of word functions (stem, compound parts, splits) bounded by bytes, not entries.

Indexing looks the same word forms up again and again, so the analysis memoises them per
process. A memo bounded by a number of entries grows with every word form it has not
seen, and documents bring new ones with every document: numbers, names, Aktenzeichen,
IBANs. There were several, of 200,000-300,000 entries each (about 165 bytes an entry for
a word and its stem): one per :class:`search.analysis.GermanStemFilter` instance — a
Whoosh server has at least three —, the word → parts memo, and the decompounder's parts
and splits; full, they would have held several hundred megabytes, and a soak of one
document at a time (``python -m bench.soak``) filled them by about 1.3 KB a document.

A :class:`Memo` counts the bytes of what it holds (key, value and the dictionary's own
share) and keeps two generations: new entries go into the young one; when it has used
half the bound, it becomes the old one and the previous old one is dropped. A word found
in the old generation moves into the young one, so the words a county uses all the time
survive a turn-over, and the memo never holds more than its bound. Plain ``dict``
operations (atomic under the GIL) make it safe to share between threads: two threads
racing at a turn-over lose at most an entry, which is computed again.
"""

from __future__ import annotations

import sys
from typing import Generic, TypeVar, overload

K = TypeVar("K")
V = TypeVar("V")
D = TypeVar("D")

#: What a dictionary entry costs beyond its key and value: the 24-byte entry, its index
#: slot and the free room a dictionary keeps (up to about three times the entries right
#: after it grew). Measured: ``tests/search/test_memo.py``.
ENTRY_BYTES = 104
_MISSING = object()


def nbytes(value: object) -> int:
    """What ``value`` holds: a string, or a tuple of strings (parts, splits); ``None`` and
    other shared singletons cost nothing."""
    if value is None or value is True or value is False:
        return 0
    if isinstance(value, tuple):
        return sys.getsizeof(value) + sum(nbytes(item) for item in value)
    return sys.getsizeof(value)


class Memo(Generic[K, V]):
    """A memo of at most ``max_bytes`` (estimated, see :data:`ENTRY_BYTES`)."""

    __slots__ = ("_bytes", "max_bytes", "old", "young")

    def __init__(self, max_bytes: int) -> None:
        #: the generation new entries go into; readers in a hurry may ``young.get`` first
        self.young: dict[K, V] = {}
        self.old: dict[K, V] = {}
        self.max_bytes = max_bytes
        self._bytes = 0

    @overload
    def get(self, key: K) -> V | None: ...

    @overload
    def get(self, key: K, default: D) -> V | D: ...

    def get(self, key: K, default: object = None) -> object:
        """The value for ``key``, or ``default``; a value of the old generation moves
        into the young one."""
        young = self.young.get(key, _MISSING)
        if young is not _MISSING:
            return young
        old = self.old.get(key, _MISSING)
        if old is _MISSING:
            return default
        return self.put(key, old)  # type: ignore[arg-type]

    def __contains__(self, key: object) -> bool:
        return key in self.young or key in self.old

    def put(self, key: K, value: V) -> V:
        """Remembers ``value`` for ``key`` and returns it."""
        self.young[key] = value
        self._bytes += ENTRY_BYTES + sys.getsizeof(key) + nbytes(value)
        if self._bytes > self.max_bytes // 2:
            self.old, self.young, self._bytes = self.young, {}, 0
        return value

    def __len__(self) -> int:
        return len(self.young) + len(self.old)

    def clear(self) -> None:
        self.young, self.old, self._bytes = {}, {}, 0
