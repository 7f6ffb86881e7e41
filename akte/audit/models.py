"""Audit entries: appended by requests without locking, chained afterwards.

Requests append entries with ``seq``/``hash`` empty; :func:`akte.audit.service.seal` then
gives committed entries their place in the chain (``seq``) and
``hash = sha256(prev_hash || canonical entry)`` under a lock. Appending never waits for
other transactions, and the chain still covers every entry in one total order.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from akte.core.database import Base, BigIntPK, UTCDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_tenant_object", "tenant_id", "object_type", "object_id"),
        Index("ix_audit_tenant_actor", "tenant_id", "actor_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column()
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditAnchor(Base):
    """A copy of the chain head as sealed: ``seq``, ``hash``, ``at`` and their HMAC.

    The HMAC key is a setting, never in the database, so a database writer can delete
    these rows but not forge one; the same anchor also goes to object storage under
    Object Lock (see :mod:`akte.audit.anchors`).
    """

    __tablename__ = "audit_anchors"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    mac: Mapped[str] = mapped_column(String(64))
    location: Mapped[str | None] = mapped_column(String(500))
