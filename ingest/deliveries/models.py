"""Tables of deliveries: the delivery, one item per manifest row, and the import ledger.

* :class:`Delivery` keeps the manifest's hash and the Transfervermerk (its original bytes in
  blob storage, parsed JSON here) with the SHA-256 that binds it to the documents.
* :class:`DeliveryItem` is one manifest row (or one rejected stray file) with what was
  claimed (hash, pages), what was found, and its outcome and reason.
* :class:`ImportedDocument` is the ledger that makes imports idempotent across deliveries:
  its primary key ``(tenant, external id, hash)`` can be inserted only once, in the same
  transaction as the document it names.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from akte.core.database import Base, BigIntPK, Timestamps, UTCDateTime, UUIDPrimaryKey


class DeliveryStatus(enum.StrEnum):
    open = "open"  # items are being received
    committed = "committed"  # no more files; missing ones are rejected
    processing = "processing"  # accepted documents are still being processed
    done = "done"  # every item has a final outcome


class Outcome(enum.StrEnum):
    pending = "pending"  # listed in the manifest, file not (successfully) received yet
    accepted = "accepted"  # stored as a document, processing queued
    processed = "processed"  # the document is ready (derived from the document's status)
    failed = "failed"  # processing failed (derived from the document's status)
    rejected = "rejected"  # a check refused it; ``reason`` says why


class Delivery(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    #: The importer service account that created it (``None`` for the operator's CLI).
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    #: Who ran the CLI import (operating-system user), for the record.
    operator: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))  # "api" or "cli"
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.open)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    manifest_format: Mapped[str] = mapped_column(String(8))
    transfervermerk_sha256: Mapped[str] = mapped_column(String(64))
    transfervermerk_filename: Mapped[str] = mapped_column(String(300))
    transfervermerk: Mapped[dict] = mapped_column(JSON, default=dict)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The delivery this one corrects (same tenant); its report shows the final states.
    corrects_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL"), index=True
    )


class DeliveryItem(Base):
    __tablename__ = "delivery_items"
    __table_args__ = (
        UniqueConstraint("delivery_id", "key"),
        Index("ix_delivery_items_delivery_outcome", "delivery_id", "outcome"),
        Index("ix_delivery_items_document", "document_id"),
        Index("ix_delivery_items_delivery_document_sha256", "delivery_id", "document_sha256"),
        Index("ix_delivery_items_box_sha256", "box_sha256"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    #: The external id, or ``#row<n>`` / ``#file:<name>`` for rows that cannot own one.
    key: Mapped[str] = mapped_column(String(320))
    row_no: Mapped[int | None] = mapped_column(Integer)
    external_id: Mapped[str | None] = mapped_column(String(200))
    filename: Mapped[str | None] = mapped_column(String(500))
    #: Separator-split files: the part (1-based) of ``filename`` this row describes.
    part: Mapped[int | None] = mapped_column(Integer)
    aktenzeichen: Mapped[str | None] = mapped_column(String(64))
    bg_nummer: Mapped[str | None] = mapped_column(String(64))
    doc_type: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(300))
    document_date: Mapped[date | None] = mapped_column(Date)
    scan_date: Mapped[date | None] = mapped_column(Date)
    sha256_claimed: Mapped[str | None] = mapped_column(String(64))
    sha256_actual: Mapped[str | None] = mapped_column(String(64))
    #: Hash of the stored document (differs from ``sha256_actual`` for split parts).
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    pages_claimed: Mapped[int | None] = mapped_column(Integer)
    pages_actual: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16), default=Outcome.pending)
    reason_code: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    case_file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("case_files.id", ondelete="SET NULL")
    )
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL")
    )
    #: ``sha256(transfervermerk_sha256 || document_sha256)`` over the hex strings.
    binding_sha256: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The physical box (Karton) the manifest names, so operators find the sheets.
    box: Mapped[str | None] = mapped_column(String(100))
    #: Pages of a box file the manifest assigns to this row (instead of separator sheets).
    first_page: Mapped[int | None] = mapped_column(Integer)
    last_page: Mapped[int | None] = mapped_column(Integer)
    #: The pages of the box (or file) this row's document was cut from, e.g. ``4-5``.
    page_range: Mapped[str | None] = mapped_column(String(200))
    #: Blank pages found (page numbers in the box/file) and what was done: flagged/removed.
    blank_pages: Mapped[str | None] = mapped_column(String(500))
    blank_action: Mapped[str | None] = mapped_column(String(8))
    #: The box file kept as the scan product the document was cut from (a blob).
    box_sha256: Mapped[str | None] = mapped_column(String(64))
    #: What the box held: its pages, separator sheets, parts found (for the report).
    box_layout: Mapped[str | None] = mapped_column(Text)
    #: Manifest columns akte does not know, kept as ``{header: value}``.
    extra: Mapped[dict | None] = mapped_column(JSON)
    #: In a correction delivery: the corrected delivery's row with the same external id.
    corrects_item_id: Mapped[int | None] = mapped_column(
        BigIntPK, ForeignKey("delivery_items.id", ondelete="SET NULL"), index=True
    )
    #: For a new Akte: the person and the subject it is created with.
    person_name: Mapped[str | None] = mapped_column(String(200))
    case_subject: Mapped[str | None] = mapped_column(String(500))


class ImportedDocument(Base):
    """One row per document ever imported: ``(tenant, external id, hash)`` exactly once."""

    __tablename__ = "delivery_imports"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    external_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: Split parts of one file share the file's hash; the part keeps them apart.
    part: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL")
    )
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())


#: Blobs these rows cannot do without (``akte fsck`` reports one that storage lacks): the
#: scan protocol as delivered and the box files split documents were cut from.
#: (``manifest_sha256`` only records the manifest's hash.)
REQUIRED_BLOBS = (Delivery.transfervermerk_sha256, DeliveryItem.box_sha256)
