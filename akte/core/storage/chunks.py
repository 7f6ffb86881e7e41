"""Per-chunk SHA-256 digests of a blob, computed while its bytes stream past.

A blob's key is the SHA-256 of all its bytes, which can only be checked after the last
byte. To check a download *before* each piece is sent (and a ``Range`` request without
reading the whole file), akte also keeps the SHA-256 of every :data:`DIGEST_CHUNK` piece,
concatenated (see :mod:`akte.core.storage.digests`). Why 64 KiB and not the 1 MiB that
akte streams in: a ``Range`` request must hash every chunk it touches, and a PDF viewer's
64 KiB range would otherwise cost a 1 MiB read and hash (measured in
``bench/download.py``); a full download hashes each byte once either way. The price is
512 bytes of digests per MiB (256 KB for a 512 MB scan).

Writers compute them as a side effect of the hashing they already do
(:class:`akte.core.storage.base.HashingReader`) and leave them here, in a small
per-process memory (:func:`remember`), until the row that references the blob is flushed
and takes them into the same transaction (:mod:`akte.core.storage.digests`). The memory is
bounded; a blob it has forgotten gets its digests on its first verified read or scrub.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

#: The size of a digested chunk; recorded per blob, so it may change for new blobs.
DIGEST_CHUNK = 64 * 1024
#: Digests of this many recently written blobs are kept until a row takes them.
REMEMBERED_BLOBS = 512


@dataclass(frozen=True)
class ChunkDigests:
    """What the database records about a blob's bytes: its size and each chunk's SHA-256."""

    sha256: str
    size: int
    chunk_size: int
    digests: bytes  # 32 bytes per chunk, in order

    @property
    def chunk_count(self) -> int:
        return len(self.digests) // 32

    def digest(self, index: int) -> bytes:
        return self.digests[index * 32 : index * 32 + 32]

    def chunk_length(self, index: int) -> int:
        """Bytes in chunk ``index`` (the last one may be short)."""
        return min(self.chunk_size, self.size - index * self.chunk_size)


class ChunkHasher:
    """Feed bytes in any pieces; get the whole SHA-256 and each fixed-size chunk's SHA-256."""

    def __init__(self, chunk_size: int = DIGEST_CHUNK) -> None:
        self.chunk_size = chunk_size
        self.whole = hashlib.sha256()
        self.size = 0
        self._chunk = hashlib.sha256()
        self._in_chunk = 0
        self._digests = bytearray()

    def update(self, data: bytes | memoryview) -> None:
        self.whole.update(data)
        self.size += len(data)
        view = memoryview(data)
        while view:
            room = self.chunk_size - self._in_chunk
            piece, view = view[:room], view[room:]
            self._chunk.update(piece)
            self._in_chunk += len(piece)
            if self._in_chunk == self.chunk_size:
                self._digests += self._chunk.digest()
                self._chunk = hashlib.sha256()
                self._in_chunk = 0

    def result(self) -> ChunkDigests:
        digests = bytes(self._digests)
        if self._in_chunk:
            digests += self._chunk.digest()
        return ChunkDigests(self.whole.hexdigest(), self.size, self.chunk_size, digests)


_remembered: OrderedDict[str, ChunkDigests] = OrderedDict()
_lock = threading.Lock()


def remember(digests: ChunkDigests) -> None:
    """Keep a written blob's digests until a row referencing it is flushed.

    Correct even if the write itself later fails: the digests are a function of the
    content, and the content is named by its hash.
    """
    with _lock:
        _remembered[digests.sha256] = digests
        _remembered.move_to_end(digests.sha256)
        while len(_remembered) > REMEMBERED_BLOBS:
            _remembered.popitem(last=False)


def recall(sha256: str) -> ChunkDigests | None:
    with _lock:
        return _remembered.get(sha256)


def has_remembered() -> bool:
    return bool(_remembered)
