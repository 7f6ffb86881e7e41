"""Counting failed attempts (upload codes, logins) in the database, per key and window.

A fixed window is enough here: it caps guessing at ``limit`` tries per ``window`` per IP
address and per code prefix, on every API process at once, because the counter is a row.
Only failures count, so a citizen who types their code right is never slowed down.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from akte.core.database import utcnow
from akte.uploads.models import RateCounter

WINDOW = timedelta(minutes=15)


def is_blocked(session: Session, key: str, *, limit: int, window: timedelta = WINDOW) -> bool:
    row = session.get(RateCounter, key)
    return row is not None and row.window_start > utcnow() - window and row.failures >= limit


def record_failure(session: Session, key: str, *, window: timedelta = WINDOW) -> int:
    """Count one failure; returns the failures in the current window."""
    now = utcnow()
    row = session.get(RateCounter, key, with_for_update=True)
    if row is None:
        if secrets.randbelow(100) == 0:  # now and then, forget counters of past windows
            session.execute(delete(RateCounter).where(RateCounter.window_start < now - 4 * window))
        try:
            with session.begin_nested():
                session.add(RateCounter(key=key, window_start=now, failures=1))
            return 1
        except IntegrityError:  # another process created it first: count on that row
            row = session.get(RateCounter, key, with_for_update=True, populate_existing=True)
            assert row is not None
    if row.window_start <= now - window:
        row.window_start, row.failures = now, 0
    row.failures += 1
    session.flush()
    return row.failures
