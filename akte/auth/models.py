"""The login throttle's counters (one table for the API token endpoint and the web login)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from akte.core.database import Base, UTCDateTime


class AuthThrottle(Base):
    """Failures and back-off per key (``account:…``, ``address:…``), or a known address
    of an account (``known:…``, ``last_success_at``) that a blocked address still admits."""

    __tablename__ = "auth_throttle"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
