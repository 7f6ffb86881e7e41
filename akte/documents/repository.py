"""Queries on documents, versions and pages.

What a principal may read or change is built here once (:func:`readable_statement`,
:func:`writable_statement`, :func:`retention_statement`); it follows the Akte the document
is filed in (:mod:`akte.case_files.repository`).
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session

from akte.auth.principal import Principal
from akte.case_files import repository as case_files
from akte.case_files.models import CaseFile
from akte.documents.models import Document, DocumentPage, DocumentVersion, VersionSource
from akte.users.models import Role


def get(session: Session, document_id: uuid.UUID) -> Document | None:
    return session.get(Document, document_id)


def readable_statement(principal: Principal) -> Select[Document]:
    """Documents the caller may read: those filed in an Akte they may read."""
    akten = case_files.readable_statement(principal).with_only_columns(CaseFile.id)
    return select(Document).where(Document.case_file_id.in_(akten))


def writable_statement(principal: Principal) -> Select[Document]:
    """Documents the caller may delete or add versions to: those of Akten they own."""
    akten = case_files.writable_statement(principal).with_only_columns(CaseFile.id)
    return select(Document).where(Document.case_file_id.in_(akten))


def retention_statement(principal: Principal) -> Select[Document]:
    """Documents a tenant admin may delete early (retention is theirs): their tenant's."""
    if principal.role is not Role.tenant_admin or principal.tenant_id is None:
        return select(Document).where(false())
    return select(Document).where(Document.tenant_id == principal.tenant_id)


def versions(session: Session, document_id: uuid.UUID) -> list[DocumentVersion]:
    return list(
        session.scalars(
            select(DocumentVersion)
            .where(DocumentVersion.document_id == document_id)
            .order_by(DocumentVersion.version_no)
        )
    )


def version(session: Session, document_id: uuid.UUID, version_no: int) -> DocumentVersion | None:
    return session.scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document_id, DocumentVersion.version_no == version_no
        )
    )


def sources(session: Session, version_ids: list[uuid.UUID]) -> list[VersionSource]:
    """The files the versions were made from, in page order."""
    if not version_ids:
        return []
    return list(
        session.scalars(
            select(VersionSource)
            .where(VersionSource.version_id.in_(version_ids))
            .order_by(VersionSource.version_id, VersionSource.position)
        )
    )


def source(session: Session, version_id: uuid.UUID, position: int) -> VersionSource | None:
    return session.scalar(
        select(VersionSource).where(
            VersionSource.version_id == version_id, VersionSource.position == position
        )
    )


def in_case_file(session: Session, case_file_id: uuid.UUID) -> Select[Document]:
    return (
        select(Document)
        .where(Document.case_file_id == case_file_id)
        .order_by(Document.received_at.desc(), Document.id)
    )


def pages(
    session: Session, version_id: uuid.UUID, *, start: int = 1, limit: int | None = None
) -> list[DocumentPage]:
    """Page texts of a version in page order, from page ``start``, at most ``limit``."""
    stmt = (
        select(DocumentPage)
        .where(DocumentPage.version_id == version_id, DocumentPage.page_no >= start)
        .order_by(DocumentPage.page_no)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def page_total(session: Session, version_id: uuid.UUID) -> int:
    """The highest page number with a text (pages are numbered from 1 without gaps)."""
    return int(
        session.scalar(
            select(func.max(DocumentPage.page_no)).where(DocumentPage.version_id == version_id)
        )
        or 0
    )


def pages_containing(
    session: Session, version_id: uuid.UUID, words: list[str], *, limit: int
) -> list[int]:
    """Numbers of the pages (at most ``limit``, in order) whose text has every word, case
    insensitive: the viewer's search inside one document, answered from the stored texts
    so that finding page 418 of 600 needs no PDF bytes in the browser."""
    stmt = select(DocumentPage.page_no).where(DocumentPage.version_id == version_id)
    for word in words:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(DocumentPage.text.ilike(f"%{escaped}%", escape="\\"))
    return list(session.scalars(stmt.order_by(DocumentPage.page_no).limit(limit)))
