"""S3 bucket versioning brings back a blob that was overwritten or deleted, by the procedure
docs/OPERATIONS.md gives ("Production: point-in-time recovery", S3).

akte's blobs are content-addressed (``sha256/ab/cd/<sha256>``), so the right version of a
damaged key is recognisable without any timestamp: the newest version whose bytes hash to
the key's name. The test runs on the real S3 test server (SeaweedFS ``weed``, which
implements bucket versioning: ``PutBucketVersioning``, ``ListObjectVersions``, delete
markers, ``GetObject``/``CopyObject`` of a version id).
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterator

import pytest
from minio import Minio
from minio.commonconfig import ENABLED, CopySource
from minio.versioningconfig import VersioningConfig

from akte.app import create_app
from akte.core.context import AppContext
from akte.core.storage.base import blob_key
from akte.jobs.worker import run_until_idle
from akte.operations.fsck import check
from tests.builders import make_world
from tests.client import TestClient
from tests.conftest import production_settings
from tests.infra.templates import migrated_postgres
from tests.ingest.samples import text_pdf


def restore_from_versions(s3: Minio, bucket: str, sha256: str) -> str:
    """The procedure of docs/OPERATIONS.md for one key fsck names: the newest version whose
    bytes hash to the key's name is copied back as the current version. Returns its id."""
    key = blob_key(sha256)
    versions = [
        v
        for v in s3.list_objects(bucket, prefix=key, include_version=True)
        if v.object_name == key and not v.is_delete_marker
    ]
    for version in sorted(versions, key=lambda v: v.last_modified, reverse=True):
        body = s3.get_object(bucket, key, version_id=version.version_id)
        try:
            good = hashlib.sha256(body.read()).hexdigest() == sha256
        finally:
            body.close()
            body.release_conn()
        if good:
            s3.copy_object(bucket, key, CopySource(bucket, key, version_id=version.version_id))
            return version.version_id
    raise AssertionError(f"no good version of {key}")


@pytest.fixture
def versioned(pg_admin_dsn, s3, tmp_path) -> Iterator[tuple[AppContext, Minio]]:
    bucket = f"akte-versioned-{uuid.uuid4().hex[:10]}"
    admin = Minio(s3.endpoint, access_key=s3.access_key, secret_key=s3.secret_key, secure=False)
    admin.make_bucket(bucket)
    admin.set_bucket_versioning(bucket, VersioningConfig(ENABLED))
    assert admin.get_bucket_versioning(bucket).status == ENABLED
    with migrated_postgres(pg_admin_dsn) as url:
        settings = production_settings(tmp_path, url, s3, bucket)
        ctx = AppContext.from_settings(settings)
        try:
            yield ctx, admin
        finally:
            ctx.close()


def test_an_overwritten_and_a_deleted_blob_come_back_from_bucket_versions(versioned):
    ctx, admin = versioned
    bucket = ctx.settings.s3_bucket
    world = make_world(ctx)
    originals: dict[str, bytes] = {}
    with TestClient(create_app(ctx=ctx, start_worker=False)) as client:
        for word in ("Mietvertrag", "Kontoauszug"):
            data = text_pdf([[f"{word} {uuid.uuid4().hex[:8]}"]])
            r = client.post(
                f"/api/v1/case-files/{world.case_a1.id}/documents",
                files={"file": ("scan.pdf", data, "application/pdf")},
                headers=world.headers["caseworker_a1"],
            )
            assert r.status_code == 201, r.text
            originals[r.json()["id"]] = data
        run_until_idle(ctx)
        (_overwritten, kept), (deleted, gone) = (
            (d, hashlib.sha256(b).hexdigest()) for d, b in originals.items()
        )
        assert check(ctx, grace_seconds=0).clean

        # the accidents: someone writes other bytes over one blob and deletes another
        junk = b"not the document"
        admin.put_object(bucket, blob_key(kept), io.BytesIO(junk), len(junk))
        admin.remove_object(bucket, blob_key(gone))
        report = check(ctx, grace_seconds=0)
        assert report.corrupt == [kept]
        assert [m[0] for m in report.missing] == [gone]
        assert sorted(report.lost_originals) == sorted([kept, gone])
        headers = world.headers["caseworker_a1"]
        assert (
            client.get(f"/api/v1/documents/{deleted}/content", headers=headers).status_code != 200
        )

        # the procedure: every key fsck names, from its newest good version
        for sha256 in report.lost_originals:
            restore_from_versions(admin, bucket, sha256)

        after = check(ctx, grace_seconds=0)
        assert after.clean, (after.missing, after.corrupt, after.orphaned)
        for document_id, data in originals.items():
            r = client.get(f"/api/v1/documents/{document_id}/content", headers=headers)
            assert r.status_code == 200 and r.content == data
