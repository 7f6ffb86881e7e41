"""A person's live web sessions: listed to them (and to their admins), ended one by one or
all at once.

A session is shown by an opaque ``id`` derived from the hash the table keeps, never by the
hash itself or the cookie. Only sessions that still work are listed: not expired and of the
user's current token generation. Ending a session deletes its row, so its browser is sent
to the login page at its next request; bearer tokens are not sessions (they end with
"log out everywhere", which also ends every session).

Who may see and end whose sessions is written once, in :func:`_owner`: oneself, or the
admin of the person's tenant (system admins: everyone). A session of somebody else, or a
person of another tenant, does not exist for the caller (404).
"""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.core.database import utcnow
from akte.core.errors import NotFound
from akte.users.models import User
from akte.web.models import WebSession

LIMIT = 200


def public_id(row: WebSession) -> str:
    return hashlib.sha256(f"akte-session-id:{row.token_hash}".encode()).hexdigest()[:32]


def _owner(session: Session, principal: Principal, user_id: uuid.UUID) -> User:
    if principal.user_id == user_id:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("user not found")
        return user
    from akte.users import service as users

    return users.get_administered(session, principal, user_id)


def live(session: Session, user: User) -> list[WebSession]:
    """The user's working sessions, the most recently used first."""
    rows = session.scalars(
        select(WebSession)
        .where(
            WebSession.user_id == user.id,
            WebSession.expires_at > utcnow(),
            WebSession.token_generation == user.token_generation,
        )
        .order_by(WebSession.created_at.desc())
        .limit(LIMIT)
    )
    return sorted(rows, key=lambda r: r.last_seen_at or r.created_at, reverse=True)


def list_sessions(session: Session, principal: Principal, user_id: uuid.UUID) -> list[WebSession]:
    return live(session, _owner(session, principal, user_id))


def end(session: Session, principal: Principal, user_id: uuid.UUID, session_id: str) -> None:
    """End one session of ``user_id``; 404 when it is not one of theirs (or gone)."""
    user = _owner(session, principal, user_id)
    row = next((r for r in live(session, user) if public_id(r) == session_id), None)
    if row is None:
        raise NotFound("session not found")
    session.delete(row)
    session.flush()
    audit.record(
        session,
        principal,
        "user.session_end",
        object_type="user",
        object_id=user.id,
        tenant_id=user.tenant_id,
        detail={"user_id": str(user.id), "session": session_id},
    )


def end_all(
    session: Session, principal: Principal, user_id: uuid.UUID, *, keep_hash: str | None = None
) -> int:
    """End every session of ``user_id`` but the one of ``keep_hash`` (the caller's own
    browser, for "end all others"); returns how many ended."""
    user = _owner(session, principal, user_id)
    rows = [
        r
        for r in session.scalars(select(WebSession).where(WebSession.user_id == user.id))
        if r.token_hash != keep_hash
    ]
    for row in rows:
        session.delete(row)
    session.flush()
    audit.record(
        session,
        principal,
        "user.sessions_end",
        object_type="user",
        object_id=user.id,
        tenant_id=user.tenant_id,
        detail={"user_id": str(user.id), "ended": len(rows), "kept_current": keep_hash is not None},
    )
    return len(rows)
