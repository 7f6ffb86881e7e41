"""Blobs in a local folder: written to a temporary file, fsynced, then linked into place.

``os.link`` fails if the target exists, so a write can never replace a stored blob, and a
crash leaves at most a stray temporary file (cleaned on the next start), never a torn blob.
A full disk (ENOSPC, EDQUOT) raises ``InsufficientStorage``, a failing one (EIO …)
``StorageUnavailable``, with the temporary file removed; a missing blob stays
``FileNotFoundError`` (see :mod:`.faults`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from akte.core.storage.base import (
    CHUNK_SIZE,
    BlobInfo,
    BlobStoreBase,
    HashingReader,
    blob_key,
    sha256_from_key,
    verify,
)
from akte.core.storage.faults import translated, translated_iter


class LocalBlobStore(BlobStoreBase):
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._tmp = self.root / ".tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        for stray in self._tmp.iterdir():
            stray.unlink(missing_ok=True)

    def _path(self, sha256: str) -> Path:
        return self.root / blob_key(sha256)

    def put_file(self, fileobj: BinaryIO, *, sha256: str, size: int) -> bool:
        with translated():
            return self._put_file(fileobj, sha256=sha256, size=size)

    def _put_file(self, fileobj: BinaryIO, *, sha256: str, size: int) -> bool:
        target = self._path(sha256)
        if target.exists():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        reader = HashingReader(fileobj, sha256=sha256, size=size)
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := reader.read(CHUNK_SIZE):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            verify(reader, sha256=sha256, size=size)
            try:
                os.link(tmp_name, target)
            except FileExistsError:
                return False
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)

    def exists(self, sha256: str) -> bool:
        return self.stat(sha256) is not None

    def stat(self, sha256: str) -> BlobInfo | None:
        try:
            with translated():
                return BlobInfo(sha256, self._path(sha256).stat().st_size)
        except FileNotFoundError:
            return None

    def iter_range(self, sha256: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        return translated_iter(self._iter_range(sha256, start, end))

    def _iter_range(self, sha256: str, start: int, end: int | None) -> Iterator[bytes]:
        path = self._path(sha256)
        with path.open("rb") as fh:
            fh.seek(start)
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                want = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
                chunk = fh.read(want)
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def read_bytes(self, sha256: str) -> bytes:
        with translated():
            return self._path(sha256).read_bytes()

    def delete(self, sha256: str) -> None:
        with translated():
            self._path(sha256).unlink(missing_ok=True)

    def iter_blobs(self) -> Iterator[str]:
        base = self.root / "sha256"
        if not base.exists():
            return
        for path in sorted(base.rglob("*")):
            if path.is_file() and (sha := sha256_from_key(path.name)):
                yield sha

    def check(self) -> None:
        if not os.access(self.root, os.W_OK):
            from akte.core.errors import ServiceUnavailable

            raise ServiceUnavailable(f"blob folder {self.root} is not writable")
