"""Tables of upload codes: the codes, the receipts of what citizens handed in with them,
and the counters that rate-limit guessing.

Upload codes are stored as their SHA-256 only: the plaintext is shown once to the
caseworker, who prints it on a letter. The first group of the code (``prefix``) is kept in
clear so guessing can be rate-limited per prefix as well as per IP address. The tables keep
the ``web_`` names they were created with (migrations 0500, 0880): the web layer owned
them before this package existed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from akte.core.database import Base, UTCDateTime, UUIDPrimaryKey, utcnow


class UploadCode(UUIDPrimaryKey, Base):
    """Permission for whoever knows the code to upload into one Akte until it expires."""

    __tablename__ = "web_upload_codes"
    __table_args__ = (Index("ix_web_upload_codes_case_file", "case_file_id"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    case_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    prefix: Mapped[str] = mapped_column(String(8), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    files_uploaded: Mapped[int] = mapped_column(Integer, default=0)


class UploadReceipt(UUIDPrimaryKey, Base):
    """What a citizen handed in, as confirmed to them (Eingangsbestätigung)."""

    __tablename__ = "web_upload_receipts"

    upload_code_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("web_upload_codes.id", ondelete="CASCADE"), index=True
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    case_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: ``[{"document_id", "filename", "size", "sha256", "mime_type"}]`` in upload order.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: ``[{"filename", "reason"}]``: files of the same upload that were not accepted (reason
    #: an i18n key), so the receipt tells the citizen what is still missing and why.
    refused: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=list)


class RateCounter(Base):
    """Failures per key (``ip:…``, ``prefix:…``, ``login:…``) in a fixed window.

    Kept in the database so every API process sees the same count.
    """

    __tablename__ = "web_rate_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)
