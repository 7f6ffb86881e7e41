"""Queries on documents, versions and pages."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from akte.documents.models import Document, DocumentPage, DocumentVersion


def get(session: Session, document_id: uuid.UUID) -> Document | None:
    return session.get(Document, document_id)


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


def in_case_file(session: Session, case_file_id: uuid.UUID) -> Select[tuple[Document]]:
    return (
        select(Document)
        .where(Document.case_file_id == case_file_id)
        .order_by(Document.received_at.desc(), Document.id)
    )


def pages(session: Session, version_id: uuid.UUID) -> list[DocumentPage]:
    return list(
        session.scalars(
            select(DocumentPage)
            .where(DocumentPage.version_id == version_id)
            .order_by(DocumentPage.page_no)
        )
    )
