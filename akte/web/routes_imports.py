"""Import deliveries for tenant admins: progress and report of each scanning delivery.

Read through ``ingest.deliveries.service`` (which also keeps a delivery's status current);
without that package the page says so instead of failing.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from akte.audit import service as audit
from akte.core.dependencies import DbSession
from akte.core.errors import AkteError
from akte.features import _optional
from akte.tenants import options
from akte.tenants.models import OrgUnit, Tenant
from akte.users.models import Role
from akte.web.deps import CsrfChecked, Staff
from akte.web.errors import PageRoute
from akte.web.pages import page

router = APIRouter(prefix="/app/imports", include_in_schema=False, route_class=PageRoute)
REPORT_ROWS = 500


def _options_form(session: DbSession, principal: Staff) -> dict:
    """The tenant's import options and its org unit codes, for the settings form."""
    tenant = session.get(Tenant, principal.tenant_id)
    units = session.scalars(
        select(OrgUnit.code).where(OrgUnit.tenant_id == principal.tenant_id).order_by(OrgUnit.code)
    )
    return {
        "options": options.read(session, principal, tenant),
        "unit_codes": list(units),
        "known_options": options.KNOWN,
    }


@router.post("/options", dependencies=[CsrfChecked])
def save_options(
    request: Request,
    session: DbSession,
    principal: Staff,
    creates: Annotated[str | None, Form()] = None,
    org_unit: Annotated[str | None, Form(max_length=64)] = None,
    separator_codes: Annotated[str | None, Form(max_length=500)] = None,
    pattern: Annotated[str | None, Form(max_length=64)] = None,
) -> Response:
    """Set the import options of the admin's tenant (same checks as the API)."""
    principal.require_role(Role.tenant_admin)
    tenant = session.get(Tenant, principal.tenant_id)
    try:
        with session.begin_nested():
            options.update(
                session,
                principal,
                tenant,
                {
                    "import_creates_case_files": creates == "on",
                    "import_org_unit": org_unit or None,
                    "import_separator_codes": separator_codes or None,
                    "aktenzeichen_pattern": pattern or None,
                },
                from_text=True,
            )
    except AkteError as exc:
        return _list_page(request, session, principal, error=exc.detail)
    return RedirectResponse("/app/imports?saved=1", status_code=303)


@router.get("")
def imports(request: Request, session: DbSession, principal: Staff) -> Response:
    return _list_page(request, session, principal)


def _list_page(
    request: Request, session: DbSession, principal: Staff, error: str | None = None
) -> Response:
    principal.require_role(Role.tenant_admin)
    service = _optional("ingest.deliveries.service")
    rows = []
    if service is not None:
        from ingest.deliveries import repository as deliveries_repository

        scope = deliveries_repository.readable_statement(principal)
        deliveries = session.scalars(deliveries_repository.newest_first(scope).limit(100))
        rows = [(d, service.progress(session, d)) for d in deliveries]
    audit.record(session, principal, "delivery.list", detail={"count": len(rows)})
    return page(
        request,
        principal,
        "imports.html",
        {
            "nav": "imports",
            "rows": rows,
            "available": service is not None,
            "options_error": error,
            "saved": request.query_params.get("saved") == "1",
            **_options_form(session, principal),
        },
        status_code=422 if error else 200,
    )


@router.get("/{delivery_id}")
def delivery(
    delivery_id: uuid.UUID, request: Request, session: DbSession, principal: Staff
) -> Response:
    principal.require_role(Role.tenant_admin)
    service = _optional("ingest.deliveries.service")
    if service is None:
        return page(
            request, principal, "imports.html", {"nav": "imports", "rows": [], "available": False}
        )
    found = service.get_visible(session, principal, delivery_id)
    progress = service.progress(session, found)
    report = list(itertools.islice(service.iter_report(session, found.id), REPORT_ROWS))
    audit.record(session, principal, "delivery.report", object_type="delivery", object_id=found.id)
    return page(
        request,
        principal,
        "delivery.html",
        {
            "nav": "imports",
            "delivery": found,
            "progress": progress,
            "report": report,
            "limit": REPORT_ROWS,
        },
    )
