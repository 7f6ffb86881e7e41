"""A grant shares one Akte with one org unit beyond the org unit that owns it.

Grants expire by themselves: ``valid_until`` is compared on every request (when the caller's
:class:`~akte.auth.principal.Principal` is built), so no job has to revoke anything.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from akte.core.database import Base, Timestamps, UTCDateTime, UUIDPrimaryKey


class CaseFileGrant(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "case_file_grants"
    __table_args__ = (
        UniqueConstraint("case_file_id", "org_unit_id"),
        Index("ix_case_file_grants_org_unit", "org_unit_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    case_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    org_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"))
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    granted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
