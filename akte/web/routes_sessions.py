"""``/app/sitzungen``: the signed-in person's browser sessions; end one, or all others.

The list and the checks are :mod:`akte.identity.session_list`'s: only one's own sessions
are listed or ended here (admins end other people's through the API).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from akte.core.database import utcnow
from akte.core.dependencies import DbSession
from akte.identity import session_list
from akte.web import sessions
from akte.web.deps import CsrfChecked, Staff
from akte.web.errors import PageRoute
from akte.web.pages import page

router = APIRouter(prefix="/app/sitzungen", include_in_schema=False, route_class=PageRoute)


def _current_hash(request: Request) -> str | None:
    token = request.cookies.get(sessions.STAFF_COOKIE)
    return sessions.token_hash(token) if token else None


@router.get("")
def list_page(request: Request, session: DbSession, principal: Staff) -> Response:
    current = _current_hash(request)
    rows = session_list.list_sessions(session, principal, principal.user_id)
    items = [
        {"id": session_list.public_id(r), "row": r, "current": r.token_hash == current}
        for r in rows
    ]
    return page(request, principal, "sessions.html", {"nav": "sitzungen", "items": items})


@router.post("/verlaengern", dependencies=[CsrfChecked])
def extend(request: Request, session: DbSession, principal: Staff) -> Response:
    """Extend the current session's idle time from now (the page's warning dialog calls
    this without reloading, so nothing typed is lost). The absolute limit stays: the answer
    says how long is left of both. An ended session is redirected to the login page like
    any request; the script reads that as "ended"."""
    row = request.state.web_session
    row.last_seen_at = utcnow()
    session.commit()  # before the page counts down from the new end
    _, absolute = request.state.session_left
    period = request.state.session_idle_period
    idle = None if period is None else (period if absolute is None else min(period, absolute))
    return JSONResponse({"idle_left": idle, "absolute_left": absolute})


@router.post("/andere-beenden", dependencies=[CsrfChecked])
def end_others(request: Request, session: DbSession, principal: Staff) -> Response:
    session_list.end_all(session, principal, principal.user_id, keep_hash=_current_hash(request))
    session.commit()  # before the browser reloads the list
    return RedirectResponse("/app/sitzungen?msg=sessions_ended", status_code=303)


@router.post("/{session_id}/beenden", dependencies=[CsrfChecked])
def end_one(session_id: str, request: Request, session: DbSession, principal: Staff) -> Response:
    session_list.end(session, principal, principal.user_id, session_id[:64])
    session.commit()  # before the browser reloads the list
    return RedirectResponse("/app/sitzungen?msg=session_ended", status_code=303)
