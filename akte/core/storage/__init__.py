"""Content-addressed blob storage behind one small interface.

Every blob is addressed by the SHA-256 of its bytes (``sha256/ab/cd/abcd…``), so identical
bytes are stored once and a key never changes meaning. Writes are verified (size and hash of
what was written) and never overwrite. Two backends:

* :class:`LocalBlobStore`: a folder, for the embedded default and small offices;
* :class:`S3BlobStore`: any S3-compatible server through the ``minio`` client (MinIO in
  docker-compose, SeaweedFS in the tests, AWS S3 or any other in production).

Backend failures that mean "not now" (server unreachable, timeouts, HTTP 5xx, ``SlowDown``,
EIO) surface as :class:`akte.core.errors.StorageUnavailable` (503), a full disk as
:class:`akte.core.errors.InsufficientStorage` (507), never as a bare client exception
(:mod:`akte.core.storage.faults`).

Reads that leave akte are verified chunk by chunk against digests recorded in the database
when the blob was written (:mod:`.digests`, :mod:`.verified`); see ``README.md``.
"""

from akte.core.storage import digests  # noqa: F401  (records chunk digests on flush)
from akte.core.storage.base import BlobInfo, BlobStore, blob_key, hash_file
from akte.core.storage.factory import make_blob_store
from akte.core.storage.local import LocalBlobStore

TYPE_CHECKING = False
if TYPE_CHECKING:
    from akte.core.storage.s3 import S3BlobStore


def __getattr__(name: str) -> object:
    """``S3BlobStore`` is imported on first use: it brings the ``minio`` client (230 ms),
    which a process on the embedded storage never needs."""
    if name == "S3BlobStore":
        from akte.core.storage.s3 import S3BlobStore

        return S3BlobStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BlobInfo",
    "BlobStore",
    "LocalBlobStore",
    "S3BlobStore",
    "blob_key",
    "hash_file",
    "make_blob_store",
]
