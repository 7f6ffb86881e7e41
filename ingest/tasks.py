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
be used after a fix. A missing or damaged original is bad data too; its reason says to
restore the blob from backup and run ``akte fsck --repair``, which then re-queues it.

Storage or database outages ("not now": S3 5xx or unreachable, a full blob folder or work
folder) raise, so the queue retries with back-off for ``AKTE_JOB_OUTAGE_SECONDS`` without
the document failing. A processing step that fails while the work folder's disk is full
is such an outage too, not bad input. An unexpected error marks the document ``failed``
and parks the job as dead (:class:`PermanentJobError`), so a bug never loops and never
hides. Whenever the job is given up as dead, :func:`document_given_up` moves a document
still ``received``/``processing`` to ``failed`` with a reason that says what happens next,
so no document waits for a job that will never run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from akte.core.context import AppContext
from akte.core.database import session_scope
from akte.core.errors import InsufficientStorage, ServiceUnavailable
from akte.core.storage import blob_key
from akte.documents import events, repository
from akte.documents.models import Document, DocumentPage, DocumentStatus
from akte.jobs.registry import JobDeath, PermanentJobError, on_dead, task
from akte.jobs.transient import describe_outage, is_transient
from akte.operations.fsck import original_lost_reason
from akte.tenants.models import Tenant
from ingest import isolated
from ingest.lease import kept_alive
from ingest.limits import Limits, ProcessingFailed
from ingest.ocr import choose_languages
from ingest.processor import Processed

log = logging.getLogger("akte.ingest")

#: ``ctx.extensions`` key under which a deployment (or a test) may put its own :class:`Limits`.
LIMITS_EXTENSION = "ingest.limits"
TASK = "ingest.process_document"
_TRANSIENT = (ServiceUnavailable, SQLAlchemyError, OSError)
#: Less free space than this in the work folder after a failed step: the disk is to blame.
WORKDIR_FULL_BYTES = 4 * 1024 * 1024


def limits_for(
    ctx: AppContext, tenant_options: dict[str, Any] | None = None
) -> tuple[Limits, list[str]]:
    """The limits for one document, with the tenant's OCR languages; also the tenant's
    languages that this worker has no traineddata for."""
    limits = ctx.extensions.get(LIMITS_EXTENSION) or Limits()
    wanted = (tenant_options or {}).get("ocr_languages")
    if not wanted:
        return limits, []
    languages, missing = choose_languages(list(wanted))
    return dataclasses.replace(limits, languages=languages), missing


def _missing_note(missing: list[str], limits: Limits) -> str | None:
    if not missing:
        return None
    return (
        f"OCR language(s) {', '.join(missing)} not installed on the worker; read with "
        f"{limits.languages} (install tesseract-ocr-<lang>, then `akte reprocess`)"
    )


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
        tenant = session.get(Tenant, document.tenant_id)
        limits, missing = limits_for(ctx, tenant.options if tenant is not None else None)
    with kept_alive(ctx, TASK), tempfile.TemporaryDirectory(prefix="akte-ingest-") as tmp:
        workdir = Path(tmp)
        try:
            original = _fetch_original(ctx, sha256, workdir / "original")
            processed = isolated.process(
                original, workdir / "work", limits, ctx.settings.processing_memory_mb
            )
            archive = ctx.storage.put_path(processed.archive_path)
            thumbnail = ctx.storage.put_bytes(processed.thumbnail_png)
        except ProcessingFailed as exc:
            if _disk_full(workdir):
                raise InsufficientStorage(
                    f"the work folder {workdir.parent} is full: {exc}"
                ) from exc
            _record_failure(ctx, document_id, version_no, str(exc))
            return
        except _TRANSIENT:
            raise
        except Exception as exc:
            if is_transient(exc):
                raise
            log.exception("processing document %s v%s failed unexpectedly", document_id, version_no)
            _record_failure(
                ctx,
                document_id,
                version_no,
                f"processing failed unexpectedly ({type(exc).__name__})",
            )
            raise PermanentJobError(f"{type(exc).__name__}: {exc}") from exc
        _record_success(
            ctx,
            document_id,
            version_no,
            processed,
            archive.sha256,
            thumbnail.sha256,
            _missing_note(missing, limits),
        )


def _disk_full(path: Path) -> bool:
    try:
        return shutil.disk_usage(path).free < WORKDIR_FULL_BYTES
    except OSError:
        return False


def _fetch_original(ctx: AppContext, sha256: str, target: Path) -> Path:
    """Copy the original out of storage (read-only access) and verify it is intact.

    A missing or damaged original is bad data, not an outage: retrying cannot mend it.
    """
    if ctx.storage.stat(sha256) is None:
        raise ProcessingFailed(original_lost_reason(sha256, missing=True))
    digest = hashlib.sha256()
    try:
        with target.open("wb") as out:
            for chunk in ctx.storage.iter_range(sha256):
                digest.update(chunk)
                out.write(chunk)
    except FileNotFoundError as exc:  # deleted between stat and read
        raise ProcessingFailed(original_lost_reason(sha256, missing=True)) from exc
    if digest.hexdigest() != sha256:
        log.error("stored original %s does not match its SHA-256", blob_key(sha256))
        raise ProcessingFailed(original_lost_reason(sha256, missing=False))
    return target


def _record_success(
    ctx: AppContext,
    document_id: uuid.UUID,
    version_no: int,
    processed: Processed,
    archive_sha256: str,
    thumbnail_sha256: str,
    note: str | None = None,
) -> None:
    with session_scope(ctx.session_factory) as session:
        document = session.get(Document, document_id)
        version = repository.version(session, document_id, version_no)
        if document is None or version is None:
            return
        session.execute(delete(DocumentPage).where(DocumentPage.version_id == version.id))
        session.add_all(
            DocumentPage(
                version_id=version.id,
                page_no=page.page_no,
                text=page.text,
                method=page.method,
                confidence=page.confidence,
                problem=(page.problem or "")[:500] or None,
            )
            for page in processed.pages
        )
        version.page_count = processed.page_count
        version.archive_sha256 = archive_sha256
        version.thumbnail_sha256 = thumbnail_sha256
        version.archive_pdfa = processed.pdfa
        version.archive_pdfa_problem = (
            processed.pdfa_problems[0][:500] if processed.pdfa_problems else None
        )
        if document.current_version == version_no:
            document.status = DocumentStatus.ready
            problems = processed.summary()  # "ready with problems: page 2 …"
            if note:
                problems = f"{problems}; {note}" if problems else f"ready with problems: {note}"
            document.status_reason = problems
        session.flush()
        events.document_changed(session, document_id)


def _record_failure(ctx: AppContext, document_id: uuid.UUID, version_no: int, reason: str) -> None:
    with session_scope(ctx.session_factory) as session:
        document = session.get(Document, document_id)
        if document is None or document.current_version != version_no:
            return
        document.status = DocumentStatus.failed
        document.status_reason = reason
    log.info("document %s v%s failed: %s", document_id, version_no, reason)


@on_dead(TASK)
def document_given_up(session: Session, payload: dict[str, Any], death: JobDeath) -> None:
    """The job will not run again: its document must not stay ``received``/``processing``."""
    try:
        document_id = uuid.UUID(str(payload["document_id"]))
        version_no = int(payload["version_no"])
    except (KeyError, ValueError):
        return
    document = session.get(Document, document_id)
    if (
        document is None
        or document.current_version != version_no
        or document.status not in (DocumentStatus.received, DocumentStatus.processing)
    ):
        return
    document.status = DocumentStatus.failed
    document.status_reason = given_up_reason(death)
    session.flush()
    events.document_changed(session, document_id)
    log.warning("document %s v%s failed: %s", document_id, version_no, document.status_reason)


def given_up_reason(death: JobDeath) -> str:
    """What happened, and the way forward, in one line for the document's status."""
    if death.outage_seconds is not None:
        what = (
            "blob storage full" if "InsufficientStorage" in death.error else ("storage unavailable")
        )
        return (
            f"processing could not finish: {what} for "
            f"{describe_outage(death.outage_seconds)} — `akte reprocess` will retry"
        )
    return (
        f"processing could not finish after {death.attempts} attempts "
        f"({death.error[:200]}) — `akte reprocess` will retry"
    )
