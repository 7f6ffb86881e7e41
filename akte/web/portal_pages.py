"""The portal's information pages: Impressum, Datenschutz, Barrierefreiheit (BITV 2.0).

Their texts are the tenant's (tenant options ``portal_impressum``, ``portal_privacy``,
``portal_accessibility``, ``portal_contact``, set by its tenant admin through
``/api/v1/tenant-options``), shown as plain text with ``lang="de"`` (a tenant writes them in
German; a screen reader then reads them as German inside an Arabic page). Whose texts: the
tenant of the citizen's session, or, before a code was entered, the installation's only
tenant; with several tenants and no session the page says that the office's details
appear once the code has been entered. The accessibility page always names the
Schlichtungsstelle nach § 16 BGG, which every public body's statement must.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from akte.tenants.models import Tenant
from akte.uploads import service as codes
from akte.uploads.models import UploadCode
from akte.web import sessions

#: URL part -> (tenant option, i18n key of the title)
PAGES = {
    "impressum": ("portal_impressum", "page_impressum"),
    "datenschutz": ("portal_privacy", "page_privacy"),
    "barrierefreiheit": ("portal_accessibility", "page_accessibility"),
}
SCHLICHTUNGSSTELLE = (
    "Schlichtungsstelle nach § 16 Behindertengleichstellungsgesetz (BGG), "
    "Mauerstraße 53, 10117 Berlin, www.schlichtungsstelle-bgg.de"
)


@dataclass(frozen=True)
class PageText:
    paragraphs: list[str]  # empty: the tenant has set none
    contact: list[str]
    tenant_known: bool


def _tenant(request: Request, session: Session) -> Tenant | None:
    secret = request.app.state.ctx.settings.effective_secret_key
    found = sessions.citizen_session(secret, request.cookies.get(sessions.CITIZEN_COOKIE))
    code = session.get(UploadCode, found.code_id) if found else None
    if code is not None and codes.is_usable(code):
        return session.get(Tenant, code.tenant_id)
    if session.scalar(select(func.count()).select_from(Tenant)) == 1:
        return session.scalar(select(Tenant))
    return None


def _paragraphs(text: str | None) -> list[str]:
    blocks = (text or "").replace("\r\n", "\n").split("\n\n")
    return [block.strip() for block in blocks if block.strip()]


def text_for(request: Request, session: Session, page: str) -> PageText:
    tenant = _tenant(request, session)
    options = (tenant.options or {}) if tenant else {}
    option, _ = PAGES[page]
    return PageText(
        _paragraphs(options.get(option)),
        _paragraphs(options.get("portal_contact")),
        tenant is not None,
    )
