"""Build the blob store the settings ask for."""

from __future__ import annotations

from akte.core.settings import Settings
from akte.core.storage.base import BlobStore


def make_blob_store(settings: Settings) -> BlobStore:
    if settings.storage_backend == "s3":
        from akte.core.storage.s3 import S3BlobStore

        store = S3BlobStore(
            endpoint=settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            bucket=settings.s3_bucket,
            secure=settings.s3_secure,
            region=settings.s3_region,
        )
        store.ensure_bucket()
        return store
    from akte.core.storage.local import LocalBlobStore

    return LocalBlobStore(settings.blob_dir)
