"""The second step of a password login: the code of the second factor, or setting one up.

``POST /login`` with a right password sends an account that has a second factor (or whose
tenant requires one) here, with a short-lived signed cookie (``akte_2fa``) naming the
account instead of a session. ``/login/code`` then asks for the code from the app (or a
recovery code), or, for an account that must set one up, shows the QR code and asks for
the first code; after that the recovery codes are shown once and the session starts.
Wrong codes are throttled and audited like passwords (:mod:`akte.identity.second_factor`).
"""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from akte.auth.throttle import LoginThrottled
from akte.core.dependencies import Context, DbSession, client_ip
from akte.core.errors import NotAuthenticated
from akte.identity import second_factor
from akte.users.models import User
from akte.web import sessions
from akte.web.deps import CsrfChecked
from akte.web.errors import PageRoute
from akte.web.routes_auth import _safe_next, signed_in
from akte.web.templating import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def _pending_user(request: Request, session, ctx) -> User | None:
    found = sessions.pending_login(
        ctx.settings.effective_secret_key, request.cookies.get(sessions.PENDING_COOKIE)
    )
    user = session.get(User, found[0]) if found else None
    if user is None or not user.is_active or user.token_generation != found[1]:
        return None
    return user


def _page(
    request: Request,
    session,
    ctx,
    user: User,
    next_path: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    state = second_factor.needed(session, user)
    context: dict = {"next": next_path, "error": error, "enrol": state == "enrol"}
    if state == "enrol":
        secret, uri = second_factor.pending(
            session, user, secret_key=ctx.settings.effective_secret_key
        )
        session.commit()  # the same secret on a reload, and at the confirming POST
        qr = Markup(segno.make(uri, error="m").svg_inline(scale=5))  # noqa: S704 - segno's own SVG
        context.update(secret=secret, uri=uri, qr=qr)
    return render(request, "login_code.html", context, status)


@router.get("/login/code")
def code_page(
    request: Request, session: DbSession, ctx: Context, next: str | None = None
) -> Response:
    user = _pending_user(request, session, ctx)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return _page(request, session, ctx, user, _safe_next(next))


@router.post("/login/code", dependencies=[CsrfChecked])
def submit_code(
    request: Request,
    session: DbSession,
    ctx: Context,
    code: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    user = _pending_user(request, session, ctx)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    next_path, secret_key, ip = (
        _safe_next(next),
        ctx.settings.effective_secret_key,
        client_ip(request),
    )
    if second_factor.needed(session, user) == "enrol":
        try:
            codes = second_factor.confirm(session, user, code, secret_key=secret_key, ip=ip)
        except second_factor.CodeMismatch:
            return _page(
                request,
                session,
                ctx,
                user,
                next_path,
                status=401,
                error="Der Code passt nicht. Bitte die Uhrzeit des Geräts prüfen "
                "und den aktuellen Code eingeben.",
            )
        page = render(request, "login_recovery.html", {"next": next_path, "codes": codes})
        return signed_in(
            request, session, ctx, user, next_path=next_path, method="password+totp", page=page
        )
    try:
        second_factor.verify(session, user, code, secret_key=secret_key, ip=ip, channel="web")
    except LoginThrottled as exc:
        session.commit()
        response = _page(
            request,
            session,
            ctx,
            user,
            next_path,
            status=429,
            error="Zu viele Fehlversuche. Bitte warten.",
        )
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response
    except NotAuthenticated:
        session.commit()  # the failure count and its audit entry are the point
        return _page(
            request,
            session,
            ctx,
            user,
            next_path,
            status=401,
            error="Der Code ist falsch oder wurde schon verwendet.",
        )
    return signed_in(request, session, ctx, user, next_path=next_path, method="password+totp")
