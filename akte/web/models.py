"""Tables of the web layer itself: staff browser sessions.

Upload codes, receipts and rate-limit counters live in :mod:`akte.uploads.models`,
Posteingang rejections in :mod:`akte.inbox.models`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from akte.core.database import Base, UTCDateTime, utcnow


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


from akte.web.notify_models import ReceiptNotice  # noqa: E402, F401  (its own module: a table of the portal)
