"""Resumable uploads of a delivery's files: the bytes received so far survive a broken
connection, and the client continues from the offset the server reports.

Protocol (a subset of tus 1.0 core, plus ``Content-Range`` PUTs for plain HTTP clients):

* ``HEAD …/items/{external_id}/upload`` answers ``Upload-Offset`` (bytes received) and,
  once known, ``Upload-Length``; ``GET`` answers the same as JSON.
* ``PATCH …/upload`` with ``Upload-Offset: n`` (and ``Upload-Length: total`` on the first
  request) appends the body; or ``PUT …/upload`` with ``Content-Range: bytes n-m/total``.
  The body must start exactly at the received offset (else 409 ``offset_mismatch``, the
  body says the offset to continue from).
* Every byte that arrives is written to the partial file at once, so a request cut off
  half-way keeps what came through; ``HEAD`` then reports that.
* When the offset reaches the length, the whole file is hashed (SHA-256 over all bytes,
  never per chunk) and imported exactly like a one-shot upload: the manifest's checksum,
  page count and type are checked, and the answer is the item (201), or 422 with the
  reason (the partial file is discarded: send the corrected file from offset 0).

The partial file lives in ``AKTE_DATA_DIR/uploads/<delivery>/<item>.part`` (its length
in ``.length``); one writer per item at a time (an advisory lock; a second concurrent
writer gets 409 ``upload_in_progress``). Hosts that serve the API behind one name must
share ``AKTE_DATA_DIR/uploads`` or route a delivery to one host.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from akte.core.errors import AkteError, Conflict, PayloadTooLarge

_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
CHUNK = 1024 * 1024


class BadRange(AkteError):
    status_code = 400
    code = "bad_range"


@dataclass
class PartialFile:
    """The received prefix of one item's file."""

    path: Path
    length_path: Path

    @classmethod
    def of(cls, root: Path, delivery_id: uuid.UUID, item_id: int) -> PartialFile:
        folder = root / "uploads" / str(delivery_id)
        return cls(folder / f"{item_id}.part", folder / f"{item_id}.length")

    @property
    def offset(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    @property
    def length(self) -> int | None:
        try:
            return int(self.length_path.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def declare_length(self, length: int, max_bytes: int) -> None:
        """Fix the total length on the first request; later requests must agree."""
        if length > max_bytes:
            raise PayloadTooLarge(f"the file is larger than {max_bytes} bytes", code="too_large")
        known = self.length
        if known is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.length_path.write_text(str(length))
        elif known != length:
            raise Conflict(
                f"this upload was started with length {known}, not {length}; "
                "send it with the first length or discard it (DELETE)",
                code="length_mismatch",
            )

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        self.length_path.unlink(missing_ok=True)


def parse_content_range(header: str | None) -> tuple[int, int]:
    """``bytes n-m/total`` → ``(n, total)``; the end is implied by the body."""
    match = _RANGE.match((header or "").strip())
    if not match:
        raise BadRange("Content-Range must be 'bytes first-last/total' (total known)")
    first, last, total = (int(g) for g in match.groups())
    if first > last or last >= total:
        raise BadRange(f"Content-Range {header} is not inside the file")
    return first, total


class Writer:
    """Appends to a partial file under an exclusive advisory lock, from ``offset`` on."""

    def __init__(self, partial: PartialFile, offset: int) -> None:
        self.partial = partial
        partial.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(partial.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise Conflict(
                "another request is uploading this file right now", code="upload_in_progress"
            ) from None
        self.fd = fd
        current = os.fstat(fd).st_size
        if offset != current:
            self.close()
            raise Conflict(
                f"the upload continues at offset {current}, not {offset}", code="offset_mismatch"
            )
        self.written = current

    def write(self, data: bytes, limit: int) -> None:
        if self.written + len(data) > limit:
            raise BadRange(f"the body goes beyond the declared length {limit}")
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        self.written += len(data)

    def close(self) -> None:
        if self.fd >= 0:
            os.fsync(self.fd)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = -1
