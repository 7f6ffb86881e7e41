"""Documents, their versions (the original bytes as received) and recognised page texts.

A document's versions are never changed or removed by uploading: a new file becomes a new
version. Derived files (the searchable archive PDF, the thumbnail) hang off the version they
were made from; all bytes live in blob storage under their SHA-256.
"""

from __future__ import annotations

import enum
import hashlib
import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from akte.core.database import Base, Timestamps, UTCDateTime, UUIDPrimaryKey, utcnow


class DocumentSource(enum.StrEnum):
    scan_import = "scan-import"
    citizen_upload = "citizen-upload"
    staff_upload = "staff-upload"
    letter = "letter"


class DocumentStatus(enum.StrEnum):
    received = "received"
    processing = "processing"
    ready = "ready"
    failed = "failed"


class Document(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_case_file", "case_file_id", "received_at"),
        Index("ix_documents_tenant_status", "tenant_id", "status"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    case_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    doc_type: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    document_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=DocumentStatus.received)
    status_reason: Mapped[str | None] = mapped_column(Text)
    #: ``False`` while a document waits in the Posteingang to be checked and filed.
    filed: Mapped[bool] = mapped_column(default=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    #: Set when a caseworker refused the document in the Posteingang (``akte.inbox``): it
    #: is kept (what was received is retained) but waits no longer, and is not searched.
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    rejected_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class DocumentVersion(UUIDPrimaryKey, Base):
    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "version_no"),)

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    version_no: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(300))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    page_count: Mapped[int | None] = mapped_column(Integer)
    archive_sha256: Mapped[str | None] = mapped_column(String(64))
    thumbnail_sha256: Mapped[str | None] = mapped_column(String(64))
    #: The archive carries the PDF/A-2b declaration (``None``: built before this was kept).
    archive_pdfa: Mapped[bool | None] = mapped_column()
    #: Why it does not: the first thing ``ingest.pdfa`` found against PDF/A-2b.
    archive_pdfa_problem: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class VersionSource(UUIDPrimaryKey, Base):
    """An original file a version was made from, when the version is not itself what was
    received: several photos of one paper, composed into one PDF (the version) in the
    order the citizen gave. The photos' bytes stay in blob storage as received (their
    ``sha256`` is a blob reference like any other, see :mod:`akte.operations.blobrefs`),
    so composing never loses what the citizen sent; the receipt lists their hashes."""

    __tablename__ = "document_version_sources"
    __table_args__ = (UniqueConstraint("version_id", "position"),)

    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("document_versions.id", ondelete="CASCADE"), index=True
    )
    #: 1-based: the page of the composed PDF this file became
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(300))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)


class DocumentPage(Base):
    """The recognised text of one page of one version (text layer or OCR)."""

    __tablename__ = "document_pages"

    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("document_versions.id", ondelete="CASCADE"), primary_key=True
    )
    page_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")
    #: ``text-layer``, ``ocr`` or ``failed`` (this page only; see ``problem``).
    method: Mapped[str] = mapped_column(String(16))
    #: Why a ``failed`` page could not be processed; the document's other pages were.
    problem: Mapped[str | None] = mapped_column(String(500))
    confidence: Mapped[float | None] = mapped_column()
    #: :func:`page_digest` of the text, set whenever the text is written through the ORM;
    #: a row whose text no longer matches it is damaged and is not served as if right.
    text_digest: Mapped[str | None] = mapped_column(String(64))

    @property
    def intact(self) -> bool:
        return self.text_digest is None or self.text_digest == page_digest(
            self.version_id, self.page_no, self.text
        )


def page_digest(version_id: uuid.UUID, page_no: int, text: str | None) -> str:
    """SHA-256 over a page's text and its place (version, page number): a text moved to
    another page is as wrong as an altered one. The 0750 migration uses the same formula."""
    return hashlib.sha256(f"{version_id}:{page_no}:{text or ''}".encode()).hexdigest()


@event.listens_for(DocumentPage, "before_insert")
@event.listens_for(DocumentPage, "before_update")
def _digest_page_text(_mapper: object, _connection: object, page: DocumentPage) -> None:
    page.text_digest = page_digest(page.version_id, page.page_no, page.text)
