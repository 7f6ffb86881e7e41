"""Reads that never hand out bytes other than the ones recorded when the blob was stored.

:func:`open_verified` reads the chunks that cover a byte range, checks each against its
recorded SHA-256 (:mod:`akte.core.storage.digests`) *before* yielding any of it, and slices
the range out. The first chunk is read and checked when the iterator is created, so a
damaged blob is refused before a response starts (:class:`BlobDamaged`, 503
``blob_damaged``); damage found later raises inside the stream, which aborts the transfer:
the client gets fewer bytes than ``Content-Length`` promised, a broken download, never a
complete wrong file (:class:`TransferAborted`). A blob that ends early (truncated) is damage as well.

A ``Range`` request reads whole covering chunks (at most 2 × 64 KiB more than asked for).
Verified chunks are sent in pieces of about 1 MiB; the first piece is checked in full
before the response starts.
:func:`measure` reads a whole blob once to compute its digests where none are recorded
(blobs stored before digests existed); it trusts them only if the whole SHA-256 matches
the blob's key.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Iterator
from itertools import chain

from akte.core.storage.base import BlobStore
from akte.core.storage.chunks import ChunkDigests, ChunkHasher
from akte.core.storage.digests import BlobDamaged, damaged_error
from akte.core.storage.faults import s3_error_code

#: Verified bytes are sent in pieces of about this size (fewer, larger ASGI messages).
SEND_SIZE = 1024 * 1024
#: Reads at least this long overlap storage reads with hashing (a thread per download).
READ_AHEAD_FROM = 2 * 1024 * 1024
#: Called with a reason once damage is found (mark the blob in the database).
OnDamage = Callable[[str], None]


def measure(storage: BlobStore, sha256: str) -> ChunkDigests:
    """The digests of what storage holds under ``sha256`` (compare ``.sha256`` yourself)."""
    hasher = ChunkHasher()
    for piece in storage.iter_range(sha256):
        hasher.update(piece)
    return hasher.result()


def _chunks(pieces: Iterator[bytes], lengths: list[int]) -> Iterator[memoryview]:
    """Re-cut ``pieces`` into chunks of ``lengths`` (views, not copies, where a piece holds
    a whole chunk); a short last chunk means storage ended early."""
    buffer = bytearray()
    wanted = iter(lengths)
    want = next(wanted, None)
    for piece in pieces:
        view = memoryview(piece)
        while view and want is not None:
            if not buffer and len(view) >= want:
                yield view[:want]
                view = view[want:]
                want = next(wanted, None)
                continue
            take = want - len(buffer)
            buffer += view[:take]
            view = view[take:]
            if len(buffer) == want:
                yield memoryview(bytes(buffer))
                buffer.clear()
                want = next(wanted, None)
        if want is None:
            return
    if want is not None:
        yield memoryview(bytes(buffer))


def _until_out_of_range(raw: Iterator[bytes]) -> Iterator[bytes]:
    """A range that starts beyond a (truncated) object's end is no bytes, not an error."""
    try:
        yield from raw
    except Exception as exc:
        if s3_error_code(exc) != "InvalidRange":
            raise


class _ReadAhead:
    """Pulls pieces from storage in a thread, at most ``depth`` ahead of the reader, so
    reading the next piece (network, disk) overlaps with hashing this one (``hashlib``
    releases the GIL). The source is iterated and closed in that thread only; an error
    there is raised to the reader; :meth:`close` stops it within ``_POLL`` seconds."""

    _POLL = 0.5

    def __init__(self, source: Iterator[bytes], depth: int = 2) -> None:
        self._queue: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        threading.Thread(
            target=self._run, args=(source,), daemon=True, name="akte-read-ahead"
        ).start()

    def _put(self, item: tuple[str, object]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=self._POLL)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, source: Iterator[bytes]) -> None:
        last: tuple[str, object] = ("end", None)
        try:
            for piece in source:
                if not self._put(("piece", piece)):
                    return
        except Exception as exc:  # re-raised in the reader's thread
            last = ("error", exc)
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        self._put(last)

    def __iter__(self) -> Iterator[bytes]:
        while True:
            kind, value = self._queue.get()
            if kind == "piece":
                yield value  # type: ignore[misc]
            elif kind == "error":
                raise value  # type: ignore[misc]
            else:
                return

    def close(self) -> None:
        self._stop.set()


def open_verified(
    storage: BlobStore,
    digests: ChunkDigests,
    start: int = 0,
    end: int | None = None,
    *,
    on_damage: OnDamage = lambda _reason: None,
) -> Iterator[bytes]:
    """The bytes ``start..end`` (inclusive, like HTTP ``Range``), each chunk verified.

    Raises :class:`BlobDamaged` at once if the first covering chunk is wrong.
    """
    end = digests.size - 1 if end is None else min(end, digests.size - 1)
    if digests.size == 0 or end < start:
        return iter(())
    size = digests.chunk_size
    first, last = start // size, end // size
    lengths = [digests.chunk_length(i) for i in range(first, last + 1)]
    read_from, read_to = first * size, first * size + sum(lengths) - 1
    raw = storage.iter_range(digests.sha256, read_from, read_to)
    if read_to - read_from >= READ_AHEAD_FROM:
        raw = _ReadAhead(raw)  # type: ignore[assignment]
    stream = _verify(
        storage,
        digests,
        raw,
        first,
        lengths,
        start - read_from,
        end - read_from + 1,
        on_damage,
    )
    head = next(stream, None)
    return iter(()) if head is None else chain((head,), _abort_on_damage(stream))


class TransferAborted(Exception):
    """Damage found after the response started: the stream is cut, the client's download
    is incomplete. Deliberately not an ``AkteError``: no error body can be sent any more."""


def _abort_on_damage(stream: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield from stream
    except BlobDamaged as exc:
        raise TransferAborted(exc.detail) from exc


def _verify(
    storage: BlobStore,
    digests: ChunkDigests,
    raw: Iterator[bytes],
    first: int,
    lengths: list[int],
    skip: int,
    stop: int,
    on_damage: OnDamage,
) -> Iterator[bytes]:
    offset = 0  # of the current chunk, relative to ``read_from``
    index = first
    out: list[memoryview] = []
    pending = 0
    try:
        for chunk in _chunks(_until_out_of_range(raw), lengths):
            expected = lengths[index - first]
            if len(chunk) != expected:
                reason = (
                    f"truncated: chunk {index} has {len(chunk)} of {expected} bytes "
                    f"(the file should be {digests.size} bytes)"
                )
                on_damage(reason)
                raise damaged_error(digests.sha256)
            if hashlib.sha256(chunk).digest() != digests.digest(index):
                on_damage(
                    f"chunk {index} (bytes {index * digests.chunk_size}…) does not "
                    "match its recorded SHA-256"
                )
                raise damaged_error(digests.sha256)
            lo, hi = max(skip - offset, 0), min(stop - offset, len(chunk))
            out.append(chunk[lo:hi])
            pending += hi - lo
            offset += len(chunk)
            index += 1
            if pending >= SEND_SIZE:  # verified digest chunks leave in 1 MiB pieces
                yield b"".join(out)
                out, pending = [], 0
        if out:
            yield b"".join(out)
    finally:
        close = getattr(raw, "close", None)
        if close is not None:
            close()
