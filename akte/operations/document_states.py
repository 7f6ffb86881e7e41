"""Documents whose state waits for something that will not happen.

A document is ``received`` or ``processing`` only while a processing job for it is *live*
(queued, or running — a running job whose worker died is claimed again after its lease).
Without one it would wait for ever: a job that died before jobs had dead-job hooks, a job
row deleted by hand, a database restored from a backup without the queue. A ``ready``
document has an archive PDF and page texts; one without them lost its derived data.

``akte fsck`` reports both and re-queues them with ``--repair``; ``akte reprocess
--failed`` includes the stuck ones. Reads happen in an order that cannot mistake a
document that finished meanwhile for a stuck one: candidates first, then live jobs, then
the candidates' states again.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from akte.documents.intake import PROCESS_TASK
from akte.documents.models import Document, DocumentPage, DocumentStatus, DocumentVersion
from akte.jobs import repository as jobs
from akte.jobs.models import Job

WAITING = (DocumentStatus.received, DocumentStatus.processing)


def live_processing(session: Session) -> set[str]:
    """Ids of documents with a queued or running processing job."""
    payloads = session.scalars(
        select(Job.payload).where(Job.kind == PROCESS_TASK, Job.status.in_(("queued", "running")))
    )
    return {str(p.get("document_id")) for p in payloads if isinstance(p, dict)}


def _tenant_filter(
    stmt: Select[tuple[uuid.UUID]], tenant_id: uuid.UUID | None
) -> Select[tuple[uuid.UUID]]:
    return stmt if tenant_id is None else stmt.where(Document.tenant_id == tenant_id)


def stuck(session: Session, *, tenant_id: uuid.UUID | None = None) -> list[tuple[uuid.UUID, str]]:
    """``(document id, status)`` of documents received/processing without a live job."""
    stmt = _tenant_filter(select(Document.id).where(Document.status.in_(WAITING)), tenant_id)
    candidates = list(session.scalars(stmt.order_by(Document.received_at, Document.id)))
    if not candidates:
        return []
    live = live_processing(session)
    waiting = [d for d in candidates if str(d) not in live]
    if not waiting:
        return []
    now: dict[uuid.UUID, str] = {}
    for start in range(0, len(waiting), 500):
        now.update(
            session.execute(
                select(Document.id, Document.status).where(
                    Document.id.in_(waiting[start : start + 500])
                )
            ).all()
        )
    return [(d, now[d]) for d in waiting if now.get(d) in WAITING]


def incomplete(session: Session) -> list[uuid.UUID]:
    """``ready`` documents whose current version lacks an archive PDF or page texts, and
    that no live job is re-making."""
    no_pages = ~exists().where(DocumentPage.version_id == DocumentVersion.id)
    stmt = (
        select(Document.id)
        .join(
            DocumentVersion,
            (DocumentVersion.document_id == Document.id)
            & (DocumentVersion.version_no == Document.current_version),
        )
        .where(
            Document.status == DocumentStatus.ready,
            DocumentVersion.archive_sha256.is_(None) | no_pages,
        )
        .order_by(Document.id)
    )
    found = list(session.scalars(stmt))
    if not found:
        return []
    live = live_processing(session)
    return [d for d in found if str(d) not in live]


def requeue(session: Session, document_id: uuid.UUID) -> bool:
    """Queue processing of the document's current version (``received``), in the caller's
    transaction; ``False`` if it is gone."""
    document = session.get(Document, document_id)
    if document is None:
        return False
    document.status = DocumentStatus.received
    document.status_reason = None
    jobs.enqueue(
        session,
        PROCESS_TASK,
        {"document_id": str(document.id), "version_no": document.current_version},
    )
    return True
