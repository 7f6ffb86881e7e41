"""The ``ingest.process_document`` job: one document version through the pipeline.

Queued by :mod:`akte.documents.intake` in the upload's transaction. Three steps, and no
transaction is held while the (slow) work runs:

1. a short transaction loads the version and marks the document ``processing``
   (a deleted document or version ends the job quietly);
2. the original is copied from blob storage into a temporary folder, checked against its
   SHA-256, and processed there (:func:`ingest.processor.process_file`); the archive PDF and
   thumbnail are written to blob storage (content-addressed: a rerun writes nothing new
   for identical output);
3. one transaction replaces the version's page rows, sets ``page_count``, the archive and
   thumbnail hashes and ``ready``, and queues indexing — or sets ``failed`` with the reason.

While it runs, the job's lease is extended (:mod:`ingest.lease`), so a long scan is never
taken over by a second worker; a killed worker's job is claimable once the lease runs out.
Safe to run twice and safe to be killed at any point: nothing is visible until step 3
commits, and step 3 replaces rather than appends. Bad input (``ProcessingFailed``) ends the
job as done with the document ``failed``: retrying cannot fix it, ``akte reprocess`` can
be used after a fix. Storage or database outages raise, so the queue retries with backoff.
An unexpected error also marks the document ``failed`` and parks the job as dead
(:class:`PermanentJobError`), so a bug never loops and never hides.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.core.errors import ServiceUnavailable
from akte.documents import events, repository
from akte.documents.models import Document, DocumentPage, DocumentStatus
from akte.jobs.registry import PermanentJobError, task
from ingest.lease import kept_alive
from ingest.limits import Limits, ProcessingFailed
from ingest.processor import Processed, process_file

log = logging.getLogger("akte.ingest")

#: ``ctx.extensions`` key under which a deployment (or a test) may put its own :class:`Limits`.
LIMITS_EXTENSION = "ingest.limits"
TASK = "ingest.process_document"
_TRANSIENT = (ServiceUnavailable, SQLAlchemyError, OSError)


def limits_for(ctx: AppContext) -> Limits:
    return ctx.extensions.get(LIMITS_EXTENSION) or Limits()


@task(TASK)
def process_document(ctx: AppContext, payload: dict[str, Any]) -> None:
    document_id = uuid.UUID(str(payload["document_id"]))
    version_no = int(payload["version_no"])
    with session_scope(ctx.session_factory) as session:
        document = session.get(Document, document_id)
        version = repository.version(session, document_id, version_no)
        if document is None or version is None:
            return
        if document.current_version == version_no:
            document.status = DocumentStatus.processing
            document.status_reason = None
        sha256 = version.sha256
    with kept_alive(ctx, TASK), tempfile.TemporaryDirectory(prefix="akte-ingest-") as tmp:
        workdir = Path(tmp)
        try:
            original = _fetch_original(ctx, sha256, workdir / "original")
            processed = process_file(original, workdir / "work", limits_for(ctx))
            archive = ctx.storage.put_path(processed.archive_path)
            thumbnail = ctx.storage.put_bytes(processed.thumbnail_png)
        except ProcessingFailed as exc:
            _record_failure(ctx, document_id, version_no, str(exc))
            return
        except _TRANSIENT:
            raise
        except Exception as exc:
            log.exception("processing document %s v%s failed unexpectedly", document_id,
                          version_no)
            _record_failure(ctx, document_id, version_no,
                            f"processing failed unexpectedly ({type(exc).__name__})")
            raise PermanentJobError(f"{type(exc).__name__}: {exc}") from exc
        _record_success(ctx, document_id, version_no, processed, archive.sha256,
                        thumbnail.sha256)


def _fetch_original(ctx: AppContext, sha256: str, target: Path) -> Path:
    """Copy the original out of storage (read-only access) and verify it is intact."""
    if ctx.storage.stat(sha256) is None:
        raise ProcessingFailed("the original file is missing from storage")
    digest = hashlib.sha256()
    with target.open("wb") as out:
        for chunk in ctx.storage.iter_range(sha256):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha256:
        raise ServiceUnavailable("the stored original did not match its SHA-256 on reading")
    return target


def _record_success(ctx: AppContext, document_id: uuid.UUID, version_no: int,
                    processed: Processed, archive_sha256: str, thumbnail_sha256: str) -> None:
    with session_scope(ctx.session_factory) as session:
        document = session.get(Document, document_id)
        version = repository.version(session, document_id, version_no)
        if document is None or version is None:
            return
        session.execute(delete(DocumentPage).where(DocumentPage.version_id == version.id))
        session.add_all(
            DocumentPage(version_id=version.id, page_no=page.page_no, text=page.text,
                         method=page.method, confidence=page.confidence)
            for page in processed.pages
        )
        version.page_count = processed.page_count
        version.archive_sha256 = archive_sha256
        version.thumbnail_sha256 = thumbnail_sha256
        if document.current_version == version_no:
            document.status = DocumentStatus.ready
            document.status_reason = None
        session.flush()
        events.document_changed(session, document_id)


def _record_failure(ctx: AppContext, document_id: uuid.UUID, version_no: int,
                    reason: str) -> None:
    with session_scope(ctx.session_factory) as session:
        document = session.get(Document, document_id)
        if document is None or document.current_version != version_no:
            return
        document.status = DocumentStatus.failed
        document.status_reason = reason
    log.info("document %s v%s failed: %s", document_id, version_no, reason)
