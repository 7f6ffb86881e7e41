"""Queue processing again: one document, the documents of a delivery, or everything failed.

Used after a fix (a new Tesseract, a raised limit, a repaired file) and by operators after
an outage. Re-queuing is always safe: the job replaces a version's pages and derived files
rather than adding to them. A document that already has a queued or running processing
job is skipped, so running the command twice does not double the work.

"Everything failed" includes documents that wait without a future: ``received`` or
``processing`` with no live processing job (see :mod:`akte.operations.document_states`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.documents.intake import PROCESS_TASK
from akte.documents.models import Document, DocumentStatus
from akte.jobs import repository as jobs
from akte.operations import document_states
from akte.tenants.models import Tenant


class DeliveriesUnavailable(Exception):
    """This installation has no delivery import (``ingest.deliveries``)."""


def failed_documents(session: Session, *, tenant_slug: str | None = None) -> list[uuid.UUID]:
    """Failed documents, then those stuck in received/processing without a live job."""
    stmt = select(Document.id).where(Document.status == DocumentStatus.failed)
    tenant_id = None
    if tenant_slug:
        tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == tenant_slug))
        if tenant_id is None:
            return []
        stmt = stmt.where(Document.tenant_id == tenant_id)
    failed = list(session.scalars(stmt.order_by(Document.received_at, Document.id)))
    return failed + [d for d, _status in document_states.stuck(session, tenant_id=tenant_id)]


def delivery_documents(session: Session, delivery_id: uuid.UUID) -> list[uuid.UUID]:
    try:
        from ingest.deliveries.models import DeliveryItem
    except ModuleNotFoundError as exc:
        raise DeliveriesUnavailable("deliveries are not installed") from exc
    stmt = (
        select(DeliveryItem.document_id)
        .where(DeliveryItem.delivery_id == delivery_id, DeliveryItem.document_id.is_not(None))
        .distinct()
    )
    return [doc_id for doc_id in session.scalars(stmt) if doc_id is not None]


def queued_documents(session: Session) -> set[str]:
    """Ids of documents whose processing job is already waiting or running."""
    return document_states.live_processing(session)


def requeue(
    session: Session, document_ids: Iterable[uuid.UUID], already_queued: set[str]
) -> tuple[int, int]:
    """Queue the current version of each document; returns (queued, skipped)."""
    queued = skipped = 0
    for document_id in document_ids:
        document = session.get(Document, document_id)
        if document is None or str(document_id) in already_queued:
            skipped += 1
            continue
        document.status = DocumentStatus.received
        document.status_reason = None
        jobs.enqueue(
            session,
            PROCESS_TASK,
            {"document_id": str(document.id), "version_no": document.current_version},
        )
        already_queued.add(str(document_id))
        queued += 1
    session.flush()
    return queued, skipped
