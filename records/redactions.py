"""Schwärzungen as first-class rows: apply, preview, list.

A redaction is applied to the newest redacted copy of the document's current version if
there is one (marks accumulate: a later term redaction keeps the earlier rectangles), else
to its archive PDF. The original version is never touched; exports use the newest copy.
Applying runs in the request: only marked pages are rendered, the others are copied
natively, so even long documents take seconds, not minutes.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.permissions import Action
from akte.auth.principal import Principal
from akte.case_files import service as case_files
from akte.core.errors import Conflict, NotFound, Unprocessable
from akte.core.storage import BlobStore
from akte.documents import repository as documents
from akte.documents.models import Document, DocumentStatus, DocumentVersion
from records import blobs, redaction, repository
from records.models import Redaction
from records.schemas import AreaIn


def _readable_document(session: Session, principal: Principal, document_id: uuid.UUID) -> Document:
    document = session.scalar(
        documents.readable_statement(principal).where(Document.id == document_id)
    )
    if document is None:
        raise NotFound("document not found")
    return document


def _current_version(session: Session, document: Document) -> DocumentVersion:
    current = documents.version(session, document.id, document.current_version)
    if document.status != DocumentStatus.ready or current is None or not current.archive_sha256:
        raise Conflict(
            "the document is not processed yet (no archive PDF): redact it once it is ready",
            code="document_not_ready",
        )
    return current


def _source(session: Session, current: DocumentVersion) -> str:
    latest = repository.latest_redaction(session, current.id)
    assert current.archive_sha256 is not None
    return latest.redacted_sha256 if latest else current.archive_sha256


def apply(
    session: Session,
    storage: BlobStore,
    principal: Principal,
    document_id: uuid.UUID,
    *,
    areas: list[AreaIn],
    terms: list[str],
    reason: str,
) -> Redaction:
    """Redact one document; 404 if unreadable, 403 ``lent_access`` for a borrower."""
    document = _readable_document(session, principal, document_id)
    case_files.get_owned(session, principal, document.case_file_id, Action.redact)
    current = _current_version(session, document)
    source_sha = _source(session, current)
    marks = [redaction.Area(a.page, a.x0, a.top, a.x1, a.bottom) for a in areas]
    with tempfile.TemporaryDirectory(prefix="akte-redact-") as tmp:
        source = blobs.fetch(storage, source_sha, Path(tmp) / "source.pdf")
        out = Path(tmp) / "redacted.pdf"
        try:
            result = redaction.redact(source, out, areas=marks, terms=terms)
        except ValueError as exc:
            raise Unprocessable(str(exc), code="invalid_area") from None
        if not result.redacted_pages:
            raise Unprocessable(
                "none of the search terms occurs in the document", code="nothing_to_redact"
            )
        stored = storage.put_path(out)
    row = Redaction(
        tenant_id=document.tenant_id,
        case_file_id=document.case_file_id,
        document_id=document.id,
        version_id=current.id,
        source_sha256=source_sha,
        redacted_sha256=stored.sha256,
        size=stored.size,
        page_count=result.page_count,
        areas=[a.model_dump() for a in areas],
        terms=list(terms),
        redacted_pages=result.redacted_pages,
        reason=reason,
        created_by_id=principal.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal,
        "records.redaction.create",
        object_type="document",
        object_id=document.id,
        detail={
            "redaction_id": str(row.id),
            "pages": result.redacted_pages,
            "areas": len(areas),
            "terms": len(terms),
            "reason": reason,
            "hits": len(result.hits),
        },
    )
    return row


def _akte_documents(
    session: Session,
    principal: Principal,
    case_file_id: uuid.UUID,
    document_ids: list[uuid.UUID] | None,
) -> list[Document]:
    case_files.get_owned(session, principal, case_file_id, Action.redact)
    stmt = repository.exportable_documents(documents.readable_statement(principal), case_file_id)
    if document_ids is not None:
        stmt = stmt.where(Document.id.in_(document_ids))
    found = list(session.scalars(stmt))
    if document_ids is not None and len(found) != len(set(document_ids)):
        raise NotFound(
            "a selected document is not in this Akte (or not processed)", code="unknown_document"
        )
    return found


def preview(
    session: Session,
    storage: BlobStore,
    principal: Principal,
    case_file_id: uuid.UUID,
    *,
    terms: list[str],
    document_ids: list[uuid.UUID] | None,
) -> Iterator[tuple[Document, redaction.Hit]]:
    """Every hit of ``terms`` in the Akte's documents (their newest copy), nothing written."""
    for document in _akte_documents(session, principal, case_file_id, document_ids):
        current = _current_version(session, document)
        with tempfile.TemporaryDirectory(prefix="akte-preview-") as tmp:
            path = blobs.fetch(storage, _source(session, current), Path(tmp) / "doc.pdf")
            for hit in redaction.find_terms(path, terms):
                yield document, hit


def apply_terms(
    session: Session,
    storage: BlobStore,
    principal: Principal,
    case_file_id: uuid.UUID,
    *,
    terms: list[str],
    reason: str,
    document_ids: list[uuid.UUID] | None,
) -> list[Redaction]:
    """Redact every hit of ``terms`` across the Akte: one redaction per document hit."""
    hit_documents = {
        d.id
        for d, _hit in preview(
            session, storage, principal, case_file_id, terms=terms, document_ids=document_ids
        )
    }
    return [
        apply(session, storage, principal, document_id, areas=[], terms=terms, reason=reason)
        for document_id in sorted(hit_documents)
    ]


def list_for_document(
    session: Session, principal: Principal, document_id: uuid.UUID
) -> list[Redaction]:
    _readable_document(session, principal, document_id)
    return list(
        session.scalars(
            repository.readable_redactions(principal)
            .where(Redaction.document_id == document_id)
            .order_by(Redaction.created_at, Redaction.id)
        )
    )


def get_readable(session: Session, principal: Principal, redaction_id: uuid.UUID) -> Redaction:
    found = session.scalar(
        repository.readable_redactions(principal).where(Redaction.id == redaction_id)
    )
    if found is None:
        raise NotFound("redaction not found")
    return found


def document_of(session: Session, row: Redaction) -> Document:
    document = session.scalar(select(Document).where(Document.id == row.document_id))
    assert document is not None
    return document
