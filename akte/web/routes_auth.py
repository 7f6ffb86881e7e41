"""Login, logout, the start page and the pages' static files.

Logins go through the same password check and throttle as the API's token endpoint
(:func:`akte.auth.service.check_password`): back-off per account and address, failures
audited. An account with a second factor (or whose tenant requires one) continues at
``/login/code`` (:mod:`akte.web.routes_second_factor`). ``next`` is followed only to a
path on this site.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.service import check_password, revoke_all_tokens
from akte.auth.throttle import LoginThrottled
from akte.core.context import AppContext
from akte.core.dependencies import Context, DbSession, client_ip
from akte.core.errors import NotAuthenticated, NotFound
from akte.identity import second_factor
from akte.identity.repository import login_choices
from akte.users.models import User
from akte.web import csrf, sessions
from akte.web.deps import CsrfChecked
from akte.web.errors import PageRoute
from akte.web.templating import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
STATIC = Path(__file__).parent / "static"
STATIC_FILES = {
    "akte.css": "text/css",
    "upload.js": "text/javascript",
    "portal.js": "text/javascript",
    "viewer.js": "text/javascript",
    "portal_code.js": "text/javascript",
    "portal_speech.js": "text/javascript",
    "session.js": "text/javascript",
}


#: Where staff land after logging in: the day starts with "Meine Wiedervorlagen".
START = "/app/wiedervorlagen"


def _safe_next(target: str | None) -> str:
    # Browsers drop tabs and newlines and read "\\" as "/": "/\t/evil" would be "//evil".
    plain = all(ch.isprintable() and not ch.isspace() and ch != "\\" for ch in target or "")
    if target and plain and target.startswith("/") and not target.startswith("//"):
        return target
    return START


@router.get("/")
def root(request: Request) -> Response:
    target = START if request.cookies.get(sessions.STAFF_COOKIE) else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/static/web/{name}")
def static(name: str) -> Response:
    if name not in STATIC_FILES:
        raise NotFound("no such file")
    return FileResponse(
        STATIC / name,
        media_type=STATIC_FILES[name],
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


def _login_context(session: Session, next: str | None, **extra: object) -> dict:
    providers = [
        {"id": p.id, "name": p.name, "tenant": tenant} for p, tenant in login_choices(session)
    ]
    return {"next": _safe_next(next), "providers": providers, **extra}


#: What the login page says to someone whose session ended (``ended``, set by
#: :func:`akte.web.deps._to_login` when the browser still sent an ended session's cookie).
ENDED_NOTICES = {
    "1": "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.",
    "post": "Ihre Sitzung war abgelaufen, als Sie das Formular abgeschickt haben: Ihre "
    "Eingaben wurden nicht gespeichert. Bitte melden Sie sich erneut an und geben Sie "
    "sie noch einmal ein.",
}


@router.get("/login")
def login_page(
    request: Request,
    session: DbSession,
    next: str | None = None,
    ended: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    notice = ENDED_NOTICES.get(ended or "")
    return render(request, "login.html", _login_context(session, next, notice=notice))


@router.post("/login", dependencies=[CsrfChecked])
def login(
    request: Request,
    session: DbSession,
    ctx: Context,
    username: Annotated[str, Form(max_length=120)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    ip = client_ip(request)
    try:
        user = check_password(session, username=username, password=password, ip=ip, channel="web")
    except LoginThrottled as exc:
        session.commit()
        context = _login_context(session, next, error="Zu viele Fehlversuche. Bitte warten.")
        response = render(request, "login.html", context, 429)
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response
    except NotAuthenticated:
        session.commit()  # the failure count and its audit entry are the point
        context = _login_context(session, next, error="Benutzername oder Passwort ist falsch.")
        return render(request, "login.html", context, 401)
    if second_factor.needed(session, user):
        session.commit()  # the throttle's success
        token = sessions.pending_login_token(
            ctx.settings.effective_secret_key, user.id, user.token_generation
        )
        response = RedirectResponse(
            f"/login/code?next={quote(_safe_next(next), safe='')}", status_code=303
        )
        sessions.set_cookie(
            request, response, sessions.PENDING_COOKIE, token, sessions.PENDING_TTL_SECONDS
        )
        return response
    return signed_in(request, session, ctx, user, next_path=_safe_next(next), method="password")


def signed_in(
    request: Request,
    session: Session,
    ctx: AppContext,
    user: User,
    *,
    next_path: str,
    method: str,
    bind: Callable[[str], None] | None = None,
    page: Response | None = None,
) -> Response:
    """Start the staff session of ``user`` (password or directory login), audited and
    committed before the browser follows the redirect to ``next_path`` (or sees ``page``).
    ``bind`` gets the new session's token hash, to tie the session to what vouched for it."""
    ip = client_ip(request)
    token = sessions.start_staff_session(
        session,
        user.id,
        ttl_seconds=ctx.settings.token_ttl_seconds,
        ip=ip,
        generation=user.token_generation,
        user_agent=request.headers.get("user-agent"),
    )
    if bind is not None:
        bind(sessions.token_hash(token))
    audit.record(
        session,
        None,
        "web.login",
        tenant_id=user.tenant_id,
        ip=ip,
        detail={"user_id": str(user.id), "method": method},
    )
    session.commit()  # durable before the browser follows the answer
    response = page or RedirectResponse(_safe_next(next_path), status_code=303)
    response.delete_cookie(sessions.PENDING_COOKIE, path="/")
    sessions.set_cookie(
        request, response, sessions.STAFF_COOKIE, token, ctx.settings.token_ttl_seconds
    )
    # A fresh CSRF seed: a token planted before login is worthless after it.
    sessions.set_cookie(request, response, csrf.COOKIE, csrf.new_seed(), csrf.COOKIE_MAX_AGE)
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(
    request: Request,
    session: DbSession,
    everywhere: Annotated[bool, Form()] = False,
) -> Response:
    """End this browser session; with ``everywhere`` also every other session and bearer
    token of the user (a lost laptop, a shared computer)."""
    token = request.cookies.get(sessions.STAFF_COOKIE)
    if everywhere:
        user_id = sessions.staff_user_id(session, token)
        user = session.get(User, user_id) if user_id else None
        if user is not None:
            revoke_all_tokens(session, user)
            audit.record(
                session,
                None,
                "user.logout_everywhere",
                object_type="user",
                object_id=user.id,
                tenant_id=user.tenant_id,
                ip=client_ip(request),
            )
    sessions.end_staff_session(session, token)
    session.commit()  # durable before the browser follows the answer
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(sessions.STAFF_COOKIE, path="/")
    return response
