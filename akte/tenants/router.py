"""HTTP API of tenants and org units (administration)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from akte.auth.dependencies import CurrentUser
from akte.core.dependencies import DbSession
from akte.core.errors import Conflict, Forbidden, NotAuthenticated, NotFound, responses
from akte.core.pagination import Page, Pagination, paginate
from akte.tenants import service
from akte.tenants.schemas import OrgUnitCreate, OrgUnitRead, TenantCreate, TenantRead

router = APIRouter(prefix="/api/v1/tenants", tags=["Administration"])
COMMON = responses(NotAuthenticated, Forbidden, NotFound)


@router.post("", status_code=status.HTTP_201_CREATED, responses={**COMMON, **responses(Conflict)})
def create_tenant(body: TenantCreate, session: DbSession, user: CurrentUser) -> TenantRead:
    """Create a Mandant (system administrators only)."""
    return TenantRead.model_validate(service.create_tenant(session, user, tenant_in=body))


@router.get("", responses=COMMON)
def list_tenants(session: DbSession, user: CurrentUser, pagination: Pagination) -> Page[TenantRead]:
    """All tenants for system administrators; a tenant admin sees their own."""
    rows, total = paginate(session, service.list_query(user), pagination)
    return Page.of([TenantRead.model_validate(t) for t in rows], total, pagination)


@router.post(
    "/{tenant_id}/org-units",
    status_code=status.HTTP_201_CREATED,
    responses={**COMMON, **responses(Conflict)},
)
def create_org_unit(
    tenant_id: uuid.UUID, body: OrgUnitCreate, session: DbSession, user: CurrentUser
) -> OrgUnitRead:
    """Create an Organisationseinheit in a tenant."""
    return OrgUnitRead.model_validate(
        service.create_org_unit(session, user, tenant_id, org_unit_in=body)
    )


@router.get("/{tenant_id}/org-units", responses=COMMON)
def list_org_units(
    tenant_id: uuid.UUID, session: DbSession, user: CurrentUser, pagination: Pagination
) -> Page[OrgUnitRead]:
    """Org units of a tenant (its admins and caseworkers)."""
    rows, total = paginate(session, service.org_units_query(session, user, tenant_id), pagination)
    return Page.of([OrgUnitRead.model_validate(u) for u in rows], total, pagination)
