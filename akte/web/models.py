"""Tables of the web feature: upload codes, receipts, rate-limit counters, staff sessions,
and Posteingang rejections.

Upload codes are stored as their SHA-256 only: the plaintext is shown once to the
caseworker, who prints it on a letter. The first group of the code (``prefix``) is kept in
clear so guessing can be rate-limited per prefix as well as per IP address.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
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
    items: Mapped[list] = mapped_column(JSON, default=list)
    #: ``[{"filename", "reason"}]``: files of the same upload that were not accepted (reason
    #: an i18n key), so the receipt tells the citizen what is still missing and why.
    refused: Mapped[list | None] = mapped_column(JSON, default=list)


class RateCounter(Base):
    """Failures per key (``ip:…``, ``prefix:…``, ``login:…``) in a fixed window.

    Kept in the database so every API process sees the same count.
    """

    __tablename__ = "web_rate_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)


class WebSession(Base):
    """A staff member's browser session; the cookie holds the token, the table its hash."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64))
    #: The user's token generation at login; a later one (password change, "log out
    #: everywhere") ends this session.
    token_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: For the person's list of their sessions: which browser, and when it was last used
    #: (updated at most once a minute).
    user_agent: Mapped[str | None] = mapped_column(String(300))
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InboxRejection(Base):
    """A Posteingang item a caseworker refused (unreadable, wrong Akte, …).

    The document and its original bytes are kept (they were received and must be
    retained); the rejection only takes it out of the Posteingang, with the reason.
    """

    __tablename__ = "web_inbox_rejections"

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(Text)
    rejected_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    rejected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


from akte.web.notify_models import ReceiptNotice  # noqa: E402, F401  (its own module: a table of the portal)
