"""A read-only set of words in a few MB, loaded from one cached file in milliseconds.

The decompounder asks "is this a German word?" some dozen times per new word form. A
Python ``frozenset`` of the 353,000 folded words of ``wngerman`` answers fast but costs
every process that loads it about 75-90 MB (a ``str`` object and a hash-table slot per
word) and 1-2 s to read and fold the list. Every reindex worker and every API process
that expands a query holds one.

:class:`WordSet` keeps the same words as three flat buffers: the words' UTF-8 bytes one
after another (``blob``), where each starts (``offsets``, ``array('I')``), and a 64-bit
BLAKE2b hash of each, sorted (``hashes``, ``array('Q')``; the words are stored in that
order). A lookup hashes the word, finds the hash with :func:`bisect.bisect_left` (C code
over the array) and compares the stored bytes, so the answer is exact, not
probabilistic. About 11 bytes of text + 12 bytes of index per word: ~8 MB for the list.

The buffers are written once to a cache file (:func:`cached`), named after the source
files' sizes and modification times and the fold's version, so a changed word list or
fold makes a new file; a process then reads the file instead of the word list
(tens of milliseconds). Without a writable cache folder the set is built in memory
(the same few MB, the build time of the list).
"""

from __future__ import annotations

import hashlib
import logging
import os
import struct
import tempfile
import threading
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable
from pathlib import Path

log = logging.getLogger(__name__)

_MAGIC = b"AKTEWS1\n"
_HEADER = struct.Struct("<8sQQ")  # magic, number of words, blob bytes


#: Separates a key from its value in an entry of a map (:meth:`WordSet.get`).
SEP = "\x00"


def _hash(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def _key_hash(entry: bytes) -> int:
    return _hash(entry.split(b"\x00", 1)[0])


class WordSet:
    """Exact membership of ``str`` words (see the module docstring for the layout)."""

    __slots__ = ("_blob", "_hashes", "_offsets")

    def __init__(self, hashes: array, offsets: array, blob: bytes) -> None:
        self._hashes = hashes
        self._offsets = offsets
        self._blob = blob

    @classmethod
    def build(cls, words: Iterable[str]) -> WordSet:
        """From words, or from map entries ``key + SEP + value`` (hashed by the key)."""
        encoded = sorted({w.encode("utf-8") for w in words}, key=_key_hash)
        hashes = array("Q", (_key_hash(w) for w in encoded))
        offsets = array("I", [0])
        total = 0
        for word in encoded:
            total += len(word)
            offsets.append(total)
        return cls(hashes, offsets, b"".join(encoded))

    def __len__(self) -> int:
        return len(self._hashes)

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        data = word.encode("utf-8")
        key = _hash(data)
        hashes = self._hashes
        i = bisect_left(hashes, key)
        offsets, blob, n = self._offsets, self._blob, len(hashes)
        while i < n and hashes[i] == key:  # equal hashes: compare the words themselves
            if blob[offsets[i] : offsets[i + 1]] == data:
                return True
            i += 1
        return False

    def get(self, key: str) -> str | None:
        """The value stored with ``key`` (entries ``key + SEP + value``), or ``None``."""
        data = key.encode("utf-8")
        h = _hash(data)
        hashes = self._hashes
        i = bisect_left(hashes, h)
        offsets, blob, n = self._offsets, self._blob, len(hashes)
        prefix = data + b"\x00"
        while i < n and hashes[i] == h:
            entry = blob[offsets[i] : offsets[i + 1]]
            if entry.startswith(prefix):
                return entry[len(prefix) :].decode("utf-8")
            i += 1
        return None

    def __iter__(self):  # type: ignore[no-untyped-def]
        offsets, blob = self._offsets, self._blob
        for i in range(len(self._hashes)):
            yield blob[offsets[i] : offsets[i + 1]].decode("utf-8")

    @property
    def nbytes(self) -> int:
        """Bytes held by the three buffers."""
        return (
            len(self._blob)
            + self._hashes.itemsize * len(self._hashes)
            + self._offsets.itemsize * len(self._offsets)
        )

    # -- file ----------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        return b"".join(
            (
                _HEADER.pack(_MAGIC, len(self._hashes), len(self._blob)),
                self._hashes.tobytes(),
                self._offsets.tobytes(),
                self._blob,
            )
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> WordSet:
        magic, count, size = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise ValueError("not a word set file")
        pos = _HEADER.size
        hashes = array("Q")
        hashes.frombytes(data[pos : pos + 8 * count])
        pos += 8 * count
        offsets = array("I")
        offsets.frombytes(data[pos : pos + 4 * (count + 1)])
        pos += 4 * (count + 1)
        blob = data[pos : pos + size]
        if len(hashes) != count or len(offsets) != count + 1 or len(blob) != size:
            raise ValueError("truncated word set file")
        return cls(hashes, offsets, blob)


def cache_dir() -> Path | None:
    """Where built word sets are kept: ``AKTE_WORDSET_CACHE``, else ``cache/`` under
    ``AKTE_DATA_DIR`` (default ``var``, as the settings), created on demand."""
    explicit = os.environ.get("AKTE_WORDSET_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("AKTE_DATA_DIR", "var")) / "cache"


#: One build at a time per word set in a process: a search that comes while the start-up
#: thread (:mod:`search.warm`) builds the set waits for it and then reads its file,
#: instead of building the same set a second time beside it.
_build_locks: dict[str, threading.Lock] = {}
_build_locks_guard = threading.Lock()


def _build_lock(name: str) -> threading.Lock:
    with _build_locks_guard:
        return _build_locks.setdefault(name, threading.Lock())


def cached(
    name: str, sources: Iterable[Path], version: str, build: Callable[[], Iterable[str]]
) -> WordSet:
    """The word set ``build()`` makes, read from the cache file for these ``sources``
    (their sizes and modification times) and ``version`` when one exists, else built
    and written there (atomically: concurrent processes write their own temporary file
    and the last rename wins; all of them hold the same words)."""
    with _build_lock(name):
        return _cached(name, sources, version, build)


def _cached(
    name: str, sources: Iterable[Path], version: str, build: Callable[[], Iterable[str]]
) -> WordSet:
    key = hashlib.sha256(version.encode())
    for path in sources:
        try:
            st = path.stat()
            key.update(f"{path}:{st.st_size}:{st.st_mtime_ns};".encode())
        except OSError:
            key.update(f"{path}:missing;".encode())
    folder = cache_dir()
    target = folder / f"{name}-{key.hexdigest()[:16]}.bin" if folder else None
    if target is not None:
        try:
            return WordSet.from_bytes(target.read_bytes())
        except (OSError, ValueError, struct.error):
            pass
    words = WordSet.build(build())
    if target is not None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{name}-")
            with os.fdopen(fd, "wb") as out:
                out.write(words.to_bytes())
            os.chmod(tmp, 0o644)  # other processes of the installation read it too
            os.replace(tmp, target)
        except OSError as exc:
            log.info("word set cache %s not written (%s); built in memory", target, exc)
    return words
