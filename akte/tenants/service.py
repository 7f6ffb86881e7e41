"""Creating tenants (system admins) and org units (system admins and the tenant's admins)."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from akte.audit import service as audit
from akte.auth.principal import Principal
from akte.core.errors import Conflict, NotFound
from akte.tenants import repository
from akte.tenants.models import OrgUnit, Tenant
from akte.tenants.schemas import OrgUnitCreate, TenantCreate
from akte.users.models import Role


def create_tenant(
    session: Session, principal: Principal | None, *, tenant_in: TenantCreate
) -> Tenant:
    """``principal`` is ``None`` only for the operator's CLI."""
    if principal is not None:
        principal.require_role(Role.system_admin)
    if session.scalar(select(Tenant).where(Tenant.slug == tenant_in.slug)):
        raise Conflict(f"tenant {tenant_in.slug} exists", code="duplicate_tenant")
    tenant = Tenant(slug=tenant_in.slug, name=tenant_in.name, options=tenant_in.options)
    session.add(tenant)
    session.flush()
    audit.record(
        session,
        principal,
        "tenant.create",
        object_type="tenant",
        object_id=tenant.id,
        tenant_id=tenant.id,
    )
    return tenant


def get_administered(session: Session, principal: Principal | None, tenant_id: uuid.UUID) -> Tenant:
    """The tenant, if the caller administers it (its tenant admin or a system admin)."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("tenant not found")
    if principal is not None:
        principal.require_role(Role.system_admin, Role.tenant_admin)
        principal.require_tenant(tenant.id)
    return tenant


def by_slug(session: Session, slug: str) -> Tenant:
    tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise NotFound(f"tenant {slug} not found")
    return tenant


def list_query(principal: Principal) -> Select[tuple[Tenant]]:
    principal.require_role(Role.system_admin, Role.tenant_admin)
    return repository.readable_tenant_statement(principal).order_by(Tenant.slug)


def create_org_unit(
    session: Session,
    principal: Principal | None,
    tenant_id: uuid.UUID,
    *,
    org_unit_in: OrgUnitCreate,
) -> OrgUnit:
    tenant = get_administered(session, principal, tenant_id)
    exists = session.scalar(
        select(OrgUnit).where(OrgUnit.tenant_id == tenant.id, OrgUnit.code == org_unit_in.code)
    )
    if exists:
        raise Conflict(f"org unit {org_unit_in.code} exists", code="duplicate_org_unit")
    unit = OrgUnit(tenant_id=tenant.id, code=org_unit_in.code, name=org_unit_in.name)
    session.add(unit)
    session.flush()
    audit.record(
        session,
        principal,
        "org_unit.create",
        object_type="org_unit",
        object_id=unit.id,
        tenant_id=tenant.id,
    )
    return unit


def org_units_query(session: Session, principal: Principal, tenant_id: uuid.UUID) -> Select:
    """The org units of ``tenant_id`` (refused for another tenant). The scope is
    :func:`repository.readable_org_unit_statement`'s alone; a system admin, who reads
    every tenant's, gets the one the path names."""
    if principal.role in {Role.caseworker}:
        principal.require_tenant(tenant_id)
    else:
        get_administered(session, principal, tenant_id)
    stmt = repository.readable_org_unit_statement(principal)
    if principal.role is Role.system_admin:
        stmt = stmt.where(OrgUnit.tenant_id == tenant_id)
    return stmt.order_by(OrgUnit.code)
