"""The Akte: the file of one Bedarfsgemeinschaft or person."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from akte.core.database import Base, Timestamps, UTCDateTime, UUIDPrimaryKey


class CaseFile(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "case_files"
    __table_args__ = (
        UniqueConstraint("tenant_id", "aktenzeichen"),
        Index("ix_case_files_tenant_bg", "tenant_id", "bg_nummer_norm"),
        Index("ix_case_files_tenant_org_unit", "tenant_id", "org_unit_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    org_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_units.id"))
    aktenzeichen: Mapped[str] = mapped_column(String(64))
    bg_nummer: Mapped[str | None] = mapped_column(String(64))
    #: BG-Nummer without separators, upper case: what lookups compare against.
    bg_nummer_norm: Mapped[str | None] = mapped_column(String(64))
    kundennummer: Mapped[str | None] = mapped_column(String(64))
    betreff: Mapped[str | None] = mapped_column(String(500))
    person_name: Mapped[str | None] = mapped_column(String(200))
    #: Postal address of the recipient of letters, one line per entry (DIN 5008 window).
    address_lines: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="open")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
