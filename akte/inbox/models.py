"""The Posteingang's table: items a caseworker refused, with the reason.

The table keeps the name ``web_inbox_rejections`` it was created with (migration 0500).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from akte.core.database import Base, UTCDateTime, utcnow


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
