"""The Posteingang: documents not yet filed (citizen uploads first of all), per org unit.

Filing sets Dokumentart (one of the tenant's list, ``akte.casework.doctypes``) and title
and marks the document ``filed``; it then appears as a
regular document of its Akte and is re-indexed. Rejecting keeps the document and its
original bytes (what was received must be retained and stays auditable) but takes it out
of the Posteingang with a reason: a state of the document itself (``rejected_at``,
``rejection_reason``, shown in ``DocumentRead``) plus an audit entry.
The Akte page shows rejected documents with that reason. The JSON API
(:mod:`akte.inbox.router`) and the pages (:mod:`akte.web.routes_staff`) both call these
functions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.permissions import CASE_ROLES, Action
from akte.auth.principal import Principal
from akte.case_files.models import CaseFile
from akte.casework import doctypes, posteingang
from akte.core.database import utcnow
from akte.core.errors import Conflict, Unprocessable
from akte.documents import events
from akte.documents import service as documents
from akte.documents.models import Document, DocumentPage, DocumentVersion
from akte.inbox import repository
from akte.tenants.models import OrgUnit

#: The default Dokumentarten and their keywords (a tenant's own list: ``casework.doctypes``).
DOC_TYPES = [e.name for e in doctypes.DEFAULT_DOKUMENTARTEN]
KEYWORDS = [(k, e.name) for e in doctypes.DEFAULT_DOKUMENTARTEN for k in e.keywords]


def suggest_doc_type(*texts: str | None) -> str | None:
    """The default list's suggestion (see :func:`akte.casework.doctypes.suggest`)."""
    return doctypes.suggest(doctypes.DEFAULT_DOKUMENTARTEN, *texts)


@dataclass(frozen=True)
class InboxItem:
    document: Document
    case_file: CaseFile
    org_unit_name: str
    suggestion: str | None = None
    #: The processing made a thumbnail: shown so the document can be checked at a glance.
    has_thumbnail: bool = False
    #: the title offered instead of the file name (``akte.casework.posteingang``)
    title_suggestion: str | None = None
    #: other documents the caller may read with the same bytes
    duplicates: tuple[posteingang.Duplicate, ...] = ()


def org_units(session: Session, principal: Principal) -> list[OrgUnit]:
    """The org units of the Akten in the caller's Posteingang, for the filter."""
    units = (
        repository.readable_statement(principal)
        .join(CaseFile, CaseFile.id == Document.case_file_id)
        .with_only_columns(CaseFile.org_unit_id)
        .distinct()
    )
    return list(
        session.scalars(select(OrgUnit).where(OrgUnit.id.in_(units)).order_by(OrgUnit.name))
    )


def items(
    session: Session,
    principal: Principal,
    *,
    org_unit_id: uuid.UUID | None = None,
    limit: int = 200,
) -> list[InboxItem]:
    """Unfiled, unrejected documents of the Akten the caller may read, oldest first."""
    principal.require_role(*CASE_ROLES)
    stmt = (
        repository.readable_statement(principal)
        .add_columns(CaseFile, OrgUnit.name)
        .join(CaseFile, CaseFile.id == Document.case_file_id)
        .join(OrgUnit, OrgUnit.id == CaseFile.org_unit_id)
    )
    if org_unit_id is not None:
        stmt = stmt.where(CaseFile.org_unit_id == org_unit_id)
    rows = session.execute(stmt.order_by(Document.received_at, Document.id).limit(limit))
    found = list(rows)
    ids = [doc.id for doc, _, _ in found]
    first_pages = _first_page_texts(session, ids)
    thumbnails = (
        set(
            session.scalars(
                select(DocumentVersion.document_id)
                .join(Document, Document.id == DocumentVersion.document_id)
                .where(
                    DocumentVersion.document_id.in_(ids),
                    DocumentVersion.version_no == Document.current_version,
                    DocumentVersion.thumbnail_sha256.is_not(None),
                )
            )
        )
        if ids
        else set()
    )
    filenames = (
        dict(
            session.execute(
                select(DocumentVersion.document_id, DocumentVersion.filename)
                .join(Document, Document.id == DocumentVersion.document_id)
                .where(
                    DocumentVersion.document_id.in_(ids),
                    DocumentVersion.version_no == Document.current_version,
                )
            ).all()
        )
        if ids
        else {}
    )
    same_bytes = posteingang.duplicates(session, principal, ids)
    listed = doctypes.entries(session, principal.tenant_id) if principal.tenant_id else []
    out = []
    for doc, case_file, unit_name in found:
        text = first_pages.get(doc.id)
        doc_type = doc.doc_type or doctypes.suggest(listed, doc.title, text)
        filename = filenames.get(doc.id, doc.title)
        # a title a person gave stays; one that is still the file name is replaced
        title = (
            posteingang.suggest_title(filename, doc_type, text)
            if doc.title == filename
            else doc.title
        )
        out.append(
            InboxItem(
                doc,
                case_file,
                unit_name,
                doc_type,
                doc.id in thumbnails,
                title,
                tuple(same_bytes.get(doc.id, ())),
            )
        )
    return out


def _first_page_texts(session: Session, document_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not document_ids:
        return {}
    rows = session.execute(
        select(Document.id, DocumentPage.text)
        .join(DocumentVersion, DocumentVersion.document_id == Document.id)
        .join(DocumentPage, DocumentPage.version_id == DocumentVersion.id)
        .where(
            Document.id.in_(document_ids),
            DocumentVersion.version_no == Document.current_version,
            DocumentPage.page_no == 1,
        )
    )
    return {document_id: text[:4000] for document_id, text in rows}


def file_document(
    session: Session, principal: Principal, document_id: uuid.UUID, *, doc_type: str, title: str
) -> Document:
    document = documents.get_owned(session, principal, document_id, Action.file)
    doc_type, title = doc_type.strip()[:100], title.strip()[:300]
    if not doc_type or not title:
        raise Unprocessable("Dokumentart und Titel sind nötig", code="missing_fields")
    doc_type = doctypes.validated(session, document.tenant_id, doc_type)
    if document.rejected_at is not None:
        raise Conflict("das Dokument wurde abgelehnt", code="rejected")
    document.doc_type, document.title, document.filed = doc_type, title, True
    session.flush()
    events.document_changed(session, document.id)
    audit.record(
        session,
        principal,
        "document.file",
        object_type="document",
        object_id=document.id,
        detail={"doc_type": doc_type, "case_file_id": str(document.case_file_id)},
    )
    return document


def file_many(
    session: Session, principal: Principal, chosen: list[tuple[uuid.UUID, str, str]]
) -> list[Document]:
    """File several items in one action: ``(document id, Dokumentart, title)`` each, with
    the checks of :func:`file_document` for every one. All or nothing: one refused item
    (not readable: 404; rejected: 409; fields missing: 422) fails the action, and the
    request's transaction files none."""
    if not chosen:
        raise Unprocessable("Bitte mindestens ein Dokument auswählen", code="nothing_chosen")
    if len({document_id for document_id, _, _ in chosen}) != len(chosen):
        raise Unprocessable("Ein Dokument ist doppelt ausgewählt", code="duplicate_choice")
    return [
        file_document(session, principal, document_id, doc_type=doc_type, title=title)
        for document_id, doc_type, title in chosen
    ]


def reject(session: Session, principal: Principal, document_id: uuid.UUID, *, reason: str) -> None:
    document = documents.get_owned(session, principal, document_id, Action.file)
    reason = reason.strip()[:1000]
    if not reason:
        raise Unprocessable("ein Grund ist nötig", code="missing_reason")
    if document.filed:
        raise Conflict("das Dokument ist schon abgelegt", code="already_filed")
    if document.rejected_at is None:
        document.rejected_at, document.rejection_reason = utcnow(), reason
        document.rejected_by_id = principal.user_id
        session.flush()
        # out of the search index now; the index's loader must also skip refused documents
        # when it (re)indexes, see docs/ARCHITECTURE.md "Posteingang"
        events.document_removed(session, document.id)
    audit.record(
        session,
        principal,
        "document.reject",
        object_type="document",
        object_id=document.id,
        detail={"reason": reason},
    )


rejections = repository.rejections
