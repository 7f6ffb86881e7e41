"""Helpers to put bytes into akte as documents and process them, on either backend."""

from __future__ import annotations

import hashlib
import io
import uuid

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.documents import intake
from akte.documents.models import Document, DocumentSource, DocumentVersion
from akte.documents.repository import pages, version
from akte.jobs.worker import run_until_idle
from tests.builders import World
from tests.infra.processes import inherited_env


def add_document(
    ctx: AppContext,
    world: World,
    data: bytes,
    filename: str = "scan.pdf",
    *,
    mime: str | None = None,
) -> uuid.UUID:
    """Store ``data`` and queue processing as an upload would.

    With ``mime`` the upload's sniffing is bypassed (as for a file whose stored bytes are
    not what the upload saw, or rows from a legacy migration), so the processor's own
    checks are what the test sees.
    """
    if mime is None:
        scanned = intake.scan_file(io.BytesIO(data), max_bytes=ctx.settings.max_upload_bytes)
    else:
        scanned = intake.ScannedFile(hashlib.sha256(data).hexdigest(), len(data), mime)
    ctx.storage.put_bytes(data)
    with session_scope(ctx.session_factory) as session:
        document = intake.add_document(
            session,
            tenant_id=world.tenant_a.id,
            case_file_id=world.case_a1.id,
            scanned=scanned,
            filename=filename,
            title=None,
            source=DocumentSource.staff_upload,
        )
        return document.id


def process(ctx: AppContext) -> None:
    run_until_idle(ctx)


def load(ctx: AppContext, document_id: uuid.UUID) -> tuple[Document, DocumentVersion, list]:
    with session_scope(ctx.session_factory) as session:
        document = session.get(Document, document_id)
        assert document is not None
        current = version(session, document_id, document.current_version)
        assert current is not None
        return document, current, pages(session, current.id)


def worker_env(ctx: AppContext, lease_seconds: int = 600) -> dict[str, str]:
    """Environment for a separate akte process (worker, CLI) on the test's database and
    storage; no ``.env`` is read when it runs in a temporary folder."""
    settings = ctx.settings
    env = inherited_env()
    env.update(
        {
            "AKTE_ENV": "test",
            "AKTE_DATA_DIR": str(settings.data_dir.resolve()),
            "AKTE_DATABASE_URL": settings.effective_database_url,
            "AKTE_SECRET_KEY": settings.effective_secret_key,
            "AKTE_STORAGE_BACKEND": settings.storage_backend,
            "AKTE_S3_ENDPOINT": settings.s3_endpoint,
            "AKTE_S3_ACCESS_KEY": settings.s3_access_key,
            "AKTE_S3_SECRET_KEY": settings.s3_secret_key,
            "AKTE_S3_BUCKET": settings.s3_bucket,
            "AKTE_JOB_LEASE_SECONDS": str(lease_seconds),
            "AKTE_WORKER_POLL_SECONDS": "0.2",
            "AKTE_INPROCESS_WORKER": "false",
        }
    )
    return env
