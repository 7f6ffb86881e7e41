"""Who is using a page: a staff member (session cookie) or a citizen (upload-code cookie).

The API's ``CurrentUser`` reads bearer tokens only; pages authenticate with the staff
session cookie instead, and build the same :class:`Principal` so every service applies the
same permission checks. A page without a valid session redirects to the login page (303);
a citizen cookie is never accepted here, so a citizen reaches no caseworker page.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from sqlalchemy import delete
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth import timeouts
from akte.auth.principal import Principal
from akte.auth.service import principal_for
from akte.core.database import utcnow
from akte.core.dependencies import DbSession, client_ip, get_context
from akte.core.errors import NotAuthenticated
from akte.identity import directory_sessions
from akte.identity.models import DirectorySession
from akte.uploads import service as codes
from akte.uploads.models import UploadCode
from akte.users.models import SERVICE_ROLES, User
from akte.web import csrf, i18n, sessions
from akte.web.models import WebSession


def _redirect(location: str) -> HTTPException:
    return HTTPException(status_code=303, detail="see other", headers={"Location": location})


def _to_login(request: Request) -> HTTPException:
    """To the login page and back here afterwards. A browser that still sent a session
    cookie had one that ended: the login page says so, and for a form sent with it that
    what was sent has not been saved (``ended=post``) — never a silent loss."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    ended = ""
    if request.cookies.get(sessions.STAFF_COOKIE):
        ended = "&ended=post" if request.method == "POST" else "&ended=1"
    return _redirect(f"/login?next={quote(target, safe='')}{ended}")


def get_staff(request: Request, session: DbSession) -> Principal:
    row = sessions.staff_session(session, request.cookies.get(sessions.STAFF_COOKIE))
    user = session.get(User, row.user_id) if row else None
    if (
        user is None
        or not user.is_active
        or user.role in SERVICE_ROLES
        or row.token_generation != user.token_generation
    ):
        raise _to_login(request)
    found = timeouts.limits(session, user.tenant_id)
    reason = timeouts.timed_out(
        found, created_at=row.created_at, last_used_at=row.last_seen_at, now=utcnow()
    )
    if reason is not None:
        _end_timed_out(session, row, user, reason, client_ip(request))
        raise _to_login(request)
    if not directory_sessions.still_valid(
        session,
        web_session_hash=row.token_hash,
        ip=client_ip(request),
        secret=get_context(request).settings.effective_secret_key,
    ):
        sessions.end_staff_session_by_hash(session, row.token_hash)
        session.commit()  # the ended session and its audit entry outlive the redirect
        raise _to_login(request)
    sessions.touch(row, client_ip(request))
    # what the page's session warning counts down from (akte/web/static/session.js)
    now = utcnow()
    idle_left, absolute_left = timeouts.seconds_left(
        found, created_at=row.created_at, last_used_at=row.last_seen_at, now=now
    )
    # the session row's own end (the web session lifetime) is an absolute limit too
    row_left = max(int((row.expires_at - now).total_seconds()), 0)
    absolute_left = row_left if absolute_left is None else min(absolute_left, row_left)
    request.state.session_left = (idle_left, absolute_left)
    request.state.session_idle_period = int(found.idle.total_seconds()) if found.idle else None
    request.state.web_session = row
    principal = principal_for(session, user, client_ip(request))
    request.state.principal = principal
    request.state.web_db = session  # for PageRoute's rollback on errors
    request.state.display_name = user.display_name
    return principal


def _end_timed_out(
    session: Session, row: WebSession, user: User, reason: str, ip: str | None
) -> None:
    """End a session past the tenant's idle or absolute limit, and the provider's refresh
    token kept for it; audited and committed before the redirect to the login page."""
    session.execute(
        delete(DirectorySession).where(DirectorySession.web_session_hash == row.token_hash)
    )
    sessions.end_staff_session_by_hash(session, row.token_hash)
    audit.record(
        session,
        None,
        "web.session_timeout",
        tenant_id=user.tenant_id,
        ip=ip,
        object_type="user",
        object_id=user.id,
        detail={
            "user_id": str(user.id),
            "reason": reason,
            "started_at": row.created_at.isoformat(),
        },
    )
    session.commit()


Staff = Annotated[Principal, Depends(get_staff)]


class SessionExpired(NotAuthenticated):
    """The citizen's session ended (time, revoked or expired code) during a script request."""

    code = "session_expired"


def wants_json(request: Request) -> bool:
    """A request from the portal or upload script, which reads JSON and never a redirect."""
    return "application/json" in request.headers.get("accept", "")


def get_citizen(request: Request, session: DbSession) -> UploadCode:
    """The upload code of the citizen's session. Without one, a page request is sent to the
    code page; a script request gets JSON 401 ``session_expired``: a script that followed a
    redirect would read the start page as success and report files as sent that were not."""
    secret = get_context(request).settings.effective_secret_key
    found = sessions.citizen_session(secret, request.cookies.get(sessions.CITIZEN_COOKIE))
    request.state.web_db = session
    code = session.get(UploadCode, found.code_id) if found else None
    if found is None or code is None or not codes.is_usable(code):
        if wants_json(request):
            lang = i18n.pick(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE))
            raise SessionExpired(i18n.translator(lang)("session_expired"))
        # a form posted without the script (files!) is told on the code page that nothing
        # was sent, never just shown the start page as if all were well
        raise _redirect("/upload?ended=1" if request.method == "POST" else "/upload")
    request.state.citizen_session_ends = min(found.expires_at, int(code.expires_at.timestamp()))
    return code


Citizen = Annotated[UploadCode, Depends(get_citizen)]


async def check_csrf(request: Request) -> None:
    """Every state-changing page request: the token from the form or the upload script."""
    submitted = request.headers.get(csrf.HEADER)
    if not submitted:
        form = await request.form()
        value = form.get(csrf.FIELD)
        submitted = value if isinstance(value, str) else None
    csrf.check(request, get_context(request).settings.effective_secret_key, submitted)


CsrfChecked = Depends(check_csrf)
