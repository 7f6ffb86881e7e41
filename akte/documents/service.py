"""Business rules for documents: who may read, upload, change and download them.

Access to a document is access to its Akte: the caller must be able to read the Akte the
document is filed in (see :mod:`akte.auth.principal`). Everything else is 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import BinaryIO

from sqlalchemy import Select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.case_files import service as case_files
from akte.case_files.models import CaseFile
from akte.core.errors import NotFound, ServiceUnavailable
from akte.core.storage import BlobStore
from akte.documents import events, intake, pagetexts, repository
from akte.documents.models import Document, DocumentSource, DocumentVersion
from akte.documents.schemas import (
    DocumentDetail,
    DocumentRead,
    DocumentUpdate,
    Rendition,
    VersionRead,
)


def get_visible(session: Session, principal: Principal, document_id: uuid.UUID) -> Document:
    document = repository.get(session, document_id)
    if document is None:
        raise NotFound("document not found")
    case_file = session.get(CaseFile, document.case_file_id)
    if case_file is None or not principal.can_read_case_data(
        case_file.tenant_id, case_file.org_unit_id, case_file.id
    ):
        raise NotFound("document not found")
    return document


def to_read(session: Session, document: Document) -> DocumentRead:
    read = DocumentRead.model_validate(document)
    current = repository.version(session, document.id, document.current_version)
    if current is not None:
        read.size, read.mime_type = current.size, current.mime_type
        read.sha256, read.page_count = current.sha256, current.page_count
    return read


def to_detail(session: Session, document: Document) -> DocumentDetail:
    base = to_read(session, document)
    versions = [
        VersionRead.model_validate(v).model_copy(
            update={
                "has_archive": bool(v.archive_sha256),
                "has_thumbnail": bool(v.thumbnail_sha256),
            }
        )
        for v in repository.versions(session, document.id)
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
    case_file = case_files.get_visible(session, principal, case_file_id)
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
    document = get_visible(session, principal, document_id)
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
    document = get_visible(session, principal, document_id)
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


def list_query(session: Session, principal: Principal, case_file_id: uuid.UUID) -> Select:
    case_file = case_files.get_visible(session, principal, case_file_id)
    audit.record(
        session,
        principal,
        "case_file.list_documents",
        object_type="case_file",
        object_id=case_file.id,
    )
    return repository.in_case_file(session, case_file.id)


@dataclass(frozen=True)
class Download:
    sha256: str
    size: int
    mime_type: str
    filename: str


def resolve_download(
    session: Session,
    storage: BlobStore,
    principal: Principal,
    document_id: uuid.UUID,
    *,
    version_no: int | None,
    rendition: Rendition,
) -> Download:
    document = get_visible(session, principal, document_id)
    version = repository.version(session, document.id, version_no or document.current_version)
    if version is None:
        raise NotFound("version not found")
    download = _rendition(version, rendition)
    info = storage.stat(download.sha256)
    if info is None:
        raise ServiceUnavailable("the stored file is missing; an administrator must run akte fsck")
    audit.record(
        session,
        principal,
        "document.download",
        object_type="document",
        object_id=document.id,
        detail={"version_no": version.version_no, "rendition": rendition},
    )
    return replace(download, size=info.size)


def _rendition(version: DocumentVersion, rendition: Rendition) -> Download:
    stem = version.filename.rsplit(".", 1)[0] or "dokument"
    if rendition == "original":
        return Download(version.sha256, version.size, version.mime_type, version.filename)
    if rendition == "archive" and version.archive_sha256:
        return Download(version.archive_sha256, 0, "application/pdf", f"{stem}.archiv.pdf")
    if rendition == "thumbnail" and version.thumbnail_sha256:
        return Download(version.thumbnail_sha256, 0, "image/png", f"{stem}.png")
    raise NotFound(f"no {rendition} file yet for this version", code="rendition_not_ready")


def pages(
    session: Session, principal: Principal, document_id: uuid.UUID, version_no: int | None
) -> list:
    document = get_visible(session, principal, document_id)
    version = repository.version(session, document.id, version_no or document.current_version)
    if version is None:
        raise NotFound("version not found")
    audit.record(
        session, principal, "document.read_text", object_type="document", object_id=document.id
    )
    return pagetexts.verified(repository.pages(session, version.id))
