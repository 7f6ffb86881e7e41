"""Import deliveries for tenant admins: progress and report of each scanning delivery.

Read through ``ingest.deliveries.service`` (which also keeps a delivery's status current);
without that package the page says so instead of failing.
"""

from __future__ import annotations

import itertools
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from akte.audit import service as audit
from akte.core.dependencies import DbSession
from akte.features import _optional
from akte.users.models import Role
from akte.web.deps import Staff
from akte.web.errors import PageRoute
from akte.web.pages import page

router = APIRouter(prefix="/app/imports", include_in_schema=False, route_class=PageRoute)
REPORT_ROWS = 500


@router.get("")
def imports(request: Request, session: DbSession, principal: Staff) -> Response:
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
        {"nav": "imports", "rows": rows, "available": service is not None},
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
