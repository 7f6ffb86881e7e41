"""One limiter for password logins (``POST /api/v1/auth/token`` and the web form).

Failures are counted per *account* (the submitted name, known or not, so the limiter
itself tells nobody which names exist) and per *client address*. Past a free allowance a
key backs off exponentially (5 s, 10 s, 20 s … at most :data:`MAX_DELAY`) instead of being
locked; a quiet :data:`DECAY` forgets the count.

A blocked address does not lock out everyone behind it (a shared NAT, a town hall), and
a guesser elsewhere does not lock the owner out of their account: an account that logged
in successfully from an address within :data:`KNOWN_FOR` (with fewer than
:data:`ACCOUNT_FREE` failures there since) is still admitted there. A newcomer waits out
the back-off, because otherwise a blocked guesser could keep spraying passwords over many
accounts.

Rows live in ``auth_throttle`` so every API process shares the counts. The caller commits
even when the login fails: the count is the point. Every reading of the time goes through
:data:`clock`, so a test can hold time still (or move it on) instead of racing the
back-off.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from akte.auth.models import AuthThrottle
from akte.core.database import utcnow
from akte.core.errors import TooManyRequests

#: Failures before the back-off starts: per account, per client address.
ACCOUNT_FREE = 5
ADDRESS_FREE = 20
FIRST_DELAY = timedelta(seconds=5)
MAX_DELAY = timedelta(minutes=15)
DECAY = timedelta(minutes=30)
KNOWN_FOR = timedelta(days=90)

#: The limiter's only source of the current time (UTC, aware).
clock: Callable[[], datetime] = utcnow


class LoginThrottled(TooManyRequests):
    """Too many failed logins for this account or from this address: try again later."""

    code = "login_throttled"

    def __init__(self, retry_after: datetime) -> None:
        self.retry_after_seconds = max(1, math.ceil((retry_after - clock()).total_seconds()))
        super().__init__(f"too many failed logins; try again in {self.retry_after_seconds} s")
        self.headers = {"Retry-After": str(self.retry_after_seconds)}


def _account(username: str) -> str:
    return f"account:{username.strip().lower()[:200]}"


def _address(ip: str | None) -> str:
    return f"address:{ip or 'unknown'}"


def _known(username: str, ip: str | None) -> str:
    return f"known:{username.strip().lower()[:200]}|{ip or 'unknown'}"


def _row(session: Session, key: str) -> AuthThrottle:
    row = session.get(AuthThrottle, key, with_for_update=True)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = AuthThrottle(key=key, failures=0)
            session.add(row)
        return row
    except IntegrityError:  # another process created it first
        row = session.get(AuthThrottle, key, with_for_update=True, populate_existing=True)
        assert row is not None
        return row


def _blocked_until(row: AuthThrottle | None, now: datetime) -> datetime | None:
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return None
    return row.blocked_until


def _is_known(session: Session, username: str, ip: str | None, now: datetime) -> bool:
    """This account logged in from this address lately, with few failures since."""
    known = session.get(AuthThrottle, _known(username, ip))
    return (
        known is not None
        and known.last_success_at is not None
        and known.last_success_at > now - KNOWN_FOR
        and known.failures < ACCOUNT_FREE
    )


def check(session: Session, *, username: str, ip: str | None) -> None:
    """Raise :class:`LoginThrottled` if this attempt must wait; otherwise do nothing.

    An account backing off, or an address backing off, still admits this account from an
    address it logged in from lately, unless guesses were made there too."""
    now = clock()
    account = _blocked_until(session.get(AuthThrottle, _account(username)), now)
    address = _blocked_until(session.get(AuthThrottle, _address(ip)), now)
    if account is None and address is None:
        return
    if _is_known(session, username, ip, now):
        return
    raise LoginThrottled(max(t for t in (account, address) if t is not None))


def _count(session: Session, key: str, free: int, now: datetime) -> None:
    row = _row(session, key)
    if row.last_failure_at is not None and row.last_failure_at <= now - DECAY:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    over = row.failures - free
    if over >= 0:
        delay = min(FIRST_DELAY * 2 ** min(over, 20), MAX_DELAY)
        row.blocked_until = now + delay


def record_failure(session: Session, *, username: str, ip: str | None) -> None:
    now = clock()
    if secrets.randbelow(100) == 0:  # now and then, forget counters long quiet
        session.execute(
            delete(AuthThrottle).where(
                AuthThrottle.last_success_at.is_(None),
                AuthThrottle.last_failure_at < now - 4 * DECAY,
            )
        )
    _count(session, _account(username), ACCOUNT_FREE, now)
    _count(session, _address(ip), ADDRESS_FREE, now)
    known = session.get(AuthThrottle, _known(username, ip), with_for_update=True)
    if known is not None:  # guesses at a known address cost it its exemption
        known.failures += 1
    session.flush()


def record_success(session: Session, *, username: str, ip: str | None) -> None:
    """The account's count starts again; the address becomes known for this account."""
    now = clock()
    session.execute(delete(AuthThrottle).where(AuthThrottle.key == _account(username)))
    known = _row(session, _known(username, ip))
    known.last_success_at, known.failures = now, 0
    session.flush()
