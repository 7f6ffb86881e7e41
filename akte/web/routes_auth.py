"""Login, logout, the start page and the pages' static files.

Login failures are counted per IP address like upload codes, so the form cannot be used
to guess passwords at speed. ``next`` is followed only to a path on this site.
"""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy import select

from akte.audit import service as audit
from akte.core.dependencies import Context, DbSession, client_ip
from akte.core.errors import NotFound
from akte.core.security import hash_password, verify_password
from akte.users.models import SERVICE_ROLES, User
from akte.web import csrf, ratelimit, sessions
from akte.web.deps import CsrfChecked
from akte.web.errors import PageRoute
from akte.web.templating import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
STATIC = Path(__file__).parent / "static"
STATIC_FILES = {"akte.css": "text/css", "upload.js": "text/javascript"}
LOGIN_LIMIT = 20


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _safe_next(target: str | None) -> str:
    # Browsers drop tabs and newlines and read "\\" as "/": "/\t/evil" would be "//evil".
    plain = all(ch.isprintable() and not ch.isspace() and ch != "\\" for ch in target or "")
    if target and plain and target.startswith("/") and not target.startswith("//"):
        return target
    return "/app"


@router.get("/")
def root(request: Request) -> Response:
    target = "/app" if request.cookies.get(sessions.STAFF_COOKIE) else "/login"
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


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next)})


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
    key = f"login-ip:{ip or 'unknown'}"
    if ratelimit.is_blocked(session, key, limit=LOGIN_LIMIT):
        context = {"next": _safe_next(next), "error": "Zu viele Fehlversuche. Bitte warten."}
        response = render(request, "login.html", context, 429)
        response.headers["Retry-After"] = str(int(ratelimit.WINDOW.total_seconds()))
        return response
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.password_hash:
        verify_password(_dummy_hash(), password)  # same time as a real check: no user probing
    if (
        user is None
        or not user.is_active
        or user.role in SERVICE_ROLES
        or not verify_password(user.password_hash, password)
    ):
        ratelimit.record_failure(session, key)
        audit.record(
            session,
            None,
            "web.login",
            outcome="refused",
            ip=ip,
            detail={"username": username[:120]},
        )
        context = {"next": _safe_next(next), "error": "Benutzername oder Passwort ist falsch."}
        return render(request, "login.html", context, 401)
    token = sessions.start_staff_session(
        session, user.id, ttl_seconds=ctx.settings.token_ttl_seconds, ip=ip
    )
    audit.record(
        session,
        None,
        "web.login",
        tenant_id=user.tenant_id,
        ip=ip,
        detail={"user_id": str(user.id)},
    )
    session.commit()  # durable before the browser follows the answer
    response = RedirectResponse(_safe_next(next), status_code=303)
    sessions.set_cookie(
        request, response, sessions.STAFF_COOKIE, token, ctx.settings.token_ttl_seconds
    )
    # A fresh CSRF seed: a token planted before login is worthless after it.
    sessions.set_cookie(request, response, csrf.COOKIE, csrf.new_seed(), csrf.COOKIE_MAX_AGE)
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, session: DbSession) -> Response:
    sessions.end_staff_session(session, request.cookies.get(sessions.STAFF_COOKIE))
    session.commit()  # durable before the browser follows the answer
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(sessions.STAFF_COOKIE, path="/")
    return response
