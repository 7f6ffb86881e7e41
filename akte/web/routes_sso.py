"""Sign-in through the tenant's directory: OpenID Connect redirect and callback, and the
LDAP password form. The directory work is :mod:`akte.identity.sign_in`; this module only
turns its outcome into a staff session (:func:`akte.web.routes_auth.signed_in`) or an
error page (4xx/503 with the reason; the refusal is audited and committed first).

The provider's tokens stay on the server; the browser carries the ``state`` in the URL and
in a cookie (``akte_sso``, ``SameSite=Lax`` so the provider's redirect brings it back), and
the callback requires both to agree.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from akte.core.dependencies import Context, DbSession, client_ip
from akte.core.errors import AkteError
from akte.core.settings import Settings
from akte.identity import backchannel, directory_sessions, sign_in
from akte.identity.errors import SsoRefused
from akte.web import sessions
from akte.web.deps import CsrfChecked
from akte.web.errors import PageRoute
from akte.web.routes_auth import _safe_next, signed_in
from akte.web.templating import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
STATE_COOKIE = "akte_sso"
STATE_MAX_AGE = 600


def redirect_uri(request: Request, settings: Settings) -> str:
    """The one callback address registered at every provider (``AKTE_PUBLIC_URL`` in
    production: never built from a Host header there)."""
    base = settings.public_url.strip().rstrip("/") or str(request.base_url).rstrip("/")
    return f"{base}/sso/callback"


@router.get("/sso/callback")
def oidc_callback(
    request: Request,
    session: DbSession,
    ctx: Context,
    state: str | None = None,
    code: str | None = None,
    error: str | None = None,
) -> Response:
    request.state.web_db = session
    try:
        user, next_path, provider, result = sign_in.oidc_callback(
            session,
            state=state,
            cookie_state=request.cookies.get(STATE_COOKIE),
            code=code,
            error=error,
            redirect_uri=redirect_uri(request, ctx.settings),
            ip=client_ip(request),
        )
    except AkteError:
        session.commit()  # the refusal's audit entry is the point
        raise
    secret = ctx.settings.effective_secret_key
    response = signed_in(
        request,
        session,
        ctx,
        user,
        next_path=next_path,
        method="oidc",
        bind=lambda web_session_hash: directory_sessions.bind(
            session,
            web_session_hash=web_session_hash,
            provider=provider,
            user_id=user.id,
            result=result,
            secret=secret,
        ),
    )
    response.delete_cookie(STATE_COOKIE, path="/sso")
    return response


@router.post("/sso/backchannel-logout")
def backchannel_logout(
    request: Request, session: DbSession, logout_token: Annotated[str, Form(max_length=20000)] = ""
) -> Response:
    """The provider ends akte sessions of a session that ended there (server to server:
    no cookie, no CSRF token; the signed logout token is the credential)."""
    request.state.web_db = session
    try:
        hashes = backchannel.logout(session, logout_token, ip=client_ip(request))
    except AkteError:
        session.commit()  # the refusal's audit entry
        raise
    for web_session_hash in hashes:
        sessions.end_staff_session_by_hash(session, web_session_hash)
    session.commit()
    return Response(status_code=200, headers={"Cache-Control": "no-store"})


@router.get("/sso/frontchannel-logout")
def frontchannel_logout(
    request: Request, session: DbSession, iss: str | None = None, sid: str | None = None
) -> Response:
    """The provider's logout page ends the akte sessions of the provider session ``sid``
    (loaded in a hidden frame; no cookie, no CSRF token: the ``sid`` is the credential)."""
    request.state.web_db = session
    try:
        hashes = backchannel.frontchannel_logout(session, iss=iss, sid=sid, ip=client_ip(request))
    except AkteError:
        session.commit()  # the refusal's audit entry
        raise
    for web_session_hash in hashes:
        sessions.end_staff_session_by_hash(session, web_session_hash)
    session.commit()
    return Response(
        "<!doctype html><title>Abgemeldet</title>",
        media_type="text/html",
        headers={"Cache-Control": "no-store"},
    )


@router.get("/sso/{provider_id}")
def start(
    request: Request,
    provider_id: uuid.UUID,
    session: DbSession,
    ctx: Context,
    next: str | None = None,
) -> Response:
    """OpenID Connect: off to the provider's login page. LDAP: the password form."""
    request.state.web_db = session
    provider = sign_in.provider_for_login(session, provider_id)
    if provider.kind == "ldap":
        return render(request, "sso_ldap.html", {"provider": provider, "next": _safe_next(next)})
    try:
        url, state = sign_in.oidc_start(
            session,
            provider.id,
            redirect_uri=redirect_uri(request, ctx.settings),
            next_path=_safe_next(next),
            ip=client_ip(request),
        )
    except AkteError:
        session.commit()
        raise
    session.commit()  # the pending login must exist before the provider sends the browser back
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=STATE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=sessions.is_https(request),
        path="/sso",
    )
    return response


@router.post("/sso/{provider_id}/ldap", dependencies=[CsrfChecked])
def ldap_login(
    request: Request,
    provider_id: uuid.UUID,
    session: DbSession,
    ctx: Context,
    username: Annotated[str, Form(max_length=120)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    request.state.web_db = session
    provider = sign_in.provider_for_login(session, provider_id, "ldap")
    try:
        user = sign_in.ldap_sign_in(
            session,
            provider,
            username=username,
            password=password,
            ip=client_ip(request),
            channel="web",
        )
    except SsoRefused:
        session.commit()
        context = {
            "provider": provider,
            "next": _safe_next(next),
            "error": "Benutzername oder Passwort ist falsch.",
        }
        return render(request, "sso_ldap.html", context, 401)
    except AkteError:
        session.commit()
        raise
    return signed_in(request, session, ctx, user, next_path=_safe_next(next), method="ldap")
