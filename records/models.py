"""Tables of ``records``: redacted renditions and exports.

A :class:`Redaction` is a new, labelled rendition of one document version (who, when, why,
which marks); the original version is never changed. An :class:`Export` is one request to
let (part of) an Akte out — to a court, for an inspection, or as an xdomea message — with
its state, progress and the blobs it produced. The documents an export contains are fixed
when it is requested (what the requester may read then), so the job that builds it later
never widens the selection.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from akte.core.database import Base, Timestamps, UTCDateTime, UUIDPrimaryKey, utcnow


class Redaction(UUIDPrimaryKey, Base):
    __tablename__ = "records_redactions"
    __table_args__ = (Index("ix_records_redactions_version", "version_id", "created_at"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    case_file_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case_files.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("document_versions.id", ondelete="CASCADE")
    )
    #: The rendition that was redacted (the archive PDF of the version).
    source_sha256: Mapped[str] = mapped_column(String(64))
    #: The redacted copy.
    redacted_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    page_count: Mapped[int] = mapped_column(Integer)
    #: ``[{"page", "x0", "top", "x1", "bottom"}]`` in display points.
    areas: Mapped[list[dict[str, float]]] = mapped_column(JSON, default=list)
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    redacted_pages: Mapped[list[int]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExportKind(enum.StrEnum):
    #: Aktenübersendung an ein Gericht.
    court = "court"
    #: Akteneinsicht (§ 25 SGB X, Art. 15 DSGVO).
    inspection = "inspection"
    #: xdomea Abgabe (0401) to another authority.
    xdomea_abgabe = "xdomea-abgabe"


class ExportStatus(enum.StrEnum):
    queued = "queued"
    building = "building"
    ready = "ready"
    failed = "failed"


class Export(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "records_exports"
    __table_args__ = (Index("ix_records_exports_case_file", "case_file_id", "created_at"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    case_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(300))
    #: Gerichtliches Aktenzeichen, Anfrage-Nr. or similar, printed on the cover sheet.
    reference: Mapped[str | None] = mapped_column(String(200))
    #: The documents, in Akte order, fixed at request time.
    document_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: xdomea version of an xdomea export (``3.0.0`` or ``3.1.0``).
    xdomea_version: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=ExportStatus.queued)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    page_count: Mapped[int | None] = mapped_column(Integer)
    #: The one PDF with cover sheet, table of contents and Blattzahlen (court, inspection).
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_size: Mapped[int | None] = mapped_column(BigInteger)
    #: The package: originals (or redacted copies) + manifest, or the xdomea message ZIP.
    zip_sha256: Mapped[str | None] = mapped_column(String(64))
    zip_size: Mapped[int | None] = mapped_column(BigInteger)
    zip_name: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The receiver's import confirmation (xdomea 0402; an Abgabe only): ``confirmed``
    #: (every object imported), ``partial`` or ``rejected``; the verdict per object; the
    #: message exactly as received (a blob); when it was recorded.
    confirmation_status: Mapped[str | None] = mapped_column(String(16))
    confirmation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    confirmation_sha256: Mapped[str | None] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AussonderungStatus(enum.StrEnum):
    #: 0501 written; the Akten are held (no retention deletes them) until the archive decides.
    offered = "offered"
    #: the archive's evaluation (0502) is recorded.
    evaluated = "evaluated"
    #: the 0503 with the Akten to archive is being built (a job).
    building = "building"
    #: the 0503 is ready to be handed to the archive.
    transferred = "transferred"
    #: the archive confirmed the import (0506); nothing is open any more.
    done = "done"
    failed = "failed"


class ItemState(enum.StrEnum):
    offered = "offered"  # waiting for the archive's evaluation
    archive = "archive"  # A: archivwürdig, goes into the 0503
    destroy = "destroy"  # V: not worth archiving; the hold is released, retention deletes
    undecided = "undecided"  # B or no verdict: stays held until a person decides
    archived = "archived"  # the archive confirmed the import; hold released
    failed = "failed"  # the archive could not import it; stays held


class Aussonderung(UUIDPrimaryKey, Timestamps, Base):
    """One Aussonderung of a tenant's Akten to its archive (xdomea 0501-0507). The Akten
    are offered (0501), the archive evaluates them (0502), the ones it takes go over in
    0503, and it confirms the import (0506); 0504 and 0507 acknowledge receipt."""

    __tablename__ = "records_aussonderungen"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(300))
    xdomea_version: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=AussonderungStatus.offered)
    offer_sha256: Mapped[str | None] = mapped_column(String(64))
    offer_name: Mapped[str | None] = mapped_column(String(200))
    package_sha256: Mapped[str | None] = mapped_column(String(64))
    package_name: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class AussonderungItem(UUIDPrimaryKey, Base):
    __tablename__ = "records_aussonderung_items"

    aussonderung_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("records_aussonderungen.id", ondelete="CASCADE"), index=True
    )
    #: No foreign key: the Akte is deleted once archived or destroyed; this record stays.
    case_file_id: Mapped[uuid.UUID] = mapped_column(index=True)
    aktenzeichen: Mapped[str] = mapped_column(String(100))
    #: The legal hold that keeps retention away while the archive decides.
    hold_id: Mapped[uuid.UUID | None] = mapped_column()
    #: The archive's Aussonderungsart as received (A, V, B or a configured value).
    decision: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(16), default=ItemState.offered)
    #: The archive's own reference (Archivkennung) after the import.
    archive_ref: Mapped[str | None] = mapped_column(String(200))
    remarks: Mapped[list[str]] = mapped_column(JSON, default=list)


class AussonderungMessage(UUIDPrimaryKey, Base):
    """A message received from the archive, kept byte for byte (a blob)."""

    __tablename__ = "records_aussonderung_messages"
    __table_args__ = (UniqueConstraint("aussonderung_id", "sha256"),)

    aussonderung_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("records_aussonderungen.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(4))
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TransferStatus(enum.StrEnum):
    #: the sending tenant's admin asked for it; the receiving tenant's admin decides.
    requested = "requested"
    #: accepted into an org unit; the move job is queued.
    accepted = "accepted"
    #: the Akte belongs to the receiving tenant; the sender keeps this row as its trace.
    done = "done"
    #: refused by the receiving tenant or withdrawn by the sender.
    refused = "refused"
    cancelled = "cancelled"
    #: the move found a reason not to happen (legal hold, Aktenzeichen taken meanwhile).
    failed = "failed"


class Transfer(UUIDPrimaryKey, Timestamps, Base):
    """A Zuständigkeitswechsel of one Akte to another tenant of the same installation.

    After the move this row is all the sending tenant keeps: when, which Aktenzeichen, to
    whom — no document content. No foreign key to the Akte: it may later be deleted by the
    receiver's retention, the trace stays."""

    __tablename__ = "records_transfers"
    __table_args__ = (
        Index("ix_records_transfers_from", "from_tenant_id", "created_at"),
        Index("ix_records_transfers_to", "to_tenant_id", "created_at"),
    )

    case_file_id: Mapped[uuid.UUID] = mapped_column(index=True)
    aktenzeichen: Mapped[str] = mapped_column(String(64))
    from_tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    to_tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    #: the receiving org unit, chosen by the receiver's admin on acceptance.
    to_org_unit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default=TransferStatus.requested)
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    document_count: Mapped[int | None] = mapped_column(Integer)
    #: The Akte's audit entries of the sending tenant up to the move, as JSON (a blob):
    #: the trail travels with the Akte; the sender's own entries stay in its chain.
    audit_trail_sha256: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)


#: Blobs these rows cannot do without (``akte fsck`` reports one that storage lacks).
REQUIRED_BLOBS = (
    Redaction.redacted_sha256,
    Export.pdf_sha256,
    Export.zip_sha256,
    Export.confirmation_sha256,
    Aussonderung.offer_sha256,
    Aussonderung.package_sha256,
    AussonderungMessage.sha256,
    Transfer.audit_trail_sha256,
)
