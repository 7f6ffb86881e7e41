"""The blob store interface and helpers shared by both backends."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from akte.core.storage.chunks import ChunkHasher, remember

CHUNK_SIZE = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class BlobInfo:
    sha256: str
    size: int


def blob_key(sha256: str) -> str:
    """The object key of a blob: fanned out so no folder holds millions of entries."""
    if not _SHA256.match(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def sha256_from_key(key: str) -> str | None:
    name = key.rsplit("/", 1)[-1]
    return name if _SHA256.match(name) else None


def hash_file(path: Path) -> BlobInfo:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
    return BlobInfo(digest.hexdigest(), size)


class BlobStore(Protocol):
    """What the rest of akte may ask of object storage."""

    def put_file(self, fileobj: BinaryIO, *, sha256: str, size: int) -> bool:
        """Store the bytes read from ``fileobj`` (positioned at 0) under their hash.

        Returns ``False`` when the blob already existed (nothing written). Raises
        ``ValueError`` when the bytes read do not match ``sha256``/``size``.
        """
        ...

    def put_bytes(self, data: bytes) -> BlobInfo: ...

    def put_path(self, path: Path) -> BlobInfo: ...

    def exists(self, sha256: str) -> bool: ...

    def stat(self, sha256: str) -> BlobInfo | None: ...

    def iter_range(self, sha256: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield the bytes ``start..end`` (inclusive end, like HTTP Range) in chunks."""
        ...

    def read_bytes(self, sha256: str) -> bytes: ...

    def delete(self, sha256: str) -> None: ...

    def iter_blobs(self) -> Iterator[str]:
        """Every stored blob's SHA-256, for consistency checks."""
        ...

    def check(self) -> None:
        """Raise ``ServiceUnavailable`` if the backend cannot be reached."""
        ...


class BlobStoreBase:
    """Behaviour both backends derive from ``put_file``."""

    def put_file(self, fileobj: BinaryIO, *, sha256: str, size: int) -> bool:
        raise NotImplementedError

    def put_bytes(self, data: bytes) -> BlobInfo:
        info = BlobInfo(hashlib.sha256(data).hexdigest(), len(data))
        self.put_file(io.BytesIO(data), sha256=info.sha256, size=info.size)
        return info

    def put_path(self, path: Path) -> BlobInfo:
        info = hash_file(path)
        with path.open("rb") as fh:
            self.put_file(fh, sha256=info.sha256, size=info.size)
        return info


class HashingReader:
    """Wraps a binary file, hashing and counting what is read through it.

    With an expected hash and size it refuses, *during* the read that reaches the expected
    size, bytes that do not match: the backend is still reading its last part, so the
    upload is abandoned before any object under the claimed key is completed.
    """

    def __init__(
        self, fileobj: BinaryIO, *, sha256: str | None = None, size: int | None = None
    ) -> None:
        self._fileobj = fileobj
        self._expected = (sha256, size)
        self._chunks = ChunkHasher()  # per-chunk digests for verified reads, same pass
        self.sha256 = self._chunks.whole
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._fileobj.read(n)
        self._chunks.update(data)
        self.md5.update(data)
        self.size += len(data)
        expected_sha, expected_size = self._expected
        if expected_size is not None and (self.size >= expected_size or not data):
            verify(self, sha256=expected_sha or "", size=expected_size)
            remember(self._chunks.result())
        return data


def verify(reader: HashingReader, *, sha256: str, size: int) -> None:
    if reader.size != size or reader.sha256.hexdigest() != sha256:
        raise ValueError(
            f"blob content changed while storing: expected {sha256} ({size} bytes), "
            f"read {reader.sha256.hexdigest()} ({reader.size} bytes)"
        )
