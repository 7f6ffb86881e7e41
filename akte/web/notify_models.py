"""The citizen's e-mail address, kept only until the notice about their upload is sent.

One row per receipt whose uploader asked to be told when their papers were processed
(:mod:`akte.web.notify`). The row, and with it the address, is deleted when the notice has
gone out, or unsent a set time after the code expired: nothing else keeps the address.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from akte.core.database import Base, UTCDateTime, UUIDPrimaryKey, utcnow


class ReceiptNotice(UUIDPrimaryKey, Base):
    __tablename__ = "web_receipt_notices"

    receipt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("web_upload_receipts.id", ondelete="CASCADE"), unique=True
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    #: the portal language at upload: the notice is written in it
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: the mail server's last refusal (no address in it), for operators
    last_error: Mapped[str | None] = mapped_column(Text)
