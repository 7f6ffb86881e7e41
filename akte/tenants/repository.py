"""Who sees which tenants and org units: the one place these scopes are written.

System admins see every tenant and org unit. A tenant admin sees their own tenant and its
org units; a caseworker their tenant's org units (to pick one for a new Akte). Lists
start from these statements, so another tenant's rows do not appear in them.
"""

from __future__ import annotations

from sqlalchemy import Select, false, select

from akte.auth.principal import Principal
from akte.tenants.models import OrgUnit, Tenant
from akte.users.models import Role

#: Roles that see their own tenant's org units.
ORG_UNIT_ROLES = (Role.tenant_admin, Role.caseworker)


def readable_tenant_statement(principal: Principal) -> Select[tuple[Tenant]]:
    """Every tenant for system admins, their own for tenant admins, none for the rest."""
    if principal.role is Role.system_admin:
        return select(Tenant)
    if principal.role is Role.tenant_admin and principal.tenant_id is not None:
        return select(Tenant).where(Tenant.id == principal.tenant_id)
    return select(Tenant).where(false())


def readable_org_unit_statement(principal: Principal) -> Select[tuple[OrgUnit]]:
    """Every org unit for system admins, their tenant's for tenant admins and
    caseworkers, none for the rest."""
    if principal.role is Role.system_admin:
        return select(OrgUnit)
    if principal.role in ORG_UNIT_ROLES and principal.tenant_id is not None:
        return select(OrgUnit).where(OrgUnit.tenant_id == principal.tenant_id)
    return select(OrgUnit).where(false())
