"""Blobs in an S3-compatible bucket through the ``minio`` client.

The bucket is created on start-up if missing. Uploads stream in 16 MiB parts, so a 200 MB
scan never sits in memory. A write is verified: the bytes sent must hash to the expected
SHA-256, the stored object must have the expected size, and a single-part upload's ETag
must equal the MD5 of what was sent. Every "not now" answer — network failures, HTTP 5xx
(``ServerError``), ``SlowDown`` — becomes ``StorageUnavailable`` (503) after a short, bounded
retry, so an outage fails fast instead of hanging requests (see :mod:`.faults`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import BinaryIO

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError

from akte.core.errors import StorageUnavailable
from akte.core.storage.base import (
    CHUNK_SIZE,
    BlobInfo,
    BlobStoreBase,
    HashingReader,
    blob_key,
    sha256_from_key,
    verify,
)
from akte.core.storage.faults import classify, count_outage, translated, translated_iter

PART_SIZE = 16 * 1024 * 1024
#: How long a starting process waits for an object store that answers "not now".
START_WAIT_SECONDS = 20.0
_NOT_FOUND = {"NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound"}


def _unavailable(exc: Exception) -> StorageUnavailable:
    """Any error of a probe (stat, bucket check) that is not "missing" is an outage."""
    outage = classify(exc) or StorageUnavailable(
        f"object storage is not usable: {getattr(exc, 'code', None) or type(exc).__name__}"
    )
    count_outage(outage)
    return outage


class S3BlobStore(BlobStoreBase):
    def __init__(
        self,
        *,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        secure: bool = False,
        region: str | None = None,
    ) -> None:
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=3.0, read=60.0),
            maxsize=16,
            retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[502, 503, 504]),
        )
        self.bucket = bucket
        self.client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=http,
        )

    def ensure_bucket(self, *, wait_seconds: float = START_WAIT_SECONDS) -> None:
        """Create the bucket if it is missing. A server that answers "not now" (HTTP 5xx,
        no connection) is asked again for up to ``wait_seconds``: processes often start
        together with the object store (compose, a restart after an outage), and one
        busy moment must not keep them from starting."""
        deadline = time.monotonic() + wait_seconds
        pause = 0.25
        while True:
            try:
                with translated():
                    if not self.client.bucket_exists(self.bucket):
                        self.client.make_bucket(self.bucket)
                return
            except S3Error as exc:
                if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise
                return
            except StorageUnavailable:
                if time.monotonic() + pause > deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 4.0)

    def put_file(self, fileobj: BinaryIO, *, sha256: str, size: int) -> bool:
        key = blob_key(sha256)
        if self.stat(sha256) is not None:
            return False
        reader = HashingReader(fileobj, sha256=sha256, size=size)
        with translated():
            result = self.client.put_object(
                self.bucket,
                key,
                reader,  # type: ignore[arg-type]
                length=size,
                part_size=PART_SIZE,
                metadata={"x-amz-meta-sha256": sha256},
            )
        verify(reader, sha256=sha256, size=size)
        stored = self.stat(sha256)
        etag = (result.etag or "").strip('"')
        single_part = size <= PART_SIZE
        if (
            stored is None
            or stored.size != size
            or (single_part and etag != reader.md5.hexdigest())
        ):
            self._delete_key(key)
            raise StorageUnavailable("object storage did not confirm the written blob")
        return True

    def exists(self, sha256: str) -> bool:
        return self.stat(sha256) is not None

    def stat(self, sha256: str) -> BlobInfo | None:
        try:
            obj = self.client.stat_object(self.bucket, blob_key(sha256))
        except S3Error as exc:
            if exc.code in _NOT_FOUND:
                return None
            raise _unavailable(exc) from exc
        except (urllib3.exceptions.HTTPError, OSError, ServerError, InvalidResponseError) as exc:
            raise _unavailable(exc) from exc
        return BlobInfo(sha256, int(obj.size or 0))

    def iter_range(self, sha256: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        length = 0 if end is None else end - start + 1
        with translated():
            response = self.client.get_object(
                self.bucket, blob_key(sha256), offset=start, length=length
            )
        try:
            yield from translated_iter(response.stream(CHUNK_SIZE))
        finally:
            response.close()
            response.release_conn()

    def read_bytes(self, sha256: str) -> bytes:
        return b"".join(self.iter_range(sha256))

    def _delete_key(self, key: str) -> None:
        with translated():
            self.client.remove_object(self.bucket, key)

    def delete(self, sha256: str) -> None:
        self._delete_key(blob_key(sha256))

    def iter_blobs(self) -> Iterator[str]:
        with translated():
            for obj in self.client.list_objects(self.bucket, prefix="sha256/", recursive=True):
                if obj.object_name and (sha := sha256_from_key(obj.object_name)):
                    yield sha

    def check(self) -> None:
        try:
            self.client.bucket_exists(self.bucket)
        except (
            S3Error,
            ServerError,
            InvalidResponseError,
            urllib3.exceptions.HTTPError,
            OSError,
        ) as exc:
            raise _unavailable(exc) from exc
