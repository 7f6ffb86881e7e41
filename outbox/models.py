"""Tables of the outbox: letters, their status history, batches, settings, provider grants.

Invariants the schema itself enforces (not only the service code):

* a letter is in at most one batch: ``outbox_batch_items.letter_id`` is unique;
* a status appears at most once in a letter's history: ``(letter_id, status)`` is unique,
  which makes duplicate provider reports harmless even when two arrive at once.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from akte.core.database import Base, BigIntPK, Timestamps, UTCDateTime, UUIDPrimaryKey, utcnow


class Product(enum.StrEnum):
    standardbrief = "standardbrief"
    einschreiben_einwurf = "einschreiben_einwurf"
    einschreiben = "einschreiben"
    einschreiben_rueckschein = "einschreiben_rueckschein"
    pzu = "pzu"


class LetterStatus(enum.StrEnum):
    queued = "queued"
    batched = "batched"
    handed_over = "handed_over"
    printed = "printed"
    posted = "posted"
    delivered = "delivered"
    returned = "returned"
    #: The provider cannot print or post it (damaged PDF, unreadable address): a reason
    #: code and text are kept, the caseworker must act.
    rejected = "rejected"
    cancelled = "cancelled"


#: Position in the life cycle; the current status never moves to a lower rank.
RANK = {
    LetterStatus.queued: 0,
    LetterStatus.batched: 1,
    LetterStatus.handed_over: 2,
    LetterStatus.printed: 3,
    LetterStatus.posted: 4,
    LetterStatus.delivered: 5,
    LetterStatus.returned: 6,  # may follow a delivery (a refused PZU): kept and flagged
    LetterStatus.rejected: 7,
    LetterStatus.cancelled: 9,
}


class BatchStatus(enum.StrEnum):
    sealing = "sealing"  # letters claimed, ZIP being built; invisible to the provider
    ready = "ready"  # sealed and immutable, offered to the provider
    handed_over = "handed_over"  # the provider acknowledged receipt


class Letter(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "outbox_letters"
    __table_args__ = (
        Index("ix_outbox_letters_queue", "tenant_id", "status", "product", "created_at"),
        Index("ix_outbox_letters_case_file", "case_file_id", "created_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    case_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outbox_batches.id"), index=True)
    aktenzeichen: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(300))
    #: The address as printed in the window zone, one line per entry (never cut).
    recipient: Mapped[str] = mapped_column(Text)
    product: Mapped[str] = mapped_column(String(32))
    color: Mapped[bool] = mapped_column(Boolean, default=False)
    duplex: Mapped[bool] = mapped_column(Boolean, default=False)
    page_count: Mapped[int] = mapped_column(Integer)
    sheet_count: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default=LetterStatus.queued)
    posted_on: Mapped[date | None] = mapped_column(Date)
    #: Zugangsfiktion (posted + 4 days, next working day) or, for a PZU, the Zustellung date.
    legal_delivery_date: Mapped[date | None] = mapped_column(Date)
    delivered_on: Mapped[date | None] = mapped_column(Date)
    return_reason: Mapped[str | None] = mapped_column(Text)
    proof_document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # --- provider feedback (migration 0795) ---
    #: Sendungsnummer of an Einschreiben or PZU.
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    rejection_code: Mapped[str | None] = mapped_column(String(64))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    #: ``returned`` and ``delivered`` were both reported: the caseworker must check which holds.
    return_after_delivery: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Set when a proof document (Rückschein, PZU) gave the legal delivery date.
    legal_date_source: Mapped[str | None] = mapped_column(String(16))
    # --- addresses and product (migration 0810) ---
    #: :class:`outbox.addresses.PostalAddress` of the recipient (``None``: stored before
    #: 0810; read from ``recipient`` then)
    recipient_address: Mapped[dict | None] = mapped_column(JSON)
    #: the tenant's sender address when the letter was written (``None``: not configured)
    sender_address: Mapped[dict | None] = mapped_column(JSON)
    #: print profile the letter was checked against, and the envelope it chose
    print_profile: Mapped[str | None] = mapped_column(String(32))
    envelope: Mapped[str | None] = mapped_column(String(8))


class LetterEvent(Base):
    """One step of a letter's life; ``occurred_on`` is the date the provider reported."""

    __tablename__ = "outbox_letter_events"
    __table_args__ = (UniqueConstraint("letter_id", "status"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    letter_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("outbox_letters.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    occurred_on: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class Batch(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "outbox_batches"
    __table_args__ = (Index("ix_outbox_batches_offer", "tenant_id", "status", "offer_expires_at"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    product: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=BatchStatus.sealing)
    letter_count: Mapped[int] = mapped_column(Integer, default=0)
    sheet_count: Mapped[int] = mapped_column(Integer, default=0)
    zip_sha256: Mapped[str | None] = mapped_column(String(64))
    zip_size: Mapped[int | None] = mapped_column(BigInteger)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Set when the provider fetches the ZIP; past it, an unacknowledged batch is offered again.
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    download_count: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    #: First status report on one of its letters (migration 0795): from then on the provider
    #: evidently holds the batch, so it is never offered again as new.
    first_report_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Set when the batch goes to a push provider (:mod:`outbox.push`): the pull API does
    #: not offer it (migration 0811).
    push_provider: Mapped[str | None] = mapped_column(String(32))


class PushItem(Base):
    """A letter uploaded to a push provider: its id there and the last status seen."""

    __tablename__ = "outbox_push_items"
    __table_args__ = (Index("ix_outbox_push_items_open", "provider", "final", "checked_at"),)

    letter_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("outbox_letters.id", ondelete="CASCADE"), primary_key=True
    )
    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("outbox_batches.id", ondelete="CASCADE"), index=True
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(32))
    provider_ref: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: the provider's raw status as last polled (e.g. ``4`` / ``DELIVERED``)
    provider_status: Mapped[str | None] = mapped_column(String(64))
    #: nothing more will change: no further polling
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: a report the status model refused (e.g. a contradictory date), for the operator
    last_error: Mapped[str | None] = mapped_column(Text)


class BatchDownload(Base):
    """One fetch of a batch ZIP (full or ranged); an ``ack`` needs at least one."""

    __tablename__ = "outbox_batch_downloads"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("outbox_batches.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    requested_range: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BatchItem(Base):
    __tablename__ = "outbox_batch_items"

    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("outbox_batches.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    letter_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("outbox_letters.id", ondelete="CASCADE"), unique=True
    )


class OutboxSettings(Base):
    """Per-tenant outbox rules; a tenant without a row uses :data:`outbox.settings.DEFAULTS`."""

    __tablename__ = "outbox_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    values: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ProviderAssignment(Base):
    """A print provider serving a tenant other than its own."""

    __tablename__ = "outbox_provider_tenants"

    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )


#: Blobs these rows cannot do without (``akte fsck`` reports one that storage lacks): the
#: letter PDF and a sealed batch's ZIP.
REQUIRED_BLOBS = (Letter.sha256, Batch.zip_sha256)
