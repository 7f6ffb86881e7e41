"""Business rules for documents: who may read, upload, change and download them.

Access to a document is access to its Akte: the caller must be able to read the Akte the
document is filed in, else 404. Adding versions and deleting need ownership of the Akte,
not borrowed access (see :mod:`akte.auth.permissions`), else 403 ``lent_access``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import BinaryIO

from sqlalchemy import Select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth import permissions
from akte.auth.permissions import Action
from akte.auth.principal import Principal
from akte.case_files import service as case_files
from akte.core.database import utcnow
from akte.core.errors import NotFound, ServiceUnavailable
from akte.core.storage import BlobStore
from akte.documents import events, intake, listing, pagetexts, repository
from akte.documents.listing import DocumentListQuery
from akte.documents.models import Document, DocumentSource, DocumentStatus, DocumentVersion
from akte.documents.schemas import (
    DocumentDetail,
    DocumentRead,
    DocumentUpdate,
    Rendition,
    SourceRead,
    VersionRead,
)
from akte.users.models import Role


def get_visible(session: Session, principal: Principal, document_id: uuid.UUID) -> Document:
    """The document, if the caller may read its Akte; otherwise it does not exist (404)."""
    document = session.scalar(
        repository.readable_statement(principal).where(Document.id == document_id)
    )
    if document is None:
        raise NotFound("document not found")
    return document


def get_owned(
    session: Session, principal: Principal, document_id: uuid.UUID, action: Action
) -> Document:
    """The document, if the caller may do ``action`` to it (see
    :mod:`akte.auth.permissions`): 404 if they cannot read it, 403 ``lent_access`` if they
    only borrow its Akte and ``action`` is not lent."""
    document = get_visible(session, principal, document_id)
    if permissions.is_lent(action):
        return document
    owned = session.scalar(
        repository.writable_statement(principal).where(Document.id == document.id)
    )
    if owned is None:
        raise permissions.lent_access_refused(action)
    return owned


def get_deletable(session: Session, principal: Principal, document_id: uuid.UUID) -> Document:
    """Early deletion: a tenant admin for any document of their tenant (retention is
    theirs), a caseworker only in an Akte they own."""
    if principal.role is Role.tenant_admin:
        document = session.scalar(
            repository.retention_statement(principal).where(Document.id == document_id)
        )
        if document is None:
            raise NotFound("document not found")
        return document
    return get_owned(session, principal, document_id, Action.delete_document)


def to_read(session: Session, document: Document) -> DocumentRead:
    read = DocumentRead.model_validate(document)
    current = repository.version(session, document.id, document.current_version)
    if current is not None:
        read.size, read.mime_type = current.size, current.mime_type
        read.sha256, read.page_count = current.sha256, current.page_count
        read.archive_pdfa = current.archive_pdfa
        read.archive_pdfa_problem = current.archive_pdfa_problem
    return read


def to_detail(session: Session, document: Document) -> DocumentDetail:
    base = to_read(session, document)
    rows = repository.versions(session, document.id)
    kept: dict[uuid.UUID, list[SourceRead]] = {}
    for source in repository.sources(session, [v.id for v in rows]):
        kept.setdefault(source.version_id, []).append(SourceRead.model_validate(source))
    versions = [
        VersionRead.model_validate(v).model_copy(
            update={
                "has_archive": bool(v.archive_sha256),
                "has_thumbnail": bool(v.thumbnail_sha256),
                "sources": kept.get(v.id, []),
            }
        )
        for v in rows
    ]
    return DocumentDetail(**base.model_dump(), versions=versions)


def upload(
    session: Session,
    storage: BlobStore,
    principal: Principal,
    case_file_id: uuid.UUID,
    *,
    fileobj: BinaryIO,
    filename: str | None,
    title: str | None,
    doc_type: str | None,
    max_bytes: int,
) -> Document:
    case_file = case_files.get_owned(session, principal, case_file_id, Action.file)
    scanned = intake.scan_file(fileobj, max_bytes=max_bytes)
    intake.store(storage, fileobj, scanned)
    document = intake.add_document(
        session,
        tenant_id=case_file.tenant_id,
        case_file_id=case_file.id,
        scanned=scanned,
        filename=filename,
        title=title,
        doc_type=doc_type,
        source=DocumentSource.staff_upload,
        created_by_id=principal.user_id,
    )
    audit.record(
        session,
        principal,
        "document.upload",
        object_type="document",
        object_id=document.id,
        detail={"case_file_id": str(case_file.id), "sha256": scanned.sha256, "size": scanned.size},
    )
    return document


def add_version(
    session: Session,
    storage: BlobStore,
    principal: Principal,
    document_id: uuid.UUID,
    *,
    fileobj: BinaryIO,
    filename: str | None,
    max_bytes: int,
) -> Document:
    document = get_owned(session, principal, document_id, Action.version_document)
    scanned = intake.scan_file(fileobj, max_bytes=max_bytes)
    intake.store(storage, fileobj, scanned)
    version = intake.add_version(
        session, document, scanned=scanned, filename=filename, created_by_id=principal.user_id
    )
    audit.record(
        session,
        principal,
        "document.new_version",
        object_type="document",
        object_id=document.id,
        detail={"version_no": version.version_no, "sha256": scanned.sha256},
    )
    return document


def update(
    session: Session, principal: Principal, document_id: uuid.UUID, *, document_in: DocumentUpdate
) -> Document:
    document = get_owned(session, principal, document_id, Action.annotate)
    changes = document_in.model_dump(exclude_unset=True)
    for name, value in changes.items():
        setattr(document, name, value)
    session.flush()
    events.document_changed(session, document.id)
    audit.record(
        session,
        principal,
        "document.update",
        object_type="document",
        object_id=document.id,
        detail={"fields": sorted(changes)},
    )
    return document


def list_query(
    session: Session,
    principal: Principal,
    case_file_id: uuid.UUID,
    query: DocumentListQuery | None = None,
) -> Select:
    """The documents of an Akte the caller may read, filtered and sorted by ``query``
    (newest first without one); 404 if the Akte is not readable."""
    case_file = case_files.get_visible(session, principal, case_file_id)
    audit.record(
        session,
        principal,
        "case_file.list_documents",
        object_type="case_file",
        object_id=case_file.id,
    )
    return listing.apply(
        repository.in_case_file(session, case_file.id), query or DocumentListQuery()
    )


@dataclass(frozen=True)
class Download:
    sha256: str
    size: int
    mime_type: str
    filename: str


#: How long after the viewer page opened its byte-range requests count as that viewing.
VIEW_WINDOW = timedelta(hours=8)


def record_view(
    session: Session,
    principal: Principal,
    document: Document,
    *,
    version_no: int,
    rendition: Rendition,
) -> None:
    """One audit entry ``document.view`` when the viewer opens a document: who, which
    document and file, when. The viewer then fetches the file in dozens of Range requests
    (64 KiB each); :func:`resolve_download` does not record those again as downloads."""
    audit.record(
        session,
        principal,
        "document.view",
        object_type="document",
        object_id=document.id,
        detail={"version_no": version_no, "rendition": rendition},
    )


def _viewing(
    session: Session, principal: Principal, document_id: uuid.UUID, version_no: int, rendition: str
) -> bool:
    """Whether this person opened this file in the viewer within :data:`VIEW_WINDOW`."""
    details = audit.recent_details(
        session,
        principal,
        "document.view",
        object_type="document",
        object_id=document_id,
        since=utcnow() - VIEW_WINDOW,
    )
    return any(
        d.get("version_no") == version_no and d.get("rendition") == rendition for d in details
    )


def resolve_download(
    session: Session,
    storage: BlobStore,
    principal: Principal,
    document_id: uuid.UUID,
    *,
    version_no: int | None,
    rendition: Rendition,
    source: int | None = None,
    ranged: bool = False,
) -> Download:
    """What to send for a download the principal may make, after the access check.
    ``source``: the file at that position among those the version was made from (a photo
    as the citizen sent it, a form's answers), instead of a rendition of the version.

    Audited as ``document.download``, except a byte range (``ranged``) of a file this
    person has open in the viewer (:func:`record_view`): a viewing is one audit entry, not
    one per Range request. A whole-file download, and any range without a recorded
    viewing, is always recorded."""
    document = get_visible(session, principal, document_id)
    version = repository.version(session, document.id, version_no or document.current_version)
    if version is None:
        raise NotFound("version not found")
    if source is not None:
        row = repository.source(session, version.id, source)
        if row is None:
            raise NotFound("source file not found")
        download = Download(row.sha256, row.size, row.mime_type, row.filename)
    else:
        download = _rendition(version, rendition, document)
    info = storage.stat(download.sha256)
    if info is None:
        raise ServiceUnavailable("the stored file is missing; an administrator must run akte fsck")
    if not (ranged and _viewing(session, principal, document.id, version.version_no, rendition)):
        audit.record(
            session,
            principal,
            "document.download",
            object_type="document",
            object_id=document.id,
            detail={"version_no": version.version_no, "rendition": rendition}
            | ({"source": source} if source is not None else {}),
        )
    return replace(download, size=info.size)


def _rendition(
    version: DocumentVersion, rendition: Rendition, document: Document | None = None
) -> Download:
    stem = version.filename.rsplit(".", 1)[0] or "dokument"
    if rendition == "original":
        return Download(version.sha256, version.size, version.mime_type, version.filename)
    if rendition == "archive" and version.archive_sha256:
        return Download(version.archive_sha256, 0, "application/pdf", f"{stem}.archiv.pdf")
    if rendition == "thumbnail" and version.thumbnail_sha256:
        return Download(version.thumbnail_sha256, 0, "image/png", f"{stem}.png")
    if (
        document is not None
        and document.status == DocumentStatus.failed
        and version.version_no == document.current_version
    ):
        raise NotFound(
            f"there is no {rendition} file: processing failed "
            f"({document.status_reason or 'no reason recorded'}); the original is kept "
            "and can be downloaded",
            code="processing_failed",
        )
    raise NotFound(f"no {rendition} file yet for this version", code="rendition_not_ready")


def page_slice(
    session: Session,
    principal: Principal,
    document_id: uuid.UUID,
    version_no: int | None,
    *,
    start: int,
    limit: int,
) -> tuple[list, int]:
    """Page texts ``start`` … ``start + limit - 1`` of a version, and how many pages it has
    texts for, so a long document is read in slices instead of all at once."""
    document = get_visible(session, principal, document_id)
    version = repository.version(session, document.id, version_no or document.current_version)
    if version is None:
        raise NotFound("version not found")
    audit.record(
        session,
        principal,
        "document.read_text",
        object_type="document",
        object_id=document.id,
        detail={"start": start, "limit": limit},
    )
    rows = repository.pages(session, version.id, start=start, limit=limit)
    return pagetexts.verified(rows), repository.page_total(session, version.id)


def find_in_document(
    session: Session,
    principal: Principal,
    document: Document,
    version_no: int,
    query: str,
    *,
    limit: int = 200,
) -> list[int]:
    """Pages of a version whose recognised text has every word of ``query`` (audited as a
    read of the text: the answer says where words occur)."""
    words = [w for w in query.split() if w][:8]
    version = repository.version(session, document.id, version_no)
    if not words or version is None:
        return []
    audit.record(
        session,
        principal,
        "document.read_text",
        object_type="document",
        object_id=document.id,
        detail={"find": query[:200]},
    )
    return repository.pages_containing(session, version.id, words, limit=limit)
