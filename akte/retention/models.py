"""Retention rules and legal holds.

A rule says how long documents of one Dokumentart (``doc_type``; ``None`` = every other
type) are kept, counted from the Akte's closing (``after="closed"``, the SGB II default) or
from the document's receipt (``after="received"``). A document without a matching rule is
never due: deletion needs an explicit decision. A legal hold on an Akte or a document
blocks every deletion of it until released.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from akte.core.database import Base, Timestamps, UTCDateTime, UUIDPrimaryKey


class RetentionRule(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "retention_rules"
    __table_args__ = (Index("ix_retention_rules_tenant", "tenant_id", "doc_type"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    doc_type: Mapped[str | None] = mapped_column(String(100))
    years: Mapped[int] = mapped_column(Integer)
    after: Mapped[str] = mapped_column(String(16), default="closed")


class LegalHold(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "legal_holds"
    __table_args__ = (
        Index("ix_legal_holds_case_file", "case_file_id"),
        Index("ix_legal_holds_document", "document_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    #: Deliberately no foreign keys: a hold must never be deleted along with its target,
    #: and its target cannot be deleted while the hold is active anyway.
    case_file_id: Mapped[uuid.UUID | None] = mapped_column()
    document_id: Mapped[uuid.UUID | None] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
