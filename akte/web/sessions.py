"""Browser sessions: staff (server-side, revocable) and citizens (signed, code-bound).

Staff cookie ``akte_web``: a 256-bit random token; the table keeps its SHA-256, so a stolen
database does not yield live sessions and logout deletes the row. Citizen cookie
``akte_citizen``: a signed token of kind ``citizen`` naming one upload code; every request
reloads the code, so revoking or expiry ends the session at once. The two cookies are read
by different dependencies, so neither opens the other's pages.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request, Response
from sqlalchemy import delete
from sqlalchemy.orm import Session

from akte.core.database import utcnow
from akte.core.security import issue_token, read_token_claims
from akte.web.models import WebSession

STAFF_COOKIE = "akte_web"
CITIZEN_COOKIE = "akte_citizen"
CITIZEN_TTL_SECONDS = 2 * 3600
CITIZEN_KIND = "citizen"
#: Between a right password and the second factor's code: a signed token naming the user
#: (and their token generation), valid for a few minutes, on the ``/login`` paths only.
PENDING_COOKIE = "akte_2fa"
PENDING_KIND = "second-factor"
PENDING_TTL_SECONDS = 300
TOUCH_EVERY = timedelta(minutes=1)


def token_hash(token: str) -> str:
    """What the table keeps of a session token (its primary key)."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_https(request: Request) -> bool:
    """True behind TLS, also when a trusted proxy terminates it (the forwarded-headers
    middleware sets the scheme; an untrusted ``X-Forwarded-Proto`` never gets this far)."""
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path="/",
    )


def start_staff_session(
    session: Session,
    user_id: uuid.UUID,
    *,
    ttl_seconds: int,
    ip: str | None,
    generation: int = 0,
    user_agent: str | None = None,
) -> str:
    token = secrets.token_urlsafe(32)
    session.execute(
        delete(WebSession).where(WebSession.user_id == user_id, WebSession.expires_at <= utcnow())
    )
    session.add(
        WebSession(
            token_hash=token_hash(token),
            user_id=user_id,
            expires_at=utcnow() + timedelta(seconds=ttl_seconds),
            ip=ip,
            token_generation=generation,
            user_agent=(user_agent or "")[:300] or None,
            last_seen_at=utcnow(),
        )
    )
    session.flush()
    return token


def staff_session(session: Session, token: str | None) -> WebSession | None:
    """The live session of this cookie (its user's token generation still to be checked)."""
    if not token:
        return None
    row = session.get(WebSession, token_hash(token))
    if row is None or row.expires_at <= utcnow():
        return None
    return row


def touch(row: WebSession, ip: str | None) -> None:
    """Note the session's use for its owner's list, at most once a minute (a page view
    should not always write)."""
    now = utcnow()
    if row.last_seen_at is None or now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at, row.ip = now, ip or row.ip


def staff_user_id(session: Session, token: str | None) -> uuid.UUID | None:
    row = staff_session(session, token)
    return row.user_id if row else None


def end_staff_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


def citizen_token(secret: str, code_id: uuid.UUID, ttl_seconds: int = CITIZEN_TTL_SECONDS) -> str:
    return issue_token(secret, subject=str(code_id), ttl_seconds=ttl_seconds, kind=CITIZEN_KIND)


@dataclass(frozen=True)
class CitizenSession:
    code_id: uuid.UUID
    #: Unix time the cookie's token ends; the portal warns before it and offers to extend.
    expires_at: int


def citizen_session(secret: str, token: str | None) -> CitizenSession | None:
    """The code and end of a valid citizen token; ``None`` when absent, forged or expired."""
    if not token:
        return None
    claims = read_token_claims(secret, token, kind=CITIZEN_KIND)
    try:
        return CitizenSession(uuid.UUID(claims.subject), claims.expires_at) if claims else None
    except ValueError:
        return None


def citizen_code_id(secret: str, token: str | None) -> uuid.UUID | None:
    found = citizen_session(secret, token)
    return found.code_id if found else None


def end_staff_session_by_hash(session: Session, web_session_hash: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == web_session_hash))


def pending_login_token(secret: str, user_id: uuid.UUID, generation: int) -> str:
    return issue_token(
        secret,
        subject=str(user_id),
        ttl_seconds=PENDING_TTL_SECONDS,
        kind=PENDING_KIND,
        generation=generation,
    )


def pending_login(secret: str, token: str | None) -> tuple[uuid.UUID, int] | None:
    """The user (and token generation) whose password was right, from the pending cookie."""
    claims = read_token_claims(secret, token, kind=PENDING_KIND) if token else None
    try:
        return (uuid.UUID(claims.subject), claims.generation) if claims else None
    except ValueError:
        return None
