"""Which storage errors mean "not now", and the one exception each of them becomes.

An object store or a disk fails in two very different ways. *Not now*: the server is
restarting (connection refused, HTTP 500 while it shuts down), overloaded (503
``SlowDown``), slow (timeouts), or the disk is full or flaky (ENOSPC, EDQUOT, EIO). The same
request succeeds later; nothing is wrong with the data. These become
:class:`~akte.core.errors.StorageUnavailable` (HTTP 503 with ``Retry-After``), a full disk
:class:`~akte.core.errors.InsufficientStorage` (HTTP 507, ``storage_full``). Jobs retry
them with back-off for as long as an outage may last (:mod:`akte.jobs.repository`).

*The data itself*: a blob that does not exist (``FileNotFoundError``, S3 ``NoSuchKey``) or
whose bytes do not match their hash. Those are left as they are, so the caller can say
what is missing and a document can be marked ``failed`` with what to do.

Both backends wrap their calls with :func:`translated`; :func:`classify` is also used by
jobs for errors raised outside a backend (a full temporary folder while processing).
"""

from __future__ import annotations

import errno
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from akte.core.errors import InsufficientStorage, StorageUnavailable

#: errno values that mean the disk is full: an operator must free or add space.
FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
#: errno values of a disk or network file system that is failing for now.
FLAKY = frozenset(
    {
        errno.EIO,
        errno.EAGAIN,
        errno.EBUSY,
        errno.ETIMEDOUT,
        errno.ENOTCONN,
        errno.ESTALE,
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.EROFS,
    }
)
#: S3 error codes that say "try again later" (AWS, MinIO, SeaweedFS spellings).
S3_TRANSIENT_CODES = frozenset(
    {
        "SlowDown",
        "ServiceUnavailable",
        "InternalError",
        "RequestTimeout",
        "RequestTimeTooSkewed",
        "XMinioServerNotInitialized",
        "XMinioReadQuorum",
        "XMinioWriteQuorum",
        "OperationAborted",
    }
)
S3_FULL_CODES = frozenset({"XMinioStorageFull", "XAmzStorageFull", "QuotaExceeded"})

FULL_DETAIL = (
    "blob storage is full ({where}): nothing was stored. Free space or enlarge the volume; "
    "the same upload succeeds afterwards"
)


def _where(exc: BaseException) -> str:
    filename = getattr(exc, "filename", None)
    return (
        f"{exc.strerror or 'no space left'} at {filename}"
        if filename
        else (getattr(exc, "strerror", None) or "no space left on device")
    )


def classify(exc: BaseException) -> StorageUnavailable | None:
    """The outage ``exc`` stands for, or ``None`` when it is not a "not now" error."""
    if isinstance(exc, StorageUnavailable):
        return exc
    if isinstance(exc, OSError) and exc.errno in FULL:
        return InsufficientStorage(FULL_DETAIL.format(where=_where(exc)))
    if isinstance(exc, (socket.timeout, TimeoutError, ConnectionError)):
        return StorageUnavailable(f"storage did not answer in time ({type(exc).__name__})")
    if isinstance(exc, OSError) and exc.errno in FLAKY:
        return StorageUnavailable(f"storage failed for now: {exc.strerror} ({_where(exc)})")
    return _classify_s3(exc)


def _classify_s3(exc: BaseException) -> StorageUnavailable | None:
    """The S3 client's errors. Its modules are looked up, not imported: an exception can be
    one of their classes only if the S3 backend, which imports them, raised it. So a
    process on the embedded storage never loads them (``minio`` alone took 230 ms of every
    ``akte`` command's start)."""
    urllib3_errors = sys.modules.get("urllib3.exceptions")
    if urllib3_errors is not None and isinstance(exc, urllib3_errors.HTTPError):
        return StorageUnavailable(f"object storage is not reachable: {type(exc).__name__}")
    s3 = sys.modules.get("minio.error")
    if s3 is None:
        return None
    if isinstance(exc, s3.ServerError):
        return StorageUnavailable(f"object storage answered HTTP {exc.status_code}")
    if isinstance(exc, s3.InvalidResponseError):
        status = _status_of(exc)
        if status is None or status >= 500 or status == 429:
            return StorageUnavailable(f"object storage answered HTTP {status or '?'}")
        return None
    if isinstance(exc, s3.S3Error):
        if exc.code in S3_FULL_CODES:
            return InsufficientStorage(FULL_DETAIL.format(where=f"S3 {exc.code}"))
        status = getattr(exc.response, "status", None)
        if exc.code in S3_TRANSIENT_CODES or (status is not None and status >= 500):
            return StorageUnavailable(f"object storage answered {exc.code} (HTTP {status})")
    return None


def s3_error_code(exc: BaseException) -> str | None:
    """The S3 error code (``NoSuchKey``, ``InvalidRange``) if ``exc`` is the S3 client's
    error, else ``None``; without importing the client (see :func:`_classify_s3`)."""
    s3 = sys.modules.get("minio.error")
    if s3 is not None and isinstance(exc, s3.S3Error):
        return str(exc.code)
    return None


def _status_of(exc: BaseException) -> int | None:
    code = getattr(exc, "_code", None)
    return code if isinstance(code, int) else None


@contextmanager
def translated() -> Iterator[None]:
    """Re-raise "not now" errors of the block as :class:`StorageUnavailable`; let the rest
    (missing blobs, hash mismatches, bugs) pass unchanged."""
    try:
        yield
    except Exception as exc:
        outage = classify(exc)
        if outage is None or outage is exc:
            raise
        count_outage(outage)
        raise outage from exc


def count_outage(outage: StorageUnavailable) -> None:
    """``akte_storage_errors_total``: every outage a backend call met, once."""
    from akte.core.metrics import STORAGE_ERRORS

    kind = "full" if isinstance(outage, InsufficientStorage) else "unavailable"
    STORAGE_ERRORS.labels(kind=kind).inc()


def translated_iter(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """:func:`translated` for a stream that fails while it is read."""
    with translated():
        yield from chunks
