"""``/app/konto/zweiter-faktor``: a person sets up a second factor of their own accord.

Tenants that require one (option ``second_factor``) have it set up at the password login
(:mod:`akte.web.routes_second_factor`); everyone else with a local password can do it here:
the page shows the QR code of a pending secret, the first code from the app confirms it,
and the recovery codes are shown once. From then on the password login asks for a code.
Directory accounts have no password in akte: their second factor is the provider's business
(:mod:`akte.identity.assurance`), so the page says so instead. Resetting a lost factor stays
with the admins (API ``DELETE /api/v1/users/{id}/second-factor``).
"""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from markupsafe import Markup

from akte.core.dependencies import Context, DbSession, client_ip
from akte.identity import second_factor
from akte.users.models import User
from akte.web.deps import CsrfChecked, Staff
from akte.web.errors import PageRoute
from akte.web.pages import page

router = APIRouter(prefix="/app/konto", include_in_schema=False, route_class=PageRoute)


def _show(
    request: Request, session, ctx, principal, *, error: str | None = None, status: int = 200
) -> Response:
    user = session.get(User, principal.user_id)
    state = second_factor.status(session, user)
    context: dict = {
        "nav": "konto",
        "status": state,
        "error": error,
        "directory": not user.password_hash,
    }
    if not state["enrolled"] and user.password_hash:
        secret, uri = second_factor.pending(
            session, user, secret_key=ctx.settings.effective_secret_key
        )
        session.commit()  # the same secret on a reload, and at the confirming POST
        qr = Markup(segno.make(uri, error="m").svg_inline(scale=5))  # noqa: S704 - segno's own SVG
        context.update(secret=secret, uri=uri, qr=qr)
    return page(request, principal, "account_second_factor.html", context, status)


@router.get("/zweiter-faktor")
def second_factor_page(
    request: Request, session: DbSession, ctx: Context, principal: Staff
) -> Response:
    return _show(request, session, ctx, principal)


@router.post("/zweiter-faktor", dependencies=[CsrfChecked])
def confirm_second_factor(
    request: Request,
    session: DbSession,
    ctx: Context,
    principal: Staff,
    code: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    user = session.get(User, principal.user_id)
    if not user.password_hash or second_factor.factor_of(session, user.id) is not None:
        return _show(request, session, ctx, principal)  # nothing to set up here
    try:
        codes = second_factor.confirm(
            session, user, code, secret_key=ctx.settings.effective_secret_key, ip=client_ip(request)
        )
    except second_factor.CodeMismatch:
        return _show(
            request,
            session,
            ctx,
            principal,
            status=400,
            error="Der Code passt nicht. Bitte die Uhrzeit des Geräts prüfen und "
            "den aktuellen Code eingeben.",
        )
    session.commit()  # the factor counts from now on, before the codes are shown
    return page(
        request,
        principal,
        "login_recovery.html",
        {"nav": "konto", "codes": codes, "next": "/app/konto/zweiter-faktor"},
    )
